// The machine's debugging hooks (SPEC 3.4): slices, step, breakpoints by linear address, watchpoints,
// stops on vectors / privilege changes / the instruction limit, the interrupt event hook, the clock,
// port 0xE9, and snapshot/restore of the whole state.
import * as assert from 'assert';
import { FLAG_IF } from '../../core/cpu/constants';
import type { InterruptEvent } from '../../core/cpu/interrupts';
import { createProtectedWorld, loadCode, writeGate } from './cpu-fixture';

const LOOP_PROGRAM = `bits 32
org 0x20000
start:  xor eax, eax
        mov ecx, 1000
again:  inc eax
        mov [0x30000], eax
        mov ebx, [0x30010]
        dec ecx
        jnz again
        hlt
`;

describe('machine: debugging hooks (SPEC 3.4)', () => {
  it('runs in slices and counts instructions', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, LOOP_PROGRAM);
    enterRing(0, code.symbol('start'), 0x8000);
    const first = machine.runSlice(100);
    assert.deepStrictEqual([first.reason, first.instructions, machine.instructionCount], ['slice', 100, 100]);
    let total = 100;
    for (;;) {
      const stop = machine.runSlice(1000);
      total += stop.instructions;
      if (stop.reason !== 'slice') { assert.strictEqual(stop.reason, 'hlt'); break; }
    }
    assert.strictEqual(total, 2 + 1000 * 5 + 1);
    assert.strictEqual(machine.instructionCount, total);
  });

  it('step executes exactly one instruction', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, LOOP_PROGRAM);
    enterRing(0, code.symbol('start'), 0x8000);
    const stop = machine.step();
    assert.deepStrictEqual([stop.reason, stop.instructions, stop.eip], ['step', 1, code.symbol('start') + 2]);
    machine.step();
    assert.strictEqual(machine.registers().ecx, 1000);
  });

  it('stops at a breakpoint before the instruction, and continuing executes it', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, LOOP_PROGRAM);
    enterRing(0, code.symbol('start'), 0x8000);
    machine.addBreakpoint(code.symbol('again'));
    let stop = machine.runSlice(1_000_000);
    assert.deepStrictEqual([stop.reason, stop.eip, machine.registers().eax], ['breakpoint', code.symbol('again'), 0]);
    stop = machine.runSlice(1_000_000);
    assert.deepStrictEqual([stop.reason, stop.eip, machine.registers().eax, stop.instructions], ['breakpoint', code.symbol('again'), 1, 5]);
    machine.removeBreakpoint(code.symbol('again'));
    assert.strictEqual(machine.runSlice(1_000_000).reason, 'hlt');
  });

  it('watchpoints stop after a write, a read, or either, on a 1..4096-byte range', () => {
    for (const [access, expected] of [['write', 'write'], ['read', 'read'], ['access', 'write']] as const) {
      const { machine, enterRing } = createProtectedWorld();
      const code = loadCode(machine, LOOP_PROGRAM);
      enterRing(0, code.symbol('start'), 0x8000);
      const address = access === 'read' ? 0x30010 : 0x30000;
      const id = machine.addWatchpoint(address, 4, access);
      assert.strictEqual(typeof id, 'number');
      const stop = machine.runSlice(1_000_000);
      assert.strictEqual(stop.reason, 'watchpoint', access);
      assert.strictEqual(stop.access, expected);
      assert.strictEqual(stop.address, address);
      assert.strictEqual(machine.registers().eax, 1, 'stops in the first iteration');
    }
    const { machine } = createProtectedWorld();
    assert.match(String(machine.addWatchpoint(0x1000, 5000, 'read')), /1 to 4096 bytes/);
  });

  it('stops at the instruction limit', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, LOOP_PROGRAM);
    enterRing(0, code.symbol('start'), 0x8000);
    machine.instructionLimit = 123;
    const stop = machine.runSlice(1_000_000);
    assert.deepStrictEqual([stop.reason, stop.instructions], ['limit', 123]);
  });

  it('the clock raises vector 0x30 every N instructions while IF=1, reported through the event hook', () => {
    const { machine, enterRing } = createProtectedWorld({ clockInterval: 100 });
    const code = loadCode(machine, `bits 32
org 0x20000
start:  sti
spin:   jmp spin
clock:  inc esi
        iretd
`);
    writeGate(machine, 0x30, code.symbol('clock'), 0);
    enterRing(0, code.symbol('start'), 0x8000);
    const events: InterruptEvent[] = [];
    machine.onInterrupt((event) => events.push(event));
    machine.runSlice(1000);
    assert.ok(events.length >= 9 && events.length <= 10, `${events.length} clock interrupts in 1000 instructions`);
    assert.ok(events.every((event) => event.vector === 0x30 && event.kind === 'hardware' && event.handler === code.symbol('clock')));
    assert.strictEqual(machine.registers().esi, events.length);
    machine.cpu.flags &= ~FLAG_IF;
    const before = events.length;
    machine.runSlice(1000);
    assert.strictEqual(events.length, before, 'no clock interrupts while IF=0');
  });

  it('port 0xE9 output reaches the callback', () => {
    const bytes: number[] = [];
    const { machine, enterRing } = createProtectedWorld({ onDebugOutput: (byte) => bytes.push(byte) });
    const code = loadCode(machine, `bits 32
org 0x20000
start:  mov esi, text
        mov ecx, 3
        mov dx, 0xE9
        rep outsb
        mov al, '!'
        out 0xE9, al
        hlt
text:   db 'NT '
`);
    enterRing(0, code.symbol('start'), 0x8000);
    assert.strictEqual(machine.runSlice(100).reason, 'hlt');
    assert.strictEqual(Buffer.from(bytes).toString(), 'NT !');
    assert.strictEqual(machine.debugPort.takeText(), 'NT !');
  });

  it('snapshot and restore bring back registers, memory and the instruction count', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, LOOP_PROGRAM);
    enterRing(0, code.symbol('start'), 0x8000);
    machine.runSlice(52);
    const snapshot = machine.snapshot();
    const registers = machine.registers();
    const count = machine.instructionCount;
    machine.runSlice(3000);
    assert.notStrictEqual(machine.registers().eax, registers.eax);
    machine.restore(snapshot);
    assert.deepStrictEqual(machine.registers(), registers);
    assert.strictEqual(machine.instructionCount, count);
    assert.strictEqual(machine.memory.read32(0x30000), registers.eax);
    const replay = machine.runSlice(3000);
    machine.restore(snapshot);
    const again = machine.runSlice(3000);
    assert.deepStrictEqual([again.reason, again.eip, again.instructions], [replay.reason, replay.eip, replay.instructions], 'execution is deterministic from a snapshot');
    const later = machine.snapshot();
    const shared = later.pages.filter((page, index) => page === snapshot.pages[index]).length;
    assert.ok(shared >= later.pages.length - 4, `unchanged pages are shared between snapshots (${shared} of ${later.pages.length})`);
    assert.notStrictEqual(later.pages[0x30], snapshot.pages[0x30], 'the page the loop writes is copied');
  });

  it('restore brings back code that was rewritten since the snapshot, compiled blocks included', () => {
    const { machine, enterRing } = createProtectedWorld();
    const original = loadCode(machine, LOOP_PROGRAM);
    enterRing(0, original.symbol('start'), 0x8000);
    machine.runSlice(500);                              // the loop is compiled by now
    const snapshot = machine.snapshot();
    const expected = machine.runSlice(1_000);          // still inside the loop
    const expectedRegisters = machine.registers();
    // The host rewrites the loop (inc eax becomes add eax, 3) and runs that compiled too.
    const rewritten = loadCode(machine, LOOP_PROGRAM.replace('inc eax', 'add eax, 3'));
    enterRing(0, rewritten.symbol('start'), 0x8000);
    machine.runSlice(1_500);
    assert.notStrictEqual(machine.registers().eax, expectedRegisters.eax);
    machine.restore(snapshot);
    const replay = machine.runSlice(1_000);
    assert.deepStrictEqual([replay.reason, replay.eip, replay.instructions], [expected.reason, expected.eip, expected.instructions]);
    assert.deepStrictEqual(machine.registers(), expectedRegisters, 'the snapshot\'s own code ran after the restore');
  });

  it('ring 3 cannot execute privileged instructions: #GP(0) for hlt, cli with IOPL 0, mov cr3', () => {
    for (const instruction of ['hlt', 'cli', 'mov cr3, eax', 'lidt [0x1000]', 'in al, 0x60']) {
      const { machine, enterRing } = createProtectedWorld();
      const code = loadCode(machine, `bits 32
org 0x20000
user:   ${instruction}
        nop
gp:     hlt
`);
      writeGate(machine, 13, code.symbol('gp'), 0);
      enterRing(3, code.symbol('user'), 0x70000);
      machine.setStopOnVector(13, true);
      const stop = machine.runSlice(10);
      assert.deepStrictEqual([stop.reason, stop.vector, stop.errorCode], ['exception', 13, 0], instruction);
    }
  });
});

describe('machine: breakpoints on code that has already run (cached and linked instructions)', () => {
  it('a breakpoint added after the loop ran many times still stops there, and is not hit again after removal', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, LOOP_PROGRAM);
    enterRing(0, code.symbol('start'), 0x8000);
    assert.strictEqual(machine.runSlice(2000).reason, 'slice');
    const eax = machine.registers().eax;
    const target = code.symbol('again') + 1;   // the mov after inc: reached only by falling through
    machine.addBreakpoint(target);
    const stop = machine.runSlice(1_000_000);
    assert.deepStrictEqual([stop.reason, stop.eip], ['breakpoint', target]);
    assert.ok(machine.registers().eax === eax + 1 || machine.registers().eax === eax, 'stopped within one iteration');
    machine.removeBreakpoint(target);
    assert.strictEqual(machine.runSlice(1_000_000).reason, 'hlt');
  });
});

describe('machine: a fault loop still yields', () => {
  it('a #GP handler that faults on its own first instruction returns from runSlice and step', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x20000
start:  ud2
`);
    writeGate(machine, 6, 0x00FFFFF0, 0);   // #UD handler beyond RAM: reads 0xFF bytes -> #UD again, forever
    writeGate(machine, 13, 0x00FFFFF0, 0);
    enterRing(0, code.symbol('start'), 0x8000);
    const stop = machine.runSlice(1000);
    assert.ok(stop.reason === 'slice' || stop.reason === 'triple-fault', stop.message);
    const step = machine.step();
    assert.ok(step.reason === 'step' || step.reason === 'triple-fault', step.message);
  });
});
