// Exception filters stop on the handler's first instruction and say what happened; the custom requests
// answer with the SPEC 6 shapes decoded from guest memory.
import * as assert from 'assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { evaluate, evaluateNumber, launchAndStop, samplePath, startClient, stepAndWait, temporaryProgram, topFrames } from './dap-fixture';

const READFILE = samplePath('programs/readfile.asm');

describe('DAP: exception filters', function () {
  let client: DebugClient;
  beforeEach(async () => { client = await startClient(); });
  afterEach(async () => { await client.stop(); });

  it('int2e stops at nt!KiSystemService with the gate described, and exceptionInfo agrees', async () => {
    const stopped = await launchAndStop(client, {
      launch: { program: READFILE, syscall: 'int2e' },
      configure: async (c) => { await c.setExceptionBreakpointsRequest({ filters: ['int2e'] }); },
    });
    assert.strictEqual(stopped.body.reason, 'exception');
    assert.strictEqual(stopped.body.description, 'int 0x2e from ring 3: IDT[0x2E] -> nt!KiSystemService (interrupt gate, DPL 3)');
    assert.strictEqual((await topFrames(client))[0].name, 'nt!KiSystemService');
    const info = await client.exceptionInfoRequest({ threadId: 1 });
    assert.strictEqual(info.body.exceptionId, 'int2e');
    assert.strictEqual(info.body.description, stopped.body.description);
  });

  it('sysenter stops at nt!KiFastCallEntry on the SYSENTER_ESP stack', async () => {
    const stopped = await launchAndStop(client, {
      launch: { program: READFILE, syscall: 'sysenter' },
      configure: async (c) => { await c.setExceptionBreakpointsRequest({ filters: ['sysenter'] }); },
    });
    assert.strictEqual(stopped.body.reason, 'exception');
    assert.match(stopped.body.description ?? '', /^sysenter from ring 3 at ntdll!KiFastSystemCall\+0x2: IA32_SYSENTER_EIP -> nt!KiFastCallEntry \(CS 0x08, ESP 0x[0-9A-F]{8}\)$/);
    assert.strictEqual((await topFrames(client))[0].name, 'nt!KiFastCallEntry');
    const msr = await client.customRequest('nt.msr');
    assert.strictEqual(await evaluateNumber(client, 'esp'), msr.body.sysenterEsp);
  });

  it('interrupt with a vector list stops only on those vectors; ring stops on the way back to ring 3', async () => {
    const stopped = await launchAndStop(client, {
      launch: { program: READFILE, syscall: 'int2e' },
      configure: async (c) => {
        const answer = await c.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'interrupt', condition: '0x2a, 0x2e' }] });
        assert.deepStrictEqual(answer.body?.breakpoints?.map((breakpoint) => breakpoint.verified), [true]);
      },
    });
    assert.match(stopped.body.description ?? '', /^int 0x2e from ring 3/);
    await client.setExceptionBreakpointsRequest({ filters: ['ring'] });
    const ring = await stepAndWait(client, () => client.continueRequest({ threadId: 1 }));
    assert.strictEqual(ring.body.reason, 'exception');
    assert.match(ring.body.description ?? '', /^ring 0 -> ring 3 at ntdll!KiIntSystemCall\+0x6$/);
    const bad = await client.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'interrupt', condition: 'vector 300' }] });
    assert.strictEqual(bad.body?.breakpoints?.[0].verified, false);
  });

  it('windows: win2k-sp4 builds kernel and ntdll with that numbering: eax = 0xA1 = nt!NtReadFile in the SSDT', async () => {
    await launchAndStop(client, {
      launch: { program: READFILE, syscall: 'int2e', windows: 'win2k-sp4' },
      configure: async (c) => { await c.setExceptionBreakpointsRequest({ filters: ['int2e'] }); },
    });
    assert.strictEqual(await evaluateNumber(client, 'eax'), 0xa1);
    const ssdt = await client.customRequest('nt.ssdt');
    const entry = ssdt.body.tables[0].entries.find((candidate: { index: number }) => candidate.index === 0xa1);
    assert.strictEqual(entry.symbol, 'nt!NtReadFile');
    assert.strictEqual(entry.argumentBytes, 36);
  });
});

describe('DAP: exception and hardware filters', function () {
  let client: DebugClient;
  beforeEach(async () => { client = await startClient(); });
  afterEach(async () => { await client.stop(); });

  it('exception stops on KiTrap03 after an int3 in ring 3', async () => {
    const program = temporaryProgram('breakpoint.asm', 'bits 32\norg 0x400000\nglobal start\nstart:\n        int3\n        hlt\n');
    const stopped = await launchAndStop(client, {
      launch: { program },
      configure: async (c) => { await c.setExceptionBreakpointsRequest({ filters: ['exception'] }); },
    });
    assert.match(stopped.body.description ?? '', /^#BP breakpoint from ring 3: IDT\[0x03\] -> nt!KiTrap03 \(interrupt gate, DPL 3\)$/i);
    assert.strictEqual((await topFrames(client))[0].name, 'nt!KiTrap03');
  });

  it('hardware stops on the clock interrupt handler', async () => {
    const program = temporaryProgram('loop.asm', 'bits 32\norg 0x400000\nglobal start\nstart:\n.spin:  jmp .spin\n');
    const stopped = await launchAndStop(client, {
      launch: { program, clock: 2000 },
      configure: async (c) => { await c.setExceptionBreakpointsRequest({ filters: ['hardware'] }); },
    });
    assert.match(stopped.body.description ?? '', /^hardware interrupt 0x30 from ring [03]: IDT\[0x30\] -> nt!HalpClockInterrupt \(interrupt gate, DPL 0\)$/);
    assert.strictEqual((await topFrames(client))[0].name, 'nt!HalpClockInterrupt');
  });
});

describe('DAP: the NT views', function () {
  let client: DebugClient;
  before(async () => {
    client = await startClient();
    await launchAndStop(client, { launch: { program: READFILE, syscall: 'int2e', stopOnEntry: true } });
  });
  after(async () => { await client.stop(); });

  it('nt.idt: 0x2E is a DPL 3 interrupt gate to nt!KiSystemService through selector 0x08', async () => {
    const idt = await client.customRequest('nt.idt');
    const gate = idt.body.entries[0x2E];
    assert.strictEqual(idt.body.entries.length, 256);
    assert.deepStrictEqual(
      { vector: gate.vector, present: gate.present, type: gate.type, selector: gate.selector, dpl: gate.dpl, symbol: gate.symbol, category: gate.category },
      { vector: 0x2E, present: true, type: 'interrupt', selector: 0x08, dpl: 3, symbol: 'nt!KiSystemService', category: 'system' });
    assert.strictEqual(gate.offset, await evaluateNumber(client, 'nt!KiSystemService'));
  });

  it('nt.ssdt: entry 0xB7 is nt!NtReadFile with 36 argument bytes, not hooked', async () => {
    const ssdt = await client.customRequest('nt.ssdt');
    const table = ssdt.body.tables[0];
    assert.strictEqual(table.base, await evaluateNumber(client, 'nt!KiServiceTable'));
    assert.ok(table.count > 0xB7);
    const entry = table.entries[0xB7];
    assert.deepStrictEqual({ index: entry.index, symbol: entry.symbol, argumentBytes: entry.argumentBytes, hooked: entry.hooked },
      { index: 0xB7, symbol: 'nt!NtReadFile', argumentBytes: 36, hooked: false });
  });

  it('nt.tss, nt.kernelStack, nt.gdt, nt.msr and nt.translate agree with each other', async () => {
    const tss = await client.customRequest('nt.tss');
    assert.strictEqual(tss.body.selector, 0x28);
    assert.strictEqual(tss.body.fields.ss0, 0x10);
    const stack = await client.customRequest('nt.kernelStack');
    assert.strictEqual(stack.body.top, 0xF8A3E000);
    assert.strictEqual(tss.body.fields.esp0, stack.body.top - 0x220, 'Esp0 = InitialStack - NPX area - V86 fields');
    assert.ok(stack.body.entries.length > 0 && stack.body.entries.every((entry: { address: number }) => entry.address < stack.body.top));
    const gdt = await client.customRequest('nt.gdt');
    assert.strictEqual(gdt.body.entries[0x38 / 8].name, 'KGDT_R3_TEB');
    const msr = await client.customRequest('nt.msr');
    // without SEP (syscall: int2e) the kernel leaves the MSRs alone; rdmsr reads the same value
    assert.strictEqual(await evaluate(client, 'rdmsr 174', 'repl'), `msr[174] = 00000000\`${msr.body.sysenterCs.toString(16).padStart(8, '0')}`);
    assert.match(msr.body.tsc, /^0x[0-9a-f]{16}$/);
    const shared = await client.customRequest('nt.translate', { address: 0x7FFE0300 });
    const kernelView = await client.customRequest('nt.translate', { address: 'ffdf0300' });
    assert.strictEqual(shared.body.ok, true);
    assert.strictEqual(shared.body.physical, kernelView.body.physical, 'one page, two views');
    assert.deepStrictEqual([shared.body.user, shared.body.writable, kernelView.body.user, kernelView.body.writable], [true, false, false, true]);
    const unmapped = await client.customRequest('nt.translate', { address: 0x1000 });
    assert.strictEqual(unmapped.body.ok, false);
    assert.match(unmapped.body.fault, /not present/);
  });

  it('REPL commands answer in WinDbg words', async () => {
    assert.match(await evaluate(client, 'dps nt!KiServiceTable+b7*4 L1', 'repl'), /^[0-9a-f]{8}  [0-9a-f]{8} nt!NtReadFile$/);
    assert.match(await evaluate(client, 'rdmsr 176', 'repl'), /^msr\[176\] = 00000000`[0-9a-f]{8}$/);
    assert.match(await evaluate(client, 'r', 'repl'), /^eax=[0-9a-f]{8} ebx=/);
    assert.match(await evaluate(client, 'dt _KTSS', 'repl'), /\+0x004 Esp0 +: 0xf8a3dde0/);
    assert.match(await evaluate(client, 'u', 'repl'), /^readfile!start:\n00400000 /);
    assert.match(await evaluate(client, '!pcr', 'repl'), /^KPCR for Processor 0 at ffdff000:/);
    assert.match(await evaluate(client, 'db 7ffe0300 L8', 'repl'), /^7ffe0300  [0-9a-f]{2}( [0-9a-f]{2}){7} +/);
    assert.match(await evaluate(client, 'dd nt!KeServiceDescriptorTable L4', 'repl'), /^[0-9a-f]{8}  [0-9a-f]{8} 00000000 [0-9a-f]{8} [0-9a-f]{8}$/);
    assert.match(await evaluate(client, 'dg 8 10', 'repl'), /^0008 00000000 ffffffff Code RE/m);
    assert.strictEqual(await evaluate(client, '? 2e*8', 'repl'), 'Evaluate expression: 368 = 00000170');
    await assert.rejects(client.evaluateRequest({ expression: 'dt _NOSUCH', context: 'repl' }), /unknown type/);
    await assert.rejects(client.evaluateRequest({ expression: 'db 1000', context: 'repl' }).then((r) => { if (r.body.result.includes('??')) throw new Error('unmapped shows ??'); }), /unmapped shows \?\?/);
  });
});
