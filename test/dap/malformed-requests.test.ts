// Thousands of malformed and random requests (seeded, so a failure replays): every one is answered,
// and afterwards the adapter process is alive and answers a well-formed request. Also: requests before
// launch and after the end, broken protocol frames, and assembly errors at launch.
import * as assert from 'assert';
import type { Writable } from 'stream';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchAndStop, startClient, temporaryProgram } from './dap-fixture';

const REQUESTS = 3000;
const SEED = 0x2E2E2E;
const COMMANDS = [
  'initialize', 'launch', 'attach', 'restartFrame', 'setBreakpoints', 'setFunctionBreakpoints', 'setExceptionBreakpoints',
  'setInstructionBreakpoints', 'setDataBreakpoints', 'dataBreakpointInfo', 'configurationDone', 'continue', 'next', 'stepIn',
  'stepOut', 'stepBack', 'reverseContinue', 'goto', 'pause', 'stackTrace', 'scopes', 'variables', 'setVariable', 'setExpression',
  'source', 'threads', 'terminateThreads', 'evaluate', 'stepInTargets', 'gotoTargets', 'completions', 'exceptionInfo',
  'loadedSources', 'readMemory', 'writeMemory', 'disassemble', 'cancel', 'breakpointLocations', 'modules',
  'nt.idt', 'nt.gdt', 'nt.tss', 'nt.ssdt', 'nt.kernelStack', 'nt.msr', 'nt.translate', 'nt.nothing', 'bogus', '', '__proto__', 'constructor',
];
const FIELDS = [
  'threadId', 'frameId', 'variablesReference', 'name', 'value', 'expression', 'context', 'source', 'breakpoints', 'lines',
  'filters', 'filterOptions', 'memoryReference', 'offset', 'count', 'instructionCount', 'instructionOffset', 'data', 'text',
  'column', 'line', 'dataId', 'accessType', 'address', 'granularity', 'start', 'levels', 'startFrame', 'asAddress', 'bytes',
  'instructionReference', 'condition', 'hitCondition', 'logMessage', 'path', 'program', 'arguments', 'filter', '__proto__',
];
const STRINGS = ['', 'eax', '[esp+4]', 'dword [edx+8]', '!idt 2e', '!idt zz', 'dt', 'dps', 'u ffffffff L400', '((((', '0x', 'poi(0)',
  '0xFFFFFFFF', '-1', 'nt!KiSystemService', '{eax}', '{_stack}', '\u0000', 'readWrite', 'instruction', 'hover', 'repl', 'AAAA', 'ZZ==',
  '0x00400000:4', 'k', 'r', 'rdmsr 0', '../../etc/passwd', 'x'.repeat(5000)];

/** xorshift32: the same requests every run. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 0x100000000;
  };
}

function randomValue(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * 11);
  switch (pick) {
    case 0: return undefined;
    case 1: return null;
    case 2: return Math.floor(next() * 8) - 2;
    case 3: return [0, 1, 2, -1, 0x7FFFFFFF, 2 ** 53, 1.5, NaN, 0x2E, 1000, 1e9][Math.floor(next() * 11)];
    case 4: case 5: return STRINGS[Math.floor(next() * STRINGS.length)];
    case 6: return next() < 0.5;
    case 7: return depth > 2 ? [] : Array.from({ length: Math.floor(next() * 3) }, () => randomValue(next, depth + 1));
    default: return depth > 2 ? {} : randomObject(next, depth + 1);
  }
}

function randomObject(next: () => number, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const count = Math.floor(next() * 5);
  for (let index = 0; index < count; index++) object[FIELDS[Math.floor(next() * FIELDS.length)]] = randomValue(next, depth);
  return object;
}

function randomArguments(next: () => number): unknown {
  const shape = next();
  if (shape < 0.1) return undefined;
  if (shape < 0.15) return [1, 2];
  if (shape < 0.2) return 'arguments';
  const object = randomObject(next, 0);
  // Half of the requests are nearly right: a valid thread, a real frame, then one wrong field.
  if (shape < 0.6) object.threadId = next() < 0.8 ? 1 : 7;
  if (shape < 0.5) object.frameId = Math.floor(next() * 4);
  return object;
}

function rawWrite(client: DebugClient, text: string): void {
  (client as unknown as { outputStream: Writable }).outputStream.write(text);
}

describe('DAP: bad input never ends the adapter', function () {
  let client: DebugClient;
  afterEach(async () => { await client.stop(); });

  it('answers requests before launch with errors, not silence', async () => {
    client = await startClient();
    await client.initializeRequest();
    for (const command of ['threads', 'stackTrace', 'evaluate', 'continue', 'nt.idt', 'readMemory']) {
      await assert.rejects(client.send(command, { threadId: 1, expression: 'eax', memoryReference: '0x0', count: 4 }), /launch/, command);
    }
  });

  it('fails a launch with assembly errors as file:line:col lines in the Debug Console', async () => {
    client = await startClient();
    const program = temporaryProgram('broken.asm', 'bits 32\norg 0x400000\nglobal start\nstart:\n        movl eax, 1\n        push\n');
    const output: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    await assert.rejects(client.launch({ program }), /assembly failed with 2 errors; fix broken\.asm:5:9/);
    assert.ok(output.some((line) => line.startsWith(`${program}:5:9: `)), output.join(''));
    assert.ok(output.some((line) => line.startsWith(`${program}:6:`)), output.join(''));
    await assert.rejects(client.launch({ program: 42 }), /'program' must be a file/);
    await assert.rejects(client.launch({ syscall: 'syscall' }), /'syscall' must be auto, sysenter or int2e/);
  });

  it(`survives ${REQUESTS} random and malformed requests, then answers a well-formed one`, async () => {
    client = await startClient();
    // A guest that never exits (it keeps asking the kernel for the tick count), so random continues cannot end the session.
    const forever = temporaryProgram('forever.asm', 'bits 32\norg 0x400000\nglobal start\nstart:\n.again: int 0x2A\n        jmp .again\n');
    await launchAndStop(client, { launch: { program: forever, syscall: 'int2e', stopOnEntry: true } });
    // protocol-level garbage first: not JSON, not an object, no command
    rawWrite(client, 'Content-Length: 5\r\n\r\n{{{{{');
    rawWrite(client, 'Content-Length: 4\r\n\r\nnull');
    rawWrite(client, 'Content-Length: 27\r\n\r\n{"type":"request","seq":99}');
    const next = random(SEED);
    let answered = 0;
    let failed = 0;
    const internal: string[] = [];
    const batch = 50;
    for (let sent = 0; sent < REQUESTS; sent += batch) {
      const pending: Promise<void>[] = [];
      for (let index = 0; index < batch; index++) {
        const command = COMMANDS[Math.floor(next() * COMMANDS.length)];
        const args = randomArguments(next);
        const answer = Promise.race([client.send(command, args), new Promise((_, reject) => setTimeout(() => reject(new Error(`NO ANSWER to ${command} ${JSON.stringify(args)}`)), 20_000))]);
        pending.push(answer.then(() => { answered++; }, (error: Error) => {
          if (error.message.startsWith('NO ANSWER')) throw error;
          answered++;
          failed++;
          assert.ok(error.message.length > 0, `${command}: an error needs a message`);
          if (/internal error|Cannot read|is not a function|undefined/.test(error.message)) internal.push(`${command} ${JSON.stringify(args)?.slice(0, 200)}: ${error.message.split('\n')[0]}`);
        }));
      }
      await Promise.all(pending);
    }
    assert.strictEqual(answered, REQUESTS);
    assert.deepStrictEqual(internal.slice(0, 10), [], 'every refusal is a sentence about the request, not a crash');
    assert.ok(failed > REQUESTS / 2, `${failed} of ${REQUESTS} failed`);
    // whatever state the random requests left, the session still answers
    await client.pauseRequest({ threadId: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const threads = await client.threadsRequest();
    assert.deepStrictEqual(threads.body.threads.map((thread) => thread.id), [1]);
    const idt = await client.customRequest('nt.idt');
    assert.strictEqual(idt.body.entries.length, 256);
  });
});
