// The `launch` workload (issue 7: launch under 150 ms), as a person pressing F5 meets it: a fresh adapter
// process (the bundled dist/adapter.js an installed extension runs, or out/adapter/dap-main.js when no
// bundle was built), from spawning it to the `stopped` event on the program's first instruction, with
// stopOnEntry. Measured twice: with an empty assembly cache (the kernel, ntdll and the program are
// assembled: the first launch after a change), and with the cache filled by an earlier launch (every
// launch after that). The process's own start (Node, loading the adapter) is part of both.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { adapterEnvironment, findReadfileSample, loadDebugClient, nextStopOrEnd, repositoryRootOf } from './dap-client';
import { formatSpread, spreadOf, type Spread } from './statistics';

export const LAUNCH_TARGET_MILLISECONDS = 150;
/** Launches measured per cache state, alternating, after one unmeasured launch of each. */
const LAUNCHES_PER_STATE = 7;

export interface DapLaunchResult {
  adapter: string;
  /** Spawn -> stopped on entry, assembling everything (an empty cache). */
  assembling: Spread;
  /** Spawn -> stopped on entry, the modules from the assembly cache. */
  fromCache: Spread;
  /** Node's own start and exit in this environment, for scale: `node -e 0`. */
  nodeStart: Spread;
}

function bundledOrCompiledAdapter(repositoryRoot: string): string {
  const bundle = path.join(repositoryRoot, 'dist', 'adapter.js');
  return fs.existsSync(bundle) ? bundle : path.join(__dirname, '..', 'adapter', 'dap-main.js');
}

async function launchOnce(adapter: string, program: string, cacheFolder: string): Promise<number> {
  const repositoryRoot = repositoryRootOf(program);
  const DebugClientClass = loadDebugClient(repositoryRoot);
  const environment = { ...adapterEnvironment(repositoryRoot), NTSYSCALL_ASSEMBLY_CACHE: cacheFolder };
  const started = process.hrtime.bigint();
  const client = new DebugClientClass('node', adapter, 'ntsyscall', { cwd: repositoryRoot, env: environment });
  try {
    await client.start();
    const stopped = nextStopOrEnd(client);
    const configured = client.waitForEvent('initialized').then(() => client.configurationDoneRequest());
    await Promise.all([client.launch({ program, stopOnEntry: true }), configured]);
    const arrived = await stopped;
    if (arrived.kind !== 'stopped') throw new Error('launch: the program ended before stopping on entry');
    return Number(arrived.at - started) / 1e6;
  } finally {
    await client.stop();
  }
}

function nodeStartMilliseconds(): number {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function measureDapLaunch(): Promise<DapLaunchResult> {
  const program = findReadfileSample();
  const adapter = bundledOrCompiledAdapter(repositoryRootOf(program));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-launch-'));
  const filled = path.join(scratch, 'filled');
  try {
    let emptied = 0;
    const emptyCache = (): string => path.join(scratch, `empty-${emptied++}`);
    await launchOnce(adapter, program, emptyCache());
    await launchOnce(adapter, program, filled);
    const assembling: number[] = [];
    const fromCache: number[] = [];
    for (let launch = 0; launch < LAUNCHES_PER_STATE; launch++) {
      if (launch % 2 === 0) {
        assembling.push(await launchOnce(adapter, program, emptyCache()));
        fromCache.push(await launchOnce(adapter, program, filled));
      } else {
        fromCache.push(await launchOnce(adapter, program, filled));
        assembling.push(await launchOnce(adapter, program, emptyCache()));
      }
    }
    const nodeStart = Array.from({ length: 5 }, nodeStartMilliseconds);
    return { adapter: path.relative(repositoryRootOf(program), adapter), assembling: spreadOf(assembling), fromCache: spreadOf(fromCache), nodeStart: spreadOf(nodeStart) };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export function formatDapLaunch(result: DapLaunchResult): string[] {
  const verdict = (spread: Spread): string => (spread.median < LAUNCH_TARGET_MILLISECONDS ? 'meets' : 'OVER');
  return [
    `F5 to stopped on entry: a fresh adapter process (${result.adapter}), spawn -> stopped event, readfile.asm, median (min-max) of ${LAUNCHES_PER_STATE}`,
    `    assembling kernel, ntdll and program (empty assembly cache) ${formatSpread(result.assembling, 0)} ms (target < ${LAUNCH_TARGET_MILLISECONDS} ms: ${verdict(result.assembling)})`,
    `    modules from the assembly cache                           ${formatSpread(result.fromCache, 0)} ms (target < ${LAUNCH_TARGET_MILLISECONDS} ms: ${verdict(result.fromCache)})`,
    `    for scale: \`node -e 0\` starts and exits in ${formatSpread(result.nodeStart, 0)} ms here`,
  ];
}
