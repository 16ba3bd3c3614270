// A small protected-mode world for CPU and machine tests: a GDT with the NT selectors, an IDT, a TSS,
// optional page tables, and guest code assembled by the project's assembler. Layout (physical):
// GDT 0x1000, IDT 0x2000, TSS 0x3000, kernel stack top 0x9000, page directory 0x10000, code at org.
import * as assert from 'assert';
import { assemble } from '../../core/asm/assembler';
import { formatDiagnostic } from '../../core/asm/diagnostics';
import { Machine, MachineOptions } from '../../core/machine/machine';
import { SEG_CS, SEG_SS } from '../../core/cpu/cpu';
import { CR0_PG, CR0_WP } from '../../core/cpu/constants';

export const GDT_BASE = 0x1000;
export const IDT_BASE = 0x2000;
export const TSS_BASE = 0x3000;
export const KERNEL_STACK_TOP = 0x9000;
export const PAGE_DIRECTORY = 0x10000;

export const KGDT_R0_CODE = 0x08;
export const KGDT_R0_DATA = 0x10;
export const KGDT_R3_CODE = 0x18;
export const KGDT_R3_DATA = 0x20;
export const KGDT_TSS = 0x28;

/** Assembles NASM-syntax source with the project's assembler; fails the test on a diagnostic. */
export function assembleSource(source: string): { image: Uint8Array; origin: number; symbol: (name: string) => number } {
  const result = assemble({ fileName: 'test.asm', source });
  assert.ok(result.ok, result.diagnostics.map(formatDiagnostic).join('\n'));
  return {
    image: result.image,
    origin: result.origin,
    symbol: (name: string) => {
      const found = result.symbols.find((symbol) => symbol.name === name);
      assert.ok(found, `symbol ${name} not found`);
      return found.address;
    },
  };
}

function write32(machine: Machine, address: number, value: number): void {
  machine.memory.write32(address, value >>> 0);
}

/** Writes a segment descriptor (attributes as LAR >> 8: type | S<<4 | DPL<<5 | P<<7 | flags<<12). */
export function writeDescriptor(machine: Machine, selector: number, base: number, limit: number, attributes: number): void {
  const address = GDT_BASE + (selector & ~7);
  const rawLimit = (attributes & 0x8000) !== 0 ? limit >>> 12 : limit;
  const low = ((base & 0xFFFF) << 16) | (rawLimit & 0xFFFF);
  const high = (base & 0xFF000000) | ((attributes & 0xF0FF) << 8) | (rawLimit & 0xF0000) | ((base >>> 16) & 0xFF);
  write32(machine, address, low);
  write32(machine, address + 4, high);
}

/** IDT gate: type 0xE interrupt / 0xF trap. */
export function writeGate(machine: Machine, vector: number, handler: number, dpl: number, type = 0xE, selector = KGDT_R0_CODE, present = true): void {
  const address = IDT_BASE + vector * 8;
  write32(machine, address, (selector << 16) | (handler & 0xFFFF));
  write32(machine, address + 4, (handler & 0xFFFF0000) | (present ? 0x8000 : 0) | (dpl << 13) | (type << 8));
}

export interface ProtectedWorld {
  machine: Machine;
  /** Puts the CPU at ring `cpl` with the flat selectors of that ring. */
  enterRing(cpl: 0 | 3, eip: number, esp: number): void;
}

/** A machine in protected mode with the NT GDT layout, an IDT of 256 not-present gates and a TSS. */
export function createProtectedWorld(options: MachineOptions = {}): ProtectedWorld {
  const machine = new Machine({ memoryBytes: 4 * 1024 * 1024, ...options });
  const cpu = machine.cpu;
  writeDescriptor(machine, KGDT_R0_CODE, 0, 0xFFFFFFFF, 0xC09B);
  writeDescriptor(machine, KGDT_R0_DATA, 0, 0xFFFFFFFF, 0xC093);
  writeDescriptor(machine, KGDT_R3_CODE, 0, 0xFFFFFFFF, 0xC0FB);
  writeDescriptor(machine, KGDT_R3_DATA, 0, 0xFFFFFFFF, 0xC0F3);
  writeDescriptor(machine, KGDT_TSS, TSS_BASE, 0x20AB, 0x008B);
  write32(machine, TSS_BASE + 4, KERNEL_STACK_TOP);
  write32(machine, TSS_BASE + 8, KGDT_R0_DATA);
  machine.memory.write16(TSS_BASE + 0x66, 0x20AC);
  cpu.gdtBase = GDT_BASE; cpu.gdtLimit = 0x3FF;
  cpu.idtBase = IDT_BASE; cpu.idtLimit = 0x7FF;
  cpu.trSelector = KGDT_TSS; cpu.trBase = TSS_BASE; cpu.trLimit = 0x20AB; cpu.trType = 11;
  const enterRing = (cpl: 0 | 3, eip: number, esp: number): void => {
    cpu.setFlatSegments(cpl);
    if (cpl === 3) {
      cpu.setSegmentCache(SEG_CS, KGDT_R3_CODE | 3, 0, 0xFFFFFFFF, 0xC0FB);
      for (const segment of [0, 2, 3, 4, 5]) cpu.setSegmentCache(segment, KGDT_R3_DATA | 3, 0, 0xFFFFFFFF, 0xC0F3);
    } else {
      cpu.setSegmentCache(SEG_CS, KGDT_R0_CODE, 0, 0xFFFFFFFF, 0xC09B);
      for (const segment of [0, 2, 3, 4, 5]) cpu.setSegmentCache(segment, KGDT_R0_DATA, 0, 0xFFFFFFFF, 0xC093);
    }
    cpu.setCpl(cpl);
    cpu.r32[4] = esp;
    cpu.jumpTo(eip);
    void SEG_SS;
  };
  return { machine, enterRing };
}

export const PTE_P = 1;
export const PTE_RW = 2;
export const PTE_US = 4;

/** Builds two-level page tables at PAGE_DIRECTORY mapping each linear page to a physical page with `flags`. */
export class PageTableBuilder {
  private nextTable = PAGE_DIRECTORY + 0x1000;

  constructor(private readonly machine: Machine) {
    for (let i = 0; i < 1024; i++) write32(machine, PAGE_DIRECTORY + i * 4, 0);
  }

  map(linear: number, physical: number, flags: number): void {
    const directoryEntry = PAGE_DIRECTORY + (linear >>> 22) * 4;
    let table = this.machine.memory.read32(directoryEntry);
    if ((table & PTE_P) === 0) {
      table = this.nextTable;
      this.nextTable += 0x1000;
      for (let i = 0; i < 1024; i++) write32(this.machine, table + i * 4, 0);
      write32(this.machine, directoryEntry, table | PTE_P | PTE_RW | PTE_US);
    }
    write32(this.machine, (table & ~0xFFF) + ((linear >>> 12) & 0x3FF) * 4, (physical & ~0xFFF) | flags);
  }

  /** Identity-maps [start, end) with `flags`. */
  identity(start: number, end: number, flags: number): void {
    for (let page = start & ~0xFFF; page < end; page += 0x1000) this.map(page, page, flags);
  }

  enable(writeProtect: boolean): void {
    const cpu = this.machine.cpu;
    cpu.cr3 = PAGE_DIRECTORY;
    cpu.writeCr0((cpu.cr0 | CR0_PG | (writeProtect ? CR0_WP : 0)) & ~(writeProtect ? 0 : CR0_WP));
  }
}

/** Loads assembled code at its origin. */
export function loadCode(machine: Machine, source: string): { origin: number; symbol: (name: string) => number } {
  const assembled = assembleSource(source);
  machine.writePhysical(assembled.origin, assembled.image);
  return { origin: assembled.origin, symbol: assembled.symbol };
}
