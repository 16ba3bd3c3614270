// System behaviour from the Intel SDM vol. 3: interrupts through IDT gates with the stack switch,
// the gate DPL check, iretd to an outer ring, sysenter/sysexit, double and triple faults, hlt.
import * as assert from 'assert';
import {
  createProtectedWorld, IDT_BASE, KERNEL_STACK_TOP, KGDT_R0_CODE, KGDT_R0_DATA, KGDT_R3_CODE, KGDT_R3_DATA, loadCode, TSS_BASE,
  writeDescriptor, writeGate,
} from './cpu-fixture';
import { FLAG_IF } from '../../core/cpu/constants';
import type { InterruptEvent } from '../../core/cpu/interrupts';

const USER_STACK = 0x70000;

describe('cpu: interrupts and privilege (SDM vol. 3 ch. 6)', () => {
  it('int 0x2e from ring 3 through a DPL 3 gate lands at CPL 0 with ESP = TSS.Esp0 - 0x14 and the five dwords', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x20000
user:   mov eax, 0xB7
        int 0x2e
after:  hlt
handler: hlt
`);
    writeGate(machine, 0x2e, code.symbol('handler'), 3);
    enterRing(3, code.symbol('user'), USER_STACK);
    machine.cpu.flags |= FLAG_IF;
    machine.setStopOnVector(0x2e, true);
    const stop = machine.runSlice(100);
    assert.strictEqual(stop.reason, 'interrupt');
    const registers = machine.registers();
    assert.strictEqual(registers.eip, code.symbol('handler'));
    assert.strictEqual(registers.cpl, 0);
    assert.strictEqual(registers.cs.selector, KGDT_R0_CODE);
    assert.strictEqual(registers.ss.selector, KGDT_R0_DATA);
    assert.strictEqual(registers.esp, KERNEL_STACK_TOP - 0x14);
    const frame = [0, 4, 8, 12, 16].map((offset) => machine.memory.read32(KERNEL_STACK_TOP - 0x14 + offset));
    assert.deepStrictEqual(frame, [code.symbol('after'), KGDT_R3_CODE | 3, frame[2], USER_STACK, KGDT_R3_DATA | 3]);
    assert.ok((frame[2] & FLAG_IF) !== 0, 'the pushed EFLAGS keeps IF=1');
    assert.strictEqual(registers.eflags & FLAG_IF, 0, 'an interrupt gate clears IF');
  });

  it('int n from ring 3 through a DPL 0 gate raises #GP with error code n*8+2 at the int instruction', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x20000
user:   int 0x2e
        hlt
gp:     hlt
kernel: hlt
`);
    writeGate(machine, 0x2e, code.symbol('kernel'), 0);
    writeGate(machine, 13, code.symbol('gp'), 0);
    enterRing(3, code.symbol('user'), USER_STACK);
    const events: InterruptEvent[] = [];
    machine.onInterrupt((event) => events.push(event));
    machine.setStopOnExceptions(true);
    const stop = machine.runSlice(100);
    assert.strictEqual(stop.reason, 'exception');
    assert.strictEqual(stop.vector, 13);
    assert.strictEqual(stop.errorCode, 0x2e * 8 + 2);
    assert.strictEqual(machine.registers().eip, code.symbol('gp'));
    const esp = machine.registers().esp;
    assert.strictEqual(esp, KERNEL_STACK_TOP - 0x18, 'error code plus the five dwords');
    assert.strictEqual(machine.memory.read32(esp), 0x2e * 8 + 2);
    assert.strictEqual(machine.memory.read32(esp + 4), code.symbol('user'), 'a fault pushes the EIP of the int instruction');
    assert.deepStrictEqual(events.map((event) => [event.vector, event.kind, event.fromCpl, event.toCpl]), [[13, 'exception', 3, 0]]);
  });

  it('iretd to ring 3 restores CS, EIP, EFLAGS, SS and ESP from the frame', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x20000
user:   mov ebx, esp
        int 0x2e
back:   mov ecx, esp
        hlt
handler:
        mov eax, 0x1234
        iretd
`);
    writeGate(machine, 0x2e, code.symbol('handler'), 3);
    enterRing(3, code.symbol('user'), USER_STACK);
    machine.setStopOnPrivilegeChange(true);
    let stop = machine.runSlice(100);
    assert.strictEqual(stop.reason, 'privilege-change');
    assert.strictEqual(machine.registers().cpl, 0);
    stop = machine.runSlice(100);
    assert.strictEqual(stop.reason, 'privilege-change');
    const registers = machine.registers();
    assert.strictEqual(registers.cpl, 3);
    assert.strictEqual(registers.eip, code.symbol('back'));
    assert.strictEqual(registers.cs.selector, KGDT_R3_CODE | 3);
    assert.strictEqual(registers.ss.selector, KGDT_R3_DATA | 3);
    assert.strictEqual(registers.esp, USER_STACK);
    assert.strictEqual(registers.eax, 0x1234);
  });

  it('sysenter and sysexit load CS/SS/ESP/EIP from the MSRs, ECX and EDX (SDM SYSENTER/SYSEXIT)', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x20000
user:   mov edx, esp
        sysenter
ret3:   hlt
entry:  mov ecx, 0x6F000
        mov edx, ret3
        sysexit
`);
    const cpu = machine.cpu;
    cpu.sysenterCs = KGDT_R0_CODE;
    cpu.sysenterEsp = 0x8000;
    cpu.sysenterEip = code.symbol('entry');
    enterRing(3, code.symbol('user'), USER_STACK);
    cpu.flags |= FLAG_IF;
    machine.setStopOnSysenter(true);
    machine.setStopOnSysexit(true);
    let stop = machine.runSlice(100);
    assert.strictEqual(stop.reason, 'sysenter');
    let registers = machine.registers();
    assert.deepStrictEqual(
      [registers.cpl, registers.cs.selector, registers.ss.selector, registers.esp, registers.eip, registers.edx, registers.eflags & FLAG_IF],
      [0, 0x08, 0x10, 0x8000, code.symbol('entry'), USER_STACK, 0],
    );
    stop = machine.runSlice(100);
    assert.strictEqual(stop.reason, 'sysexit');
    registers = machine.registers();
    assert.deepStrictEqual(
      [registers.cpl, registers.cs.selector, registers.ss.selector, registers.esp, registers.eip],
      [3, 0x1B, 0x23, 0x6F000, code.symbol('ret3')],
    );
  });

  it('sysenter with SYSENTER_CS = 0 and sysexit from ring 3 raise #GP(0)', () => {
    for (const instruction of ['sysenter', 'sysexit']) {
      const { machine, enterRing } = createProtectedWorld();
      const code = loadCode(machine, `bits 32
org 0x20000
user:   ${instruction}
        hlt
gp:     hlt
`);
      writeGate(machine, 13, code.symbol('gp'), 0);
      machine.cpu.sysenterCs = instruction === 'sysenter' ? 0 : KGDT_R0_CODE;
      enterRing(3, code.symbol('user'), USER_STACK);
      machine.setStopOnExceptions(true);
      const stop = machine.runSlice(10);
      assert.strictEqual(stop.reason, 'exception', instruction);
      assert.strictEqual(stop.vector, 13, instruction);
      assert.strictEqual(stop.errorCode, 0, instruction);
      assert.strictEqual(machine.memory.read32(machine.registers().esp + 4), code.symbol('user'), instruction);
    }
  });

  it('a #GP whose gate is not present becomes #DF; a fault delivering #DF is a triple fault', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x20000
start:  mov ax, 0x77
        mov ds, ax
        hlt
df:     hlt
`);
    writeGate(machine, 13, code.symbol('df'), 0, 0xE, KGDT_R0_CODE, false);
    writeGate(machine, 8, code.symbol('df'), 0);
    enterRing(0, code.symbol('start'), 0x8000);
    machine.setStopOnVector(8, true);
    const stop = machine.runSlice(10);
    assert.strictEqual(stop.reason, 'exception');
    assert.strictEqual(stop.vector, 8);
    assert.strictEqual(machine.registers().eip, code.symbol('df'));
    assert.strictEqual(machine.memory.read32(machine.registers().esp), 0, '#DF pushes error code 0');

    const second = createProtectedWorld();
    const secondCode = loadCode(second.machine, `bits 32
org 0x20000
start:  mov ax, 0x77
        mov ds, ax
        hlt
`);
    second.enterRing(0, secondCode.symbol('start'), 0x8000);
    const triple = second.machine.runSlice(10);
    assert.strictEqual(triple.reason, 'triple-fault');
    // IDT[13] and IDT[8] are zero: a gate of type 0 is itself a #GP (SDM 6.12.1), so #GP -> #DF -> #GP.
    assert.match(triple.message, /^triple fault: #GP at EIP 0x00020004 while delivering #DF/);
    assert.strictEqual(second.machine.runSlice(10).instructions, 0, 'a shut-down machine runs nothing');
  });

  it('hlt with IF=0 stops the machine; with IF=1 the clock wakes it (vector 0x30)', () => {
    const { machine, enterRing } = createProtectedWorld({ clockInterval: 50 });
    const code = loadCode(machine, `bits 32
org 0x20000
start:  sti
        hlt
        cli
        hlt
clock:  inc esi
        iretd
`);
    writeGate(machine, 0x30, code.symbol('clock'), 0);
    enterRing(0, code.symbol('start'), 0x8000);
    const events: InterruptEvent[] = [];
    machine.onInterrupt((event) => events.push(event));
    const stop = machine.runSlice(1000);
    assert.strictEqual(stop.reason, 'hlt');
    assert.strictEqual(machine.registers().eip, code.symbol('clock') );
    assert.strictEqual(machine.registers().esi, 1);
    assert.deepStrictEqual(events.map((event) => [event.vector, event.kind]), [[0x30, 'hardware']]);
  });
});

describe('cpu: task gates (XP: IDT[8] is a task gate to KGDT_DF_TSS)', () => {
  it('#DF through a task gate switches to the double-fault task; iretd with NT returns to the old task', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x20000
start:  mov ebx, 0x1234
fault:  mov ax, 0x77
        mov ds, ax
        hlt
KiTrap08:
        mov ecx, [esp]             ; the error code
        iretd
`);
    const DF_TSS = 0x4000;
    writeDescriptor(machine, 0x50, DF_TSS, 0x67, 0x0089);         // KGDT_DF_TSS: available 32-bit TSS
    machine.memory.write32(DF_TSS + 0x20, code.symbol('KiTrap08'));
    machine.memory.write32(DF_TSS + 0x24, 0x2);
    machine.memory.write32(DF_TSS + 0x38, 0x6000);                 // ESP
    for (const [offset, selector] of [[0x48, 0x10], [0x4C, 0x08], [0x50, 0x10], [0x54, 0x10], [0x58, 0x10], [0x5C, 0x10]]) {
      machine.memory.write32(DF_TSS + offset, selector);
    }
    machine.memory.write32(IDT_BASE + 8 * 8, 0x50 << 16);
    machine.memory.write32(IDT_BASE + 8 * 8 + 4, 0x8500);          // present task gate, DPL 0
    writeGate(machine, 13, code.symbol('KiTrap08'), 0, 0xE, KGDT_R0_CODE, false);
    enterRing(0, code.symbol('start'), 0x8000);
    machine.setStopOnVector(8, true);
    const stop = machine.runSlice(10);
    assert.deepStrictEqual([stop.reason, stop.vector], ['exception', 8]);
    let registers = machine.registers();
    assert.deepStrictEqual([registers.tr.selector, registers.eip, registers.esp], [0x50, code.symbol('KiTrap08'), 0x6000 - 4]);
    assert.ok((registers.eflags & 0x4000) !== 0, 'NT is set in the nested task');
    assert.strictEqual(machine.memory.read32(DF_TSS) & 0xFFFF, 0x28, 'the back link names the old task');
    assert.strictEqual(machine.memory.read32(TSS_BASE + 0x20), code.symbol('fault') + 4, 'the old task saved the faulting EIP');
    assert.strictEqual(machine.memory.read32(TSS_BASE + 0x34), 0x1234, 'and its registers (EBX)');
    machine.setStopOnVector(8, false);
    machine.step();
    machine.step();
    registers = machine.registers();
    assert.deepStrictEqual([registers.tr.selector, registers.eip, registers.ebx, registers.esp], [0x28, code.symbol('fault') + 4, 0x1234, 0x8000]);
    assert.strictEqual((machine.memory.read32(0x1000 + 0x50 + 4) >>> 8) & 0xF, 0x9, 'the double-fault TSS is no longer busy');
  });
});
