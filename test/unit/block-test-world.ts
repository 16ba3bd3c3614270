// The machine both block-compiler suites compare the interpreter and compiled blocks on: 8 MiB, ring 0
// with flat segments, paging on (the first 4 MiB identity-mapped, then two writable data pages and one
// read-only page, with CR0.WP), the data pages filled with a pattern, the program at its org.
import { CR0_PG, CR0_WP } from '../../core/cpu/constants';
import { Machine, type MachineStop } from '../../core/machine/machine';
import { assembleSource } from './cpu-fixture';

export const CODE = 0x100000;
export const DATA = 0x400000;          // two writable pages, then a read-only one, then nothing mapped
export const STACK_TOP = 0x90000;
const PAGE_DIRECTORY = 0x10000;

/** A small deterministic generator (xorshift32), so a failure names a seed that reproduces it. */
export function randomSource(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    return state >>> 0;
  };
}

/**
 * The machine with `source` loaded and EIP at its org; `patternBytes` of data filled from DATA;
 * `prepare` runs before paging is turned on (a test's own GDT, say).
 */
export function pagedBlockWorld(source: string, blockCompileThreshold: number, patternBytes: number, prepare?: (machine: Machine) => void): Machine {
  const machine = new Machine({ memoryBytes: 8 * 1024 * 1024 });
  const program = assembleSource(source);
  machine.writePhysical(program.origin, program.image);
  const cpu = machine.cpu;
  cpu.blockCompileThreshold = blockCompileThreshold;
  prepare?.(machine);
  cpu.setFlatSegments(0);
  cpu.r32[4] = STACK_TOP;
  for (let i = 0; i < patternBytes; i += 4) machine.memory.write32(DATA + i, (i * 0x9E3779B1) >>> 0);
  machine.memory.write32(PAGE_DIRECTORY, (PAGE_DIRECTORY + 0x1000) | 7);
  machine.memory.write32(PAGE_DIRECTORY + 4, (PAGE_DIRECTORY + 0x2000) | 7);
  for (let i = 0; i < 1024; i++) machine.memory.write32(PAGE_DIRECTORY + 0x1000 + i * 4, (i * 4096) | 7);
  for (let i = 0; i < 3; i++) machine.memory.write32(PAGE_DIRECTORY + 0x2000 + i * 4, (DATA + i * 4096) | (i === 2 ? 5 : 7));
  cpu.cr3 = PAGE_DIRECTORY;
  cpu.writeCr0(cpu.cr0 | CR0_PG | CR0_WP);
  cpu.jumpTo(program.origin);
  return machine;
}

/** Runs a slice, and a second one from wherever the first stopped (a stop in a loop resumes into compiled code). */
export function runTwoSlices(machine: Machine, instructions: number): Pick<MachineStop, 'reason' | 'eip'> {
  let stop = machine.runSlice(instructions);
  if (stop.reason === 'slice') stop = machine.runSlice(instructions);
  return { reason: stop.reason, eip: stop.eip };
}

/** The data pages as dwords. */
export function dataWords(machine: Machine, bytes: number): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes; i += 4) words.push(machine.memory.read32(DATA + i));
  return words;
}
