// What the DAP benches share: finding the sample and the adapter, starting a DebugClient against a
// separate adapter process, and waiting for the stop (or the end) a request leads to.
import * as fs from 'fs';
import * as path from 'path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';

/** A stuck adapter should fail the bench, not hang it. */
export const EVENT_TIMEOUT_MS = 20_000;

/** out/bench/dap-client.js -> out/adapter/dap-main.js, whichever outDir tsc wrote to. */
export function adapterMain(): string {
  return path.join(__dirname, '..', 'adapter', 'dap-main.js');
}

/** The compiled bench lives outside the tree when built into another outDir: look for the sample from cwd up. */
export function findReadfileSample(): string {
  let directory = process.cwd();
  for (;;) {
    const candidate = path.join(directory, 'samples', 'programs', 'readfile.asm');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('dap: samples/programs/readfile.asm not found above the working directory');
    directory = parent;
  }
}

/** samples/programs/readfile.asm -> the repository root. */
export function repositoryRootOf(sample: string): string {
  return path.dirname(path.dirname(path.dirname(sample)));
}

/**
 * Built into an outDir outside the tree (/tmp/...), neither this file nor the adapter it spawns finds
 * the repository's node_modules by walking up: resolve from the repository too, and give the adapter
 * process a NODE_PATH that includes it.
 */
export function loadDebugClient(repositoryRoot: string): typeof DebugClient {
  const resolved = require.resolve('@vscode/debugadapter-testsupport', { paths: [__dirname, repositoryRoot] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(resolved) as typeof import('@vscode/debugadapter-testsupport')).DebugClient;
}

export function adapterEnvironment(repositoryRoot: string): NodeJS.ProcessEnv {
  const modules = path.join(repositoryRoot, 'node_modules');
  const existing = process.env.NODE_PATH;
  return { ...process.env, NODE_PATH: existing ? `${existing}${path.delimiter}${modules}` : modules };
}

export function lineMatching(file: string, pattern: RegExp): number {
  const index = fs.readFileSync(file, 'utf8').split('\n').findIndex((line) => pattern.test(line));
  if (index < 0) throw new Error(`dap: ${pattern} not found in ${file}`);
  return index + 1;
}

export function millisecondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Waits for the next `stopped` or `terminated` event, whichever comes first, stamping the moment it
 * arrived. DebugClient.waitForEvent would leave the losing promise to reject later, after its timeout,
 * as an unhandled rejection; plain listeners removed on settling do not.
 */
export function nextStopOrEnd(client: DebugClient): Promise<{ kind: 'stopped' | 'terminated'; at: bigint }> {
  return new Promise((resolve, reject) => {
    const settle = (kind: 'stopped' | 'terminated'): void => {
      const at = process.hrtime.bigint();
      client.removeListener('stopped', onStopped);
      client.removeListener('terminated', onTerminated);
      clearTimeout(timer);
      resolve({ kind, at });
    };
    const onStopped = (): void => settle('stopped');
    const onTerminated = (): void => settle('terminated');
    const timer = setTimeout(() => {
      client.removeListener('stopped', onStopped);
      client.removeListener('terminated', onTerminated);
      reject(new Error(`dap: no stopped or terminated event within ${EVENT_TIMEOUT_MS} ms`));
    }, EVENT_TIMEOUT_MS);
    client.on('stopped', onStopped);
    client.on('terminated', onTerminated);
  });
}

/**
 * Starts an adapter process (`adapter`, default the compiled one) and launches `program` with stopOnEntry;
 * resolves once it stopped on entry, with the moment the stopped event arrived. The process is stopped
 * again if the launch fails.
 */
export async function startAdapterAtEntry(program: string, options: { adapter?: string; environment?: NodeJS.ProcessEnv } = {}): Promise<{ client: DebugClient; stoppedAt: bigint }> {
  const repositoryRoot = repositoryRootOf(program);
  const DebugClientClass = loadDebugClient(repositoryRoot);
  const environment = { ...adapterEnvironment(repositoryRoot), ...options.environment };
  const client = new DebugClientClass('node', options.adapter ?? adapterMain(), 'ntsyscall', { cwd: repositoryRoot, env: environment });
  client.defaultTimeout = EVENT_TIMEOUT_MS;
  try {
    await client.start();
    const stopped = nextStopOrEnd(client);
    const configured = client.waitForEvent('initialized').then(() => client.configurationDoneRequest());
    // launch() sends initialize first; the adapter answers launch only after configurationDone.
    await Promise.all([client.launch({ program, stopOnEntry: true }), configured]);
    const arrived = await stopped;
    if (arrived.kind !== 'stopped') throw new Error('dap: the program ended before stopping on entry');
    return { client, stoppedAt: arrived.at };
  } catch (error) {
    await client.stop();
    throw error;
  }
}
