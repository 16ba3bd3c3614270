// Issue 3, robustness: 1,000,000 instructions of random bytes in ring 3 and in ring 0 (an IDT whose
// handlers skip the faulting byte) without one host exception and without one internal emulator error.
import * as assert from 'assert';
import { FLAG_IF } from '../../core/cpu/constants';
import { createProtectedWorld, loadCode, PageTableBuilder, PTE_P, PTE_RW, PTE_US, writeGate } from './cpu-fixture';

const CODE = 0x100000;
const CODE_SIZE = 0x10000;
const DATA = 0x200000;
const INSTRUCTIONS_PER_RING = 1_000_000;
const SLICE = 20_000;

/** xorshift32: reproducible random bytes (the seed is printed on failure). */
function randomBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    bytes[i] = state & 0xFF;
  }
  return bytes;
}

const HANDLERS = `bits 32
org 0x30000
handler_with_error:
        add esp, 4
handler:
        mov eax, [esp]            ; saved EIP: skip one byte, or restart somewhere in the random code
        cmp eax, 0x30000          ; interrupted inside these handlers (a trap gate): just return
        jb .adjust
        cmp eax, 0x31000
        jb .done
.adjust:
        inc eax
        sub eax, ${CODE}
        cmp eax, ${CODE_SIZE - 16}
        jb .inside
        rdtsc
        and eax, ${CODE_SIZE - 1 - 15}
.inside:
        add eax, ${CODE}
        mov [esp], eax
.done:
        iretd
`;

interface RingReport { instructions: number; stops: Record<string, number>; worlds: number }

function runRandomCode(cpl: 0 | 3, seed: number): RingReport {
  const report: RingReport = { instructions: 0, stops: {}, worlds: 0 };
  let world = 0;
  while (report.instructions < INSTRUCTIONS_PER_RING) {
    world++;
    const { machine, enterRing } = createProtectedWorld({ clockInterval: 997 });
    const handlers = loadCode(machine, HANDLERS);
    for (let vector = 0; vector < 256; vector++) {
      const withError = vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
      writeGate(machine, vector, handlers.symbol(withError ? 'handler_with_error' : 'handler'), vector % 3 === 0 ? 0 : 3, vector % 2 === 0 ? 0xE : 0xF);
    }
    const pages = new PageTableBuilder(machine);
    pages.identity(0, 0x40000, PTE_P | PTE_RW);                       // system structures and handlers: supervisor
    pages.identity(CODE, CODE + CODE_SIZE, PTE_P | PTE_RW | PTE_US);  // the random code, writable by itself
    pages.identity(DATA, DATA + 0x10000, PTE_P | PTE_RW | PTE_US);
    pages.identity(0x7F000, 0x80000, PTE_P | PTE_RW | PTE_US);         // a user stack page
    pages.enable(true);
    machine.writePhysical(CODE, randomBytes(seed + world * 7919, CODE_SIZE));
    enterRing(cpl, CODE, 0x80000);
    machine.cpu.flags |= FLAG_IF;
    machine.instructionLimit = 100_000;
    for (let slices = 0; slices < 10; slices++) {
      const stop = machine.runSlice(SLICE);
      report.instructions += stop.instructions;
      report.stops[stop.reason] = (report.stops[stop.reason] ?? 0) + 1;
      assert.notStrictEqual(stop.reason, 'internal-error', `seed ${seed}, world ${world}: ${stop.message}`);
      if (stop.reason !== 'slice') break;
    }
  }
  report.worlds = world;
  return report;
}

describe('robustness: random bytes never crash the emulator (issue 3)', function () {
  this.timeout(120000);
  for (const cpl of [3, 0] as const) {
    it(`executes ${INSTRUCTIONS_PER_RING.toLocaleString('en')} instructions of random bytes in ring ${cpl} without a host exception`, () => {
      const seed = cpl === 3 ? 0x5eed0003 : 0x5eed0000;
      const started = Date.now();
      const report = runRandomCode(cpl, seed);
      console.log(`      ring ${cpl}: ${report.instructions} instructions in ${report.worlds} worlds, ${Date.now() - started} ms, stops ${JSON.stringify(report.stops)}`);
      assert.ok(report.instructions >= INSTRUCTIONS_PER_RING);
    });
  }
});
