// Directed cases for what compiled blocks and the links between them must respect (core/cpu/cpu.ts
// executeFast, core/cpu/block-compiler.ts): a link made at CPL 0 is not followed at CPL 3 (the fetch from a
// supervisor page faults), a link made before a CS limit change is not followed after it, and a clock
// interrupt waiting while sti runs inside a block is taken right after the instruction sti protects.
import * as assert from 'assert';
import { FLAG_IF } from '../../core/cpu/constants';
import { createProtectedWorld, loadCode, PageTableBuilder, PTE_P, PTE_RW, PTE_US, writeGate } from './cpu-fixture';

describe('cpu: links between compiled blocks, and sti inside a block', () => {
  it('a link made at CPL 0 to a supervisor page is not followed at CPL 3: the fetch faults', () => {
    for (const threshold of [0, 1, 4]) {
      const { machine, enterRing } = createProtectedWorld();
      machine.cpu.blockCompileThreshold = threshold;
      const pages = new PageTableBuilder(machine);
      pages.identity(0, 0x30000, PTE_P | PTE_RW | PTE_US);    // tables, stacks, the user-visible code page
      pages.identity(0x40000, 0x41000, PTE_P | PTE_RW);       // supervisor-only code
      pages.enable(true);
      loadCode(machine, `bits 32
org 0x28000
caller: add eax, 1
        add ebx, 2
        jmp 0x40000
`);
      loadCode(machine, `bits 32
org 0x40000
        add ecx, 3
        hlt
`);
      writeGate(machine, 14, 0x40100, 0);                      // #PF: a handler that halts
      loadCode(machine, 'bits 32\norg 0x40100\n        hlt\n');
      // At CPL 0, several times: the caller's block is linked to the supervisor block.
      for (let run = 0; run < 6; run++) {
        enterRing(0, 0x28000, 0x8000);
        machine.cpu.halted = false;
        assert.strictEqual(machine.runSlice(100).reason, 'hlt');
        assert.strictEqual(machine.cpu.eip >>> 0, 0x40004);
      }
      // At CPL 3 the same jump must fault on the fetch from the supervisor page (#PF, error code 5).
      const faults: number[] = [];
      machine.onInterrupt((event) => { if (event.vector === 14) faults.push(event.errorCode ?? -1); });
      enterRing(3, 0x28000, 0x8000);
      machine.cpu.halted = false;
      machine.runSlice(100);
      assert.deepStrictEqual(faults, [5], `threshold ${threshold}: the fetch at CPL 3 faults`);
      assert.strictEqual(machine.cpu.cr2 >>> 0, 0x40000);
    }
  });

  it('a clock tick waiting while sti runs in a block is taken right after the instruction sti protects', () => {
    const runWith = (threshold: number): number[] => {
      const { machine, enterRing } = createProtectedWorld();
      machine.cpu.blockCompileThreshold = threshold;
      loadCode(machine, `bits 32
org 0x10000
start:  mov ecx, 40
again:  cli
        add eax, 1
        add eax, 1
        add eax, 1
        add eax, 1
        add eax, 1
        sti
        add ebx, 1
        add edx, 1
        add esi, 1
        dec ecx
        jnz again
        hlt
`);
      loadCode(machine, `bits 32
org 0x10100
tick:   add edi, 1
        iretd
`);
      writeGate(machine, 0x30, 0x10100, 0);
      enterRing(0, 0x10000, 0x8000);
      machine.cpu.flags |= FLAG_IF;
      machine.clock.program(7, 0x30, machine.instructionCount);
      const ticksAt: number[] = [];
      machine.onInterrupt((event) => { if (event.vector === 0x30) ticksAt.push(machine.instructionCount, event.returnEip); });
      for (let slice = 0; slice < 100 && !machine.cpu.halted; slice++) machine.runSlice(1000);
      return ticksAt;
    };
    const interpreted = runWith(0);
    assert.ok(interpreted.length > 20, 'the clock ticked during the loop');
    for (const threshold of [1, 2, 5]) assert.deepStrictEqual(runWith(threshold), interpreted, `threshold ${threshold}`);
  });
});
