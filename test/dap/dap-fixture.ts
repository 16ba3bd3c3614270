// Starts the built adapter as a separate process (`node <out>/adapter/dap-main.js`) under DebugClient,
// and knows the sample files and lines the suites stop at.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { repositoryRoot } from '../support/oracle-tools';

/** out/ or whichever directory tsc wrote this file under: <outDir>/test/dap. */
export const ADAPTER_MAIN = path.resolve(__dirname, '..', '..', 'adapter', 'dap-main.js');

export function samplePath(relative: string): string {
  return path.join(repositoryRoot(), 'samples', relative);
}

/** The 1-based line of the first line of `file` matching `pattern`. */
export function lineOf(file: string, pattern: RegExp): number {
  const index = fs.readFileSync(file, 'utf8').split('\n').findIndex((line) => pattern.test(line));
  assert.ok(index >= 0, `${pattern} not found in ${file}`);
  return index + 1;
}

export async function startClient(): Promise<DebugClient> {
  const client = new DebugClient('node', ADAPTER_MAIN, 'ntsyscall', { cwd: repositoryRoot() });
  client.defaultTimeout = 60_000;
  await client.start();
  return client;
}

/** Writes an .asm file into a fresh temporary folder. */
export function temporaryProgram(name: string, source: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-dap-'));
  const file = path.join(folder, name);
  fs.writeFileSync(file, source);
  return file;
}

export interface LaunchWith {
  launch: Record<string, unknown>;
  /** Requests to send between `initialized` and configurationDone. */
  configure?: (client: DebugClient) => Promise<void>;
}

/** initialize is done; launches, configures, and waits for the first stop. */
export async function launchAndStop(client: DebugClient, options: LaunchWith): Promise<DebugProtocol.StoppedEvent> {
  const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  const configured = client.waitForEvent('initialized').then(async () => {
    if (options.configure) await options.configure(client);
    await client.configurationDoneRequest();
  });
  await Promise.all([client.launch(options.launch), configured]);
  return stopped;
}

export async function topFrames(client: DebugClient): Promise<DebugProtocol.StackFrame[]> {
  const trace = await client.stackTraceRequest({ threadId: 1 });
  return trace.body.stackFrames;
}

export async function evaluate(client: DebugClient, expression: string, context = 'watch'): Promise<string> {
  const response = await client.evaluateRequest({ expression, context });
  return response.body.result;
}

/** The number at the start of an evaluate result (`0x0000002e (46)`). */
export async function evaluateNumber(client: DebugClient, expression: string): Promise<number> {
  const text = await evaluate(client, expression);
  return parseInt(text.split(' ')[0], 16);
}

export async function stepAndWait(client: DebugClient, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await request();
  return stopped;
}

/** A request DebugClient has no helper for, typed by its response. */
export async function request<T extends DebugProtocol.Response>(client: DebugClient, command: string, args: object): Promise<T> {
  return await client.send(command, args) as T;
}

/** The ntdll source file that holds `label:` (the stubs live in generated/<version>/nt-stubs.inc or in ntdll.asm). */
export function ntdllFileWith(label: string): string {
  const candidates = [samplePath('ntdll/ntdll.asm'), samplePath('ntdll/generated/xp-sp3/nt-stubs.inc')];
  const found = candidates.find((file) => fs.existsSync(file) && new RegExp(`^${label}:`, 'm').test(fs.readFileSync(file, 'utf8')));
  assert.ok(found, `no ntdll source defines ${label}`);
  return found;
}
