// Stepping by line and by instruction (over a whole system call), function and conditional
// breakpoints, hit counts and log points; editing registers and memory; disassembly, sources,
// completions and restart. Prints the step and refresh latencies the benchmark asks for.
import * as assert from 'assert';
import * as path from 'path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { evaluate, evaluateNumber, launchAndStop, lineOf, ntdllFileWith, request, samplePath, startClient, stepAndWait, topFrames } from './dap-fixture';

const NTDLL = ntdllFileWith('NtReadFile');
const READFILE = samplePath('programs/readfile.asm');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('DAP: stepping, breakpoints and editing', function () {
  let client: DebugClient;
  const output: string[] = [];
  before(async () => {
    client = await startClient();
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    const entry = await launchAndStop(client, { launch: { program: READFILE, syscall: 'int2e', stopOnEntry: true } });
    assert.strictEqual(entry.body.reason, 'entry');
  });
  after(async () => { await client.stop(); });

  it('stops on entry at the program\'s first line', async () => {
    const [frame] = await topFrames(client);
    assert.strictEqual(frame.name, 'readfile!start');
    assert.strictEqual(frame.source?.path, READFILE);
    assert.strictEqual(frame.line, lineOf(READFILE, /push 0 +; Key/));
  });

  it('stepIn by instruction moves one instruction; edits of registers and memory show at once', async () => {
    const eip = await evaluateNumber(client, 'eip');
    await stepAndWait(client, () => client.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.strictEqual(await evaluateNumber(client, 'eip'), eip + 2, 'push 0 is two bytes');

    const set = await request<DebugProtocol.SetExpressionResponse>(client, 'setExpression', { expression: 'eax', value: '1234' });
    assert.match(set.body.value, /^0x00001234/);
    assert.strictEqual(await evaluateNumber(client, 'ax'), 0x1234);
    const [frame] = await topFrames(client);
    const registers = (await client.scopesRequest({ frameId: frame.id })).body.scopes.find((scope) => scope.name === 'Registers')!;
    await client.setVariableRequest({ variablesReference: registers.variablesReference, name: 'ebx', value: '0n5' });
    assert.strictEqual(await evaluateNumber(client, 'ebx'), 5);
    await assert.rejects(client.setVariableRequest({ variablesReference: registers.variablesReference, name: 'ebx', value: '((' }), /not a value/);

    const ioStatus = await evaluateNumber(client, 'readfile!io_status');
    const memoryEvent = client.waitForEvent('memory');
    const written = await request<DebugProtocol.WriteMemoryResponse>(client, 'writeMemory', { memoryReference: `0x${ioStatus.toString(16)}`, data: Buffer.from([1, 2, 3, 4]).toString('base64') });
    assert.strictEqual(written.body?.bytesWritten, 4);
    await memoryEvent;
    assert.strictEqual(await evaluateNumber(client, `dword [readfile!io_status]`), 0x04030201);
    await request(client, 'setExpression', { expression: 'dword [readfile!io_status]', value: '0' });
    const read = await request<DebugProtocol.ReadMemoryResponse>(client, 'readMemory', { memoryReference: `0x${ioStatus.toString(16)}`, count: 8 });
    assert.deepStrictEqual([...Buffer.from(read.body!.data!, 'base64')], [0, 0, 0, 0, 0, 0, 0, 0]);
    const unmapped = await request<DebugProtocol.ReadMemoryResponse>(client, 'readMemory', { memoryReference: '0x00001000', count: 16 });
    assert.strictEqual(unmapped.body?.unreadableBytes, 16);
  });

  it('function breakpoint, conditional breakpoint and log point in ntdll!NtReadFile; next runs a whole system call', async () => {
    await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'ntdll!NtReadFile', hitCondition: '1' }, { name: 'NoSuchFunction' }] })
      .then((answer) => assert.deepStrictEqual(answer.body.breakpoints.map((breakpoint) => breakpoint.verified), [true, false]));
    const callLine = lineOf(NTDLL, /^NtReadFile:/) + 3;
    const set = await client.setBreakpointsRequest({ source: { path: NTDLL }, breakpoints: [
      { line: callLine - 1, condition: 'eax == b7' }, { line: callLine, logMessage: 'NtReadFile via {poi(edx)}' }, { line: lineOf(NTDLL, /^NtReadFile:/) - 1 } ] });
    assert.deepStrictEqual(set.body.breakpoints.map((breakpoint) => breakpoint.verified), [true, true, true]);
    assert.strictEqual(set.body.breakpoints[2].line, lineOf(NTDLL, /^NtReadFile:/) + 1, 'a comment line moves down to code');

    const atFunction = await stepAndWait(client, () => client.continueRequest({ threadId: 1 }));
    assert.strictEqual(atFunction.body.reason, 'function breakpoint');
    assert.strictEqual((await topFrames(client))[0].name, 'ntdll!NtReadFile');
    const conditional = await stepAndWait(client, () => client.nextRequest({ threadId: 1 }));
    assert.strictEqual((await topFrames(client))[0].line, callLine - 1);
    assert.ok(['step', 'breakpoint'].includes(conditional.body.reason));

    const stepTimes: number[] = [];
    let started = process.hrtime.bigint();
    await stepAndWait(client, () => client.nextRequest({ threadId: 1 }));
    stepTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
    assert.strictEqual((await topFrames(client))[0].line, callLine);
    assert.ok(output.some((line) => /^NtReadFile via 0x7c9[0-9a-f]{5}\n$/.test(line)), output.join(''));

    // over `call dword [edx]`: KiIntSystemCall, int 2Eh, KiSystemService, NtReadFile, iretd - one step
    await stepAndWait(client, () => client.nextRequest({ threadId: 1 }));
    const [afterCall] = await topFrames(client);
    assert.strictEqual(afterCall.line, callLine + 1);
    assert.strictEqual(await evaluateNumber(client, 'eax'), 0, 'STATUS_SUCCESS');
    await stepAndWait(client, () => client.nextRequest({ threadId: 1 }));
    const [back] = await topFrames(client);
    assert.strictEqual(back.name.replace(/\+0x[0-9a-f]+$/, ''), 'readfile!start');
    assert.strictEqual(back.line, lineOf(READFILE, /push eax +; ExitStatus/));

    // latency figures: a step -> stopped and a full refresh, over instruction steps into NtTerminateProcess
    const refreshTimes: number[] = [];
    for (let index = 0; index < 15; index++) {
      started = process.hrtime.bigint();
      await stepAndWait(client, () => client.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      stepTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
      started = process.hrtime.bigint();
      const frames = await topFrames(client);
      const scopes = await client.scopesRequest({ frameId: frames[0].id });
      await client.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      await Promise.all([client.customRequest('nt.idt'), client.customRequest('nt.ssdt'), client.customRequest('nt.kernelStack')]);
      refreshTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    console.log(`      next -> stopped median ${median(stepTimes).toFixed(2)} ms; stopped -> full refresh median ${median(refreshTimes).toFixed(2)} ms`);
  });

  it('disassembles around EIP with symbols and source lines, lists the loaded sources, completes names', async () => {
    const eip = await evaluateNumber(client, 'readfile!start+8');
    const disassembly = await client.disassembleRequest({ memoryReference: `0x${eip.toString(16)}`, instructionOffset: -3, instructionCount: 8 });
    const instructions = disassembly.body!.instructions;
    assert.strictEqual(instructions.length, 8);
    assert.strictEqual(parseInt(instructions[3].address, 16), eip);
    assert.ok(instructions.every((instruction) => instruction.location?.path === READFILE && typeof instruction.line === 'number'));
    const kernel = await client.disassembleRequest({ memoryReference: `0x${(await evaluateNumber(client, 'nt!KiSystemService')).toString(16)}`, instructionCount: 2 });
    assert.strictEqual(kernel.body!.instructions[0].symbol, 'nt!KiSystemService');

    const sources = (await request<DebugProtocol.LoadedSourcesResponse>(client, 'loadedSources', {})).body.sources.map((source) => path.basename(source.path ?? ''));
    for (const file of ['ntoskrnl.asm', 'systemcall.inc', 'ntdll.asm', 'readfile.asm']) assert.ok(sources.includes(file), `${file} in ${sources.join(', ')}`);

    const completions = await client.completionsRequest({ text: 'nt!KiSys', column: 9 });
    assert.ok(completions.body.targets.some((target) => target.label === 'nt!KiSystemService'));
    const commands = await client.completionsRequest({ text: '!i', column: 3 });
    assert.ok(commands.body.targets.some((target) => target.label === '!idt'));
  });

  it('restart boots again and stops on entry', async () => {
    const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await client.send('restart', {});
    assert.strictEqual((await stopped).body.reason, 'entry');
    assert.strictEqual((await topFrames(client))[0].name, 'readfile!start');
    assert.match(await evaluate(client, 'k', 'repl'), /^00 00400000 readfile!start/);
  });
});
