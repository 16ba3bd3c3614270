// Builds native-runner.c as a 32-bit program with the system compiler (cached by a hash of the source) and
// runs a batch of case records through it on the host CPU.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findExecutable, repositoryRoot } from '../../support/oracle-tools';

export type NativeRunnerBuild = { readonly ok: true; readonly executable: string } | { readonly ok: false; readonly reason: string };

const INSTALL_HINT = 'apt-get install gcc-multilib';

function runnerSourcePath(): string {
  return path.join(repositoryRoot(), 'test', 'oracle', 'host-cpu', 'native-runner.c');
}

/** Compiles the runner unless a build of the same source is cached; never throws. */
export function buildNativeRunner(): NativeRunnerBuild {
  const compiler = findExecutable('gcc') ?? findExecutable('cc');
  if (!compiler) return { ok: false, reason: 'no C compiler found (apt-get install gcc gcc-multilib)' };
  if (os.arch() !== 'x64' && os.arch() !== 'ia32') return { ok: false, reason: `the host is ${os.arch()}, not x86` };
  let source: Buffer;
  try {
    source = fs.readFileSync(runnerSourcePath());
  } catch (error) {
    return { ok: false, reason: `cannot read native-runner.c: ${(error as Error).message}` };
  }
  const hash = createHash('sha256').update(source).update(compiler).digest('hex').slice(0, 16);
  const directory = path.join(os.tmpdir(), `ntsyscall-hostcpu-${hash}`);
  const executable = path.join(directory, 'native-runner');
  if (!fs.existsSync(executable)) {
    try {
      fs.mkdirSync(directory, { recursive: true });
      const temporary = `${executable}.${process.pid}.tmp`;
      execFileSync(compiler, ['-m32', '-O2', '-Wall', '-o', temporary, runnerSourcePath()], { stdio: ['ignore', 'pipe', 'pipe'] });
      fs.renameSync(temporary, executable); // atomic, so parallel test runs never see half a file
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-3).join(' | ') ?? '';
      return { ok: false, reason: `'${compiler} -m32' cannot build a 32-bit program (${INSTALL_HINT}): ${stderr}` };
    }
  }
  return canExecute(executable) ? { ok: true, executable } : { ok: false, reason: `the 32-bit runner ${executable} does not execute (a kernel without IA-32 emulation, or a noexec temporary folder)` };
}

/** Without arguments the runner prints its usage and exits with status 2: proof the 32-bit binary runs here. */
function canExecute(executable: string): boolean {
  try {
    execFileSync(executable, [], { stdio: ['ignore', 'pipe', 'pipe'] });
    return false;
  } catch (error) {
    return (error as { status?: number | null }).status === 2;
  }
}

export type HostRunResult = { readonly ok: true; readonly records: Uint32Array } | { readonly ok: false; readonly message: string };

/** Runs `jobs` (snippet, first record, count triples) over a copy of `records`; returns the records with outputs. */
export function runOnHost(executable: string, image: Uint8Array, records: Uint32Array, jobs: Uint32Array): HostRunResult {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-hostcpu-run-'));
  try {
    const files = ['image.bin', 'records.bin', 'jobs.bin', 'results.bin'].map((name) => path.join(directory, name));
    fs.writeFileSync(files[0], image);
    fs.writeFileSync(files[1], new Uint8Array(records.buffer, records.byteOffset, records.byteLength));
    fs.writeFileSync(files[2], new Uint8Array(jobs.buffer, jobs.byteOffset, jobs.byteLength));
    try {
      execFileSync(executable, files, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
      return { ok: false, message: `native runner failed: ${stderr || (error as Error).message}` };
    }
    const bytes = fs.readFileSync(files[3]);
    if (bytes.byteLength !== records.byteLength) return { ok: false, message: `native runner returned ${bytes.byteLength} bytes, expected ${records.byteLength}` };
    const result = new Uint32Array(records.length);
    new Uint8Array(result.buffer).set(bytes);
    return { ok: true, records: result };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
