// Builds native-runner.c with the system compiler (cached by a hash of the source and the word size) and
// runs a batch of case records through it: on the host CPU, or under a launcher such as qemu-i386.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findExecutable, repositoryRoot } from '../../support/oracle-tools';

/** '32-bit' runs the snippet image as built for the emulator; '64-bit' runs the long-mode image. */
export type RunnerWordSize = '32-bit' | '64-bit';

/** A built runner and how to start it: directly, or as the argument of `launcher` (an emulator like qemu-i386). */
export interface NativeRunner {
  readonly executable: string;
  readonly launcher?: string;
}

export type NativeRunnerBuild = { readonly ok: true; readonly runner: NativeRunner } | { readonly ok: false; readonly reason: string };

const COMPILER_FLAG: Record<RunnerWordSize, string> = { '32-bit': '-m32', '64-bit': '-m64' };
const INSTALL_HINT: Record<RunnerWordSize, string> = { '32-bit': 'apt-get install gcc-multilib', '64-bit': 'apt-get install gcc' };

function runnerSourcePath(): string {
  return path.join(repositoryRoot(), 'test', 'oracle', 'host-cpu', 'native-runner.c');
}

/** Compiles the runner unless a build of the same source is cached; never throws, and does not run it. */
export function compileNativeRunner(wordSize: RunnerWordSize): NativeRunnerBuild {
  const compiler = findExecutable('gcc') ?? findExecutable('cc');
  if (!compiler) return { ok: false, reason: 'no C compiler found (apt-get install gcc gcc-multilib)' };
  if (os.arch() !== 'x64' && os.arch() !== 'ia32') return { ok: false, reason: `the host is ${os.arch()}, not x86` };
  let source: Buffer;
  try {
    source = fs.readFileSync(runnerSourcePath());
  } catch (error) {
    return { ok: false, reason: `cannot read native-runner.c: ${(error as Error).message}` };
  }
  const flag = COMPILER_FLAG[wordSize];
  const hash = createHash('sha256').update(source).update(compiler).update(flag).digest('hex').slice(0, 16);
  const directory = path.join(os.tmpdir(), `ntsyscall-hostcpu-${hash}`);
  const executable = path.join(directory, 'native-runner');
  if (!fs.existsSync(executable)) {
    try {
      fs.mkdirSync(directory, { recursive: true });
      const temporary = `${executable}.${process.pid}.tmp`;
      execFileSync(compiler, [flag, '-O2', '-Wall', '-o', temporary, runnerSourcePath()], { stdio: ['ignore', 'pipe', 'pipe'] });
      fs.renameSync(temporary, executable); // atomic, so parallel test runs never see half a file
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-3).join(' | ') ?? '';
      return { ok: false, reason: `'${compiler} ${flag}' cannot build a ${wordSize} program (${INSTALL_HINT[wordSize]}): ${stderr}` };
    }
  }
  return { ok: true, runner: { executable } };
}

/**
 * Without arguments the runner prints its usage and exits with status 2: proof that it runs here. The usage
 * text matters: on a kernel without IA-32 emulation exec fails with ENOEXEC, Node then hands the file to
 * /bin/sh, and sh's syntax error on the ELF bytes also exits with status 2.
 */
export function runnerExecutes(runner: NativeRunner): boolean {
  const [file, args] = commandLine(runner, []);
  try {
    execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return false;
  } catch (error) {
    const { status, stderr } = error as { status?: number | null; stderr?: Buffer };
    return status === 2 && (stderr?.toString() ?? '').startsWith('usage: ');
  }
}

function commandLine(runner: NativeRunner, args: readonly string[]): [string, string[]] {
  return runner.launcher ? [runner.launcher, [runner.executable, ...args]] : [runner.executable, [...args]];
}

export type HostRunResult = { readonly ok: true; readonly records: Uint32Array } | { readonly ok: false; readonly message: string };

/** Runs `jobs` (snippet, first record, count triples) over a copy of `records`; returns the records with outputs. */
export function runOnHost(runner: NativeRunner, image: Uint8Array, records: Uint32Array, jobs: Uint32Array): HostRunResult {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-hostcpu-run-'));
  try {
    const files = ['image.bin', 'records.bin', 'jobs.bin', 'results.bin'].map((name) => path.join(directory, name));
    fs.writeFileSync(files[0], image);
    fs.writeFileSync(files[1], new Uint8Array(records.buffer, records.byteOffset, records.byteLength));
    fs.writeFileSync(files[2], new Uint8Array(jobs.buffer, jobs.byteOffset, jobs.byteLength));
    const [file, args] = commandLine(runner, files);
    try {
      execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
      return { ok: false, message: `native runner failed${runner.launcher ? ` under ${runner.launcher}` : ''}: ${stderr || (error as Error).message}` };
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
