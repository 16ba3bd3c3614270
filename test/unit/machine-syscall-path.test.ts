// The two ways into the kernel the product exists to show, end to end on the machine with paging:
// int 0x2e (KiSystemService-like frame, arguments copied with rep movsd, iretd) and sysenter
// (KiFastCallEntry-like frame built by hand, sti; sysexit), as NT-MODEL.md describes them.
import * as assert from 'assert';
import { FLAG_IF } from '../../core/cpu/constants';
import type { InterruptEvent } from '../../core/cpu/interrupts';
import { createProtectedWorld, KERNEL_STACK_TOP, loadCode, PageTableBuilder, PTE_P, PTE_RW, PTE_US, writeGate } from './cpu-fixture';

const SOURCE = `bits 32
org 0x20000
; ---- user mode (ntdll-like) ----
user_start:
        push 3                      ; three arguments
        push 2
        push 1
        call NtTest
        add esp, 12
        mov esi, eax                ; status from the int 0x2e path
        push 30
        push 20
        push 10
        call NtTestFast
        add esp, 12
        mov edi, eax                ; status from the sysenter path
spin:   jmp spin                    ; the test stops on the privilege change back
NtTest:
        mov eax, 0x25
        lea edx, [esp+4]
        int 0x2e
after_int:
        ret
NtTestFast:
        mov eax, 0x25
        call KiFastSystemCall
        ret
KiFastSystemCall:
        mov edx, esp
        sysenter
KiFastSystemCallRet:
        ret
; ---- kernel mode ----
KiSystemService:                    ; ESP = TSS.Esp0 - 0x14: EIP CS EFLAGS ESP SS
        push 0                      ; ErrCode
        push ebp
        mov ebp, esp
        sub esp, 12
        mov esi, edx                ; copy the caller's arguments with rep movsd
        mov edi, esp
        mov ecx, 3
        cld
        rep movsd
        mov eax, [esp]
        add eax, [esp+4]
        add eax, [esp+8]            ; "service": the sum of the arguments
        mov esp, ebp
        pop ebp
        add esp, 4
        iretd
KiFastCallEntry:
        mov esp, [0x3004]           ; TSS.Esp0
        push 0x23
        push edx                    ; user ESP
        pushfd
        push 2
        popfd
        push 0x1B
        push KiFastSystemCallRet
        add edx, 8                  ; skip the two return addresses
        mov eax, [edx]
        add eax, [edx+4]
        add eax, [edx+8]
        mov ecx, [esp+12]           ; user ESP back for sysexit
        mov edx, [esp]              ; return EIP
        add esp, 20
        sti
        sysexit
`;

describe('machine: the int 0x2e and sysenter paths end to end (NT-MODEL.md)', () => {
  it('both paths reach the kernel, copy the arguments, and return to ring 3 with the result', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, SOURCE);
    const pages = new PageTableBuilder(machine);
    pages.identity(0, 0x12000, PTE_P | PTE_RW);                 // GDT, IDT, TSS, kernel stack, page tables
    pages.identity(0x20000, 0x21000, PTE_P | PTE_RW | PTE_US);  // user and kernel code share a page here
    pages.identity(0x6F000, 0x70000, PTE_P | PTE_RW | PTE_US);  // user stack
    pages.enable(true);
    writeGate(machine, 0x2e, code.symbol('KiSystemService'), 3);
    const cpu = machine.cpu;
    cpu.sysenterCs = 0x08;
    cpu.sysenterEsp = 0x7000;
    cpu.sysenterEip = code.symbol('KiFastCallEntry');
    enterRing(3, code.symbol('user_start'), 0x70000);
    cpu.flags |= FLAG_IF;
    const events: InterruptEvent[] = [];
    machine.onInterrupt((event) => events.push(event));
    machine.setStopOnPrivilegeChange(true);
    const transitions: [string, number, number][] = [];
    for (let i = 0; i < 4; i++) {
      const stop = machine.runSlice(10_000);
      assert.strictEqual(stop.reason, 'privilege-change', stop.message);
      const registers = machine.registers();
      transitions.push([stop.message, registers.cpl, registers.eip]);
      if (i === 0) assert.strictEqual(registers.esp, KERNEL_STACK_TOP - 0x14, 'int 0x2e frame at TSS.Esp0 - 0x14');
    }
    assert.deepStrictEqual(transitions.map(([, cpl, eip]) => [cpl, eip]), [
      [0, code.symbol('KiSystemService')],
      [3, code.symbol('after_int')],
      [0, code.symbol('KiFastCallEntry')],
      [3, code.symbol('KiFastSystemCallRet')],
    ]);
    machine.setStopOnPrivilegeChange(false);
    machine.runSlice(20);
    const registers = machine.registers();
    assert.strictEqual(registers.esi, 6, 'int 0x2e: 1 + 2 + 3');
    assert.strictEqual(registers.edi, 60, 'sysenter: 10 + 20 + 30');
    assert.strictEqual(registers.esp, 0x70000, 'the user stack is balanced');
    assert.strictEqual(registers.eflags & FLAG_IF, FLAG_IF);
    assert.deepStrictEqual(events.map((event) => [event.vector, event.kind, event.fromCpl, event.toCpl]), [[0x2e, 'software', 3, 0]]);
  });
});
