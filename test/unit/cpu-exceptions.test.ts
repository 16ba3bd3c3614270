// Exceptions and system instructions from the SDM: #DB (TF single-step, a trap after the instruction),
// #BP #OF #BR #UD #NM #SS #NP #AC with their error codes, the TSS I/O permission map, far jmp/call/retf,
// descriptor-table and task registers, MSRs.
import * as assert from 'assert';
import { CR0_AM, CR0_TS, FLAG_AC, FLAG_TF } from '../../core/cpu/constants';
import { createProtectedWorld, KGDT_R0_CODE, KGDT_TSS, loadCode, TSS_BASE, writeDescriptor, writeGate } from './cpu-fixture';
import type { Machine } from '../../core/machine/machine';

const HANDLER_AREA = `
h_with_error:
        hlt
h:      hlt
`;

function world(body: string, cpl: 0 | 3 = 0): { machine: Machine; symbol: (name: string) => number; run: () => ReturnType<Machine['runSlice']> } {
  const { machine, enterRing } = createProtectedWorld();
  const code = loadCode(machine, `bits 32
org 0x20000
start:
${body}
        hlt
${HANDLER_AREA}`);
  for (let vector = 0; vector < 32; vector++) writeGate(machine, vector, code.symbol('h'), 3);
  enterRing(cpl, code.symbol('start'), cpl === 3 ? 0x70000 : 0x8000);
  machine.setStopOnExceptions(true);
  return { machine, symbol: code.symbol, run: () => machine.runSlice(1000) };
}

describe('cpu: exceptions and system instructions (SDM vol. 3 ch. 6, vol. 2)', () => {
  it('TF single-steps: #DB is a trap delivered after each instruction with the next EIP pushed', () => {
    const { machine, symbol, run } = world(`        pushfd
        or dword [esp], 0x100
        popfd
second: mov eax, 1
third:  mov ebx, 2`);
    const stop = run();
    assert.deepStrictEqual([stop.reason, stop.vector], ['exception', 1]);
    const esp = machine.registers().esp;
    assert.strictEqual(machine.memory.read32(esp), symbol('third'), '#DB after `mov eax, 1`, the first instruction run with TF=1');
    assert.strictEqual(machine.registers().eax, 1);
    assert.ok((machine.memory.read32(esp + 8) & FLAG_TF) !== 0, 'the pushed EFLAGS still has TF');
    assert.strictEqual(machine.registers().eflags & FLAG_TF, 0, 'the handler runs with TF clear');
  });

  it('int3 pushes the next EIP (#BP trap); into traps only with OF=1; bound raises #BR as a fault', () => {
    let w = world('        int3\nafter:  nop');
    let stop = w.run();
    assert.deepStrictEqual([stop.vector, w.machine.memory.read32(w.machine.registers().esp)], [3, w.symbol('after')]);
    w = world('        mov al, 0x7F\n        add al, 1\n        into\nafter:  nop');
    stop = w.run();
    assert.deepStrictEqual([stop.vector, w.machine.memory.read32(w.machine.registers().esp)], [4, w.symbol('after')]);
    w = world('        mov eax, 1\n        into\n        nop');
    assert.strictEqual(w.run().reason, 'hlt', 'into with OF=0 does nothing');
    w = world('        mov dword [0x30000], 0\n        mov dword [0x30004], 9\n        mov eax, 10\nfault:  bound eax, [0x30000]\n        nop');
    stop = w.run();
    assert.deepStrictEqual([stop.vector, w.machine.memory.read32(w.machine.registers().esp)], [5, w.symbol('fault')]);
  });

  it('#NM for x87 escapes and wait with CR0.TS; #UD for an undefined opcode', () => {
    let w = world('fault:  fwait');
    w.machine.cpu.cr0 |= CR0_TS | 0x2;
    let stop = w.run();
    assert.deepStrictEqual([stop.vector, w.machine.memory.read32(w.machine.registers().esp)], [7, w.symbol('fault')]);
    w = world('fault:  db 0xD9, 0xE8');   // fld1
    w.machine.cpu.cr0 |= CR0_TS;
    assert.strictEqual(w.run().vector, 7);
    w = world('fault:  db 0x0F, 0xFF');
    assert.strictEqual(w.run().vector, 6);
  });

  it('segment loads: #GP(selector) past the GDT limit, #NP(selector) not present, #SS(selector) for SS, null DS use -> #GP(0)', () => {
    let w = world('        mov ax, 0x400\n        mov ds, ax');
    let stop = w.run();
    assert.deepStrictEqual([stop.vector, stop.errorCode], [13, 0x400]);
    w = world('        mov ax, 0x40\n        mov es, ax');
    writeDescriptor(w.machine, 0x40, 0, 0xFFFFF, 0x0013 | 0x8000 & 0);   // data, DPL 0, P = 0
    stop = w.run();
    assert.deepStrictEqual([stop.vector, stop.errorCode], [11, 0x40]);
    w = world('        mov ax, 0x40\n        mov ss, ax');
    writeDescriptor(w.machine, 0x40, 0, 0xFFFFF, 0x0013);
    stop = w.run();
    assert.deepStrictEqual([stop.vector, stop.errorCode], [12, 0x40]);
    w = world('        xor eax, eax\n        mov ds, ax\n        mov ebx, [0x1000]');
    stop = w.run();
    assert.deepStrictEqual([stop.vector, stop.errorCode], [13, 0]);
    // A 4 KiB ring-3 stack segment: ESP 0x70000 is past its limit. (At CPL 0 the #SS handler would
    // use the same broken stack and the machine would triple-fault, as a real one does.)
    w = world('        mov ax, 0x4B\n        mov ss, ax\n        push eax', 3);
    writeDescriptor(w.machine, 0x48, 0, 0xFFF, 0x00F3);
    stop = w.run();
    assert.deepStrictEqual([stop.vector, stop.errorCode], [12, 0], 'a push beyond the SS limit is #SS(0)');
  });

  it('#AC for a misaligned ring-3 access with CR0.AM and EFLAGS.AC', () => {
    const w = world('fault:  mov eax, [0x30001]\n        nop', 3);
    w.machine.cpu.cr0 |= CR0_AM;
    w.machine.cpu.flags |= FLAG_AC;
    w.machine.cpu.updateAccessMasks();
    const stop = w.run();
    assert.deepStrictEqual([stop.vector, stop.errorCode], [17, 0]);
  });

  it('in/out from ring 3 with IOPL 0 consult the TSS I/O bitmap', () => {
    /** The EIP of the first fault: the `in` when the bitmap refuses, the ring-3 `hlt` after it otherwise. */
    const run = (port: number, allowed: boolean): number => {
      const w = world(`        mov dx, ${port}\n        in al, dx\n        nop`, 3);
      const bitmap = TSS_BASE + 0x68;
      for (let i = 0; i < 0x2000; i++) w.machine.memory.write8(bitmap + i, 0xFF);
      w.machine.memory.write16(TSS_BASE + 0x66, 0x68);
      if (allowed) w.machine.memory.write8(bitmap + (port >> 3), 0xFF & ~(1 << (port & 7)));
      w.machine.cpu.trLimit = 0x68 + 0x2000;
      const stop = w.run();
      assert.deepStrictEqual([stop.vector, stop.errorCode], [13, 0]);
      return w.machine.memory.read32(w.machine.registers().esp + 4) - w.symbol('start');
    };
    assert.strictEqual(run(0x60, false), 4, 'a set bit: #GP(0) at the in instruction');
    assert.strictEqual(run(0x60, true), 6, 'a clear bit: the in runs; the next fault is the ring-3 hlt');
  });

  it('far jmp and far call/retf through a code segment; a DPL 3 target from ring 0 is #GP(selector)', () => {
    let w = world(`        call 0x08:target
back:   mov ebx, 2
        jmp done
target: mov eax, 1
        retf
done:   nop`);
    assert.strictEqual(w.run().reason, 'hlt');
    assert.deepStrictEqual([w.machine.registers().eax, w.machine.registers().ebx, w.machine.registers().esp], [1, 2, 0x8000]);
    w = world('        jmp 0x1B:0x20000');
    const stop = w.run();
    assert.deepStrictEqual([stop.vector, stop.errorCode], [13, 0x18]);
    void KGDT_R0_CODE;
  });

  it('lgdt/sgdt, lidt/sidt, ltr/str, rdmsr/wrmsr, rdtsc', () => {
    const w = world(`        sgdt [0x30000]
        sidt [0x30010]
        mov word [0x30020], 0x3FF
        mov dword [0x30022], 0x1000
        lgdt [0x30020]
        sgdt [0x30030]
        mov ax, ${KGDT_TSS}
        ltr ax
        str bx
        mov ecx, 0x174
        mov eax, 0x08
        xor edx, edx
        wrmsr
        mov ecx, 0x176
        mov eax, 0x804DE6F0
        wrmsr
        rdmsr
        mov esi, eax
        rdtsc
        mov edi, eax`);
    // ltr needs an available TSS: the fixture's descriptor is marked busy-free (type 9) here
    writeDescriptor(w.machine, KGDT_TSS, TSS_BASE, 0x20AB, 0x0089);
    assert.strictEqual(w.run().reason, 'hlt');
    const memory = w.machine.memory;
    assert.deepStrictEqual([memory.read16(0x30000), memory.read32(0x30002)], [0x3FF, 0x1000]);
    assert.deepStrictEqual([memory.read16(0x30010), memory.read32(0x30012)], [0x7FF, 0x2000]);
    assert.deepStrictEqual([memory.read16(0x30030), memory.read32(0x30032)], [0x3FF, 0x1000]);
    const registers = w.machine.registers();
    assert.strictEqual(registers.ebx & 0xFFFF, KGDT_TSS);
    assert.strictEqual((memory.read32(0x1000 + KGDT_TSS + 4) >>> 8) & 0xF, 0xB, 'ltr marks the TSS busy');
    assert.deepStrictEqual([registers.msr.sysenterCs, registers.msr.sysenterEip, registers.esi], [8, 0x804DE6F0, 0x804DE6F0]);
    assert.ok(registers.edi > 0, 'rdtsc counts');
    const bad = world('        mov ecx, 0x12345\n        rdmsr');
    assert.deepStrictEqual([bad.run().vector], [13], 'an MSR the model does not have is #GP(0)');
  });
});

describe('cpu: 16-bit protected-mode code segments', () => {
  it('runs o16/a16 code in a D=0 segment (16-bit loop and addressing) and returns with a far jmp', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x20000
start:  jmp 0x58:(code16 - 0x20000)
back:   hlt
bits 16
code16: mov ax, 0x1234
        mov bx, 0x0010
        mov cx, 3
.l:     add ax, bx
        loop .l
        mov si, 0x1000
        mov word [si], ax          ; ds is the flat 32-bit data segment: a16 addressing
        jmp dword 0x08:back
`);
    writeDescriptor(machine, 0x58, 0x20000, 0xFFFF, 0x009B);   // 16-bit code, base 0x20000, 64 KiB
    enterRing(0, code.symbol('start'), 0x8000);
    const stop = machine.runSlice(100);
    assert.strictEqual(stop.reason, 'hlt', stop.message);
    assert.strictEqual(machine.registers().eax & 0xFFFF, 0x1264);
    assert.strictEqual(machine.memory.read16(0x1000), 0x1264);
    assert.strictEqual(machine.registers().cs.selector, 0x08);
  });
});
