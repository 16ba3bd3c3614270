// A data breakpoint on NtReadFile's SSDT slot catches the driver that hooks it; pause stops a guest
// spinning in a loop within milliseconds; the guest's exit status reaches the exited event.
import * as assert from 'assert';
import * as fs from 'fs';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { evaluate, launchAndStop, samplePath, startClient, stepAndWait, temporaryProgram, topFrames } from './dap-fixture';

const READFILE = samplePath('programs/readfile.asm');

/** The sample driver when the kernel ships it, else the same hook written here (the same instructions a rootkit uses). */
function ssdtHookDriver(): string {
  const sample = samplePath('drivers/ssdt-hook.asm');
  if (fs.existsSync(sample)) return sample;
  return temporaryProgram('ssdt-hook.asm', `
        bits 32
        org 0x80600000
        extern KeServiceDescriptorTable
        global DriverEntry
        global HookedNtReadFile
DriverEntry:
        mov eax, [KeServiceDescriptorTable]     ; KiServiceTable
        mov ecx, [eax + 0xB7*4]
        mov [OriginalNtReadFile], ecx
        mov dword [eax + 0xB7*4], HookedNtReadFile
        xor eax, eax
        ret 8
HookedNtReadFile:
        jmp dword [OriginalNtReadFile]
OriginalNtReadFile: dd 0
`);
}

describe('DAP: data breakpoints', function () {
  let client: DebugClient;
  beforeEach(async () => { client = await startClient(); });
  afterEach(async () => { await client.stop(); });

  it('a write breakpoint on KiServiceTable[0xB7] stops in the driver that hooks NtReadFile', async () => {
    let dataId: string | null = null;
    const stopped = await launchAndStop(client, {
      launch: { program: READFILE, drivers: [ssdtHookDriver()], syscall: 'int2e' },
      configure: async (c) => {
        const info = await c.dataBreakpointInfoRequest({ name: 'nt!KiServiceTable + 0xB7*4', asAddress: true, bytes: 4 } as DebugProtocol.DataBreakpointInfoArguments);
        dataId = info.body.dataId;
        assert.ok(dataId);
        assert.deepStrictEqual(info.body.accessTypes, ['read', 'write', 'readWrite']);
        const set = await c.setDataBreakpointsRequest({ breakpoints: [{ dataId, accessType: 'write' }] });
        assert.strictEqual(set.body.breakpoints[0].verified, true);
      },
    });
    assert.strictEqual(stopped.body.reason, 'data breakpoint');
    assert.match(stopped.body.description ?? '', /^data breakpoint: write of 0x[0-9A-F]{8} \(nt!KiServiceTable\+0x2dc\)/);
    const frames = await topFrames(client);
    assert.match(frames[0].name, /^ssdt[-_]hook!DriverEntry\+0x[0-9a-f]+$/);
    const ssdt = await client.customRequest('nt.ssdt');
    const entry = ssdt.body.tables[0].entries[0xB7];
    assert.strictEqual(entry.hooked, true);
    assert.match(entry.symbol, /^ssdt[-_]hook!/);
    // the program's NtReadFile now runs the hook first
    const hook = ssdt.body.tables[0].entries[0xB7].address as number;
    await client.setDataBreakpointsRequest({ breakpoints: [] });
    const instruction = await client.send('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${hook.toString(16)}` }] }) as DebugProtocol.SetInstructionBreakpointsResponse;
    assert.strictEqual(instruction.body.breakpoints[0].verified, true);
    const atHook = await stepAndWait(client, () => client.continueRequest({ threadId: 1 }));
    assert.strictEqual(atHook.body.reason, 'instruction breakpoint');
    const names = (await topFrames(client)).map((frame) => frame.name);
    assert.match(names[0], /^ssdt[-_]hook!/);
    assert.ok(names.some((name) => name.startsWith('-- trap frame @')), names.join('\n'));
  });

  it('a variable held in memory offers a data breakpoint; a register does not', async () => {
    await launchAndStop(client, { launch: { program: READFILE, stopOnEntry: true } });
    const frames = await topFrames(client);
    const scopes = await client.scopesRequest({ frameId: frames[0].id });
    const stack = scopes.body.scopes.find((scope) => scope.name === 'Stack')!;
    const registers = scopes.body.scopes.find((scope) => scope.name === 'Registers')!;
    const slot = (await client.variablesRequest({ variablesReference: stack.variablesReference })).body.variables[0];
    const memoryInfo = await client.dataBreakpointInfoRequest({ name: slot.name, variablesReference: stack.variablesReference });
    assert.match(memoryInfo.body.dataId ?? '', /^0x001[23][0-9a-f]{4}:4$/i);
    const registerInfo = await client.dataBreakpointInfoRequest({ name: 'eax', variablesReference: registers.variablesReference });
    assert.strictEqual(registerInfo.body.dataId, null);
    const expressionInfo = await client.dataBreakpointInfoRequest({ name: 'dword [esp-4]' });
    assert.ok(expressionInfo.body.dataId);
  });
});

describe('DAP: pause and exit', function () {
  let client: DebugClient;
  beforeEach(async () => { client = await startClient(); });
  afterEach(async () => { await client.stop(); });

  it('pause interrupts a ring-3 loop (with the clock ticking) within milliseconds', async () => {
    const spin = temporaryProgram('spin.asm', `
        bits 32
        org 0x00400000
        global start
start:
.spin:  inc eax
        jmp .spin
`);
    const initialized = client.waitForEvent('initialized').then(() => client.configurationDoneRequest());
    await Promise.all([client.launch({ program: spin, clock: 5000 }), initialized]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = process.hrtime.bigint();
    const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await client.pauseRequest({ threadId: 1 });
    const event = await stopped;
    const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`      pause -> stopped: ${milliseconds.toFixed(1)} ms`);
    assert.strictEqual(event.body.reason, 'pause');
    assert.ok(milliseconds < 250, `${milliseconds} ms`);
    const frames = await topFrames(client);
    // In the loop, or somewhere on the clock interrupt's path (the handler, KeUpdateSystemTime, and the
    // KiServiceExit2 it leaves through): slices of a fixed size at a fixed clock period can end at the
    // same point of that path every time.
    assert.match(frames[0].name, /^spin!start(\+0x[0-9a-f]+)?$|^nt!(HalpClockInterrupt|KeUpdateSystemTime|KiServiceExit2)\b/);
    assert.ok(Number.parseInt(await evaluate(client, 'eax'), 16) > 0);
    // and it goes on running after a continue, and pauses again
    await client.continueRequest({ threadId: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await client.pauseRequest({ threadId: 1 });
    assert.strictEqual((await again).body.reason, 'pause');
  });

  it('the exited event carries the status of NtTerminateProcess', async () => {
    const exited = client.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
    const terminated = client.waitForEvent('terminated');
    const initialized = client.waitForEvent('initialized').then(() => client.configurationDoneRequest());
    await Promise.all([client.launch({ program: READFILE, trace: 'syscalls' }), initialized]);
    assert.strictEqual((await exited).body.exitCode, 0);
    await terminated;
    await assert.rejects(client.threadsRequest(), /ended/);
  });

  it('the guest\'s console output and the syscall trace reach the Debug Console', async () => {
    const output: DebugProtocol.OutputEvent[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => output.push(event));
    const exited = client.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
    const initialized = client.waitForEvent('initialized').then(() => client.configurationDoneRequest());
    await Promise.all([client.launch({ program: samplePath('programs/hello.asm'), trace: 'syscalls' }), initialized]);
    await exited;
    const stdout = output.filter((event) => event.body.category === 'stdout').map((event) => event.body.output).join('');
    assert.match(stdout, /Hello from ring 3, via the system-call path!/);
    const trace = output.filter((event) => event.body.category === 'console').map((event) => event.body.output).join('');
    assert.match(trace, /^syscall NtWriteFile \(0x112\)/m);
  });

  it('trace: instructions prints each instruction with its symbol on the way to the entry', async () => {
    const lines: string[] = [];
    client.on('output', (event: DebugProtocol.OutputEvent) => { if (event.body.category === 'console') lines.push(event.body.output); });
    const stopped = await launchAndStop(client, { launch: { program: READFILE, stopOnEntry: true, trace: 'instructions' } });
    assert.strictEqual(stopped.body.reason, 'entry');
    assert.match(lines[0], /^nt!KiSystemStartup 0x[0-9A-F]{8} /);
    assert.ok(lines.some((line) => /^nt!KiSystemStartup\+0x[0-9a-f]+ 0x[0-9A-F]{8} lidt /.test(line)), `${lines.length} lines`);
    console.log(`      ${lines.length} instructions traced from KiSystemStartup to the entry`);
  });
});
