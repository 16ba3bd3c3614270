// String instructions with rep/repe/repne: movs cmps stos lods scas ins outs. A long rep runs in bounded
// batches (EIP stays on the instruction until the count is done, as when a real CPU takes an interrupt),
// and faults leave ESI/EDI/ECX at the element that faulted.
import type { Cpu } from './cpu';
import { SEG_ES } from './cpu';
import { FLAG_DF } from './constants';
import { DecodedEntry, Handler } from './decoded-entry';
import { getZF, LAZY_SUB, setLazyFlags } from './flags';
import { TLB_VALID } from '../memory/paging';
import { checkIoPermission } from './io';
import { advance, readRegister, writeRegister } from './operands';

const STRING_MOVS = 0;
const STRING_CMPS = 1;
const STRING_STOS = 2;
const STRING_LODS = 3;
const STRING_SCAS = 4;
const STRING_INS = 5;
const STRING_OUTS = 6;

/** Elements one execution of a rep instruction may process before yielding to the run loop. */
const REP_BATCH = 65536;

function elementSize(entry: DecodedEntry): number {
  const opcode = entry.form.opcode[entry.form.opcode.length - 1];
  return (opcode & 1) === 0 ? 1 : entry.operandBytes;
}

/** One element; returns false when a repe/repne condition ends the loop. */
function stringStep(cpu: Cpu, entry: DecodedEntry, size: number, delta: number, wide: boolean): void {
  const r = cpu.r32;
  const source = wide ? r[6] : cpu.r16[12];
  const destination = wide ? r[7] : cpu.r16[14];
  switch (entry.operation) {
    case STRING_MOVS: {
      const value = cpu.readSized(entry.segment, source, size);
      cpu.writeSized(SEG_ES, destination, size, value);
      advanceIndex(cpu, 6, delta, wide);
      advanceIndex(cpu, 7, delta, wide);
      return;
    }
    case STRING_CMPS: {
      const a = cpu.readSized(entry.segment, source, size);
      const b = cpu.readSized(SEG_ES, destination, size);
      setLazyFlags(cpu, LAZY_SUB, size, a, b, (a - b) | 0);
      advanceIndex(cpu, 6, delta, wide);
      advanceIndex(cpu, 7, delta, wide);
      return;
    }
    case STRING_STOS:
      cpu.writeSized(SEG_ES, destination, size, readRegister(cpu, size, 0));
      advanceIndex(cpu, 7, delta, wide);
      return;
    case STRING_LODS:
      writeRegister(cpu, size, 0, cpu.readSized(entry.segment, source, size));
      advanceIndex(cpu, 6, delta, wide);
      return;
    case STRING_SCAS: {
      const a = readRegister(cpu, size, 0);
      const b = cpu.readSized(SEG_ES, destination, size);
      setLazyFlags(cpu, LAZY_SUB, size, a, b, (a - b) | 0);
      advanceIndex(cpu, 7, delta, wide);
      return;
    }
    case STRING_INS: {
      const port = cpu.r16[4];
      checkIoPermission(cpu, port, size);
      // The destination is probed before the port is read, so a #PF does not lose the input.
      cpu.writeSized(SEG_ES, destination, size, cpu.readSized(SEG_ES, destination, size));
      cpu.writeSized(SEG_ES, destination, size, cpu.ports.readPort(port, size as 1 | 2 | 4));
      advanceIndex(cpu, 7, delta, wide);
      return;
    }
    default: {
      const port = cpu.r16[4];
      checkIoPermission(cpu, port, size);
      cpu.ports.writePort(port, size as 1 | 2 | 4, cpu.readSized(entry.segment, source, size) >>> 0);
      advanceIndex(cpu, 6, delta, wide);
    }
  }
}

function advanceIndex(cpu: Cpu, register: number, delta: number, wide: boolean): void {
  if (wide) cpu.r32[register] = (cpu.r32[register] + delta) | 0;
  else cpu.r16[register * 2] = (cpu.r16[register * 2] + delta) & 0xFFFF;
}

function stringInstruction(cpu: Cpu, entry: DecodedEntry): void {
  const size = elementSize(entry);
  const delta = (cpu.flags & FLAG_DF) !== 0 ? -size : size;
  const wide = entry.addressMask === -1;
  if (entry.repeat === 0) {
    stringStep(cpu, entry, size, delta, wide);
    advance(cpu, entry);
    return;
  }
  const compares = entry.operation === STRING_CMPS || entry.operation === STRING_SCAS;
  let batch = REP_BATCH;
  for (;;) {
    const count = wide ? cpu.r32[1] : cpu.r16[2];
    if (count === 0) break;
    if (entry.operation === STRING_MOVS && size === 4 && delta === 4 && wide) {
      const copied = copyDwordsFast(cpu, entry, count, batch);
      if (copied > 0) {
        batch -= copied;
        if (batch <= 0 && cpu.r32[1] !== 0) return; // come back for the rest
        continue;
      }
    }
    stringStep(cpu, entry, size, delta, wide);
    if (wide) cpu.r32[1] = (count - 1) | 0; else cpu.r16[2] = count - 1;
    if (compares) {
      const equal = getZF(cpu);
      if (entry.repeat === 1 ? !equal : equal) break;
    }
    if (--batch === 0) {
      if ((wide ? cpu.r32[1] : cpu.r16[2]) !== 0) return; // come back for the rest
      break;
    }
  }
  advance(cpu, entry);
}

/** Copies up to this many aligned dwords run as a plain loop (copyWithin pays off above it). */
const SHORT_COPY_DWORDS = 16;

/**
 * rep movsd, forward, 32-bit addresses: copies whole runs inside one source and one destination page
 * when both TLB entries allow the fast path (no hooks, no code on the target page). Returns dwords copied.
 */
function copyDwordsFast(cpu: Cpu, entry: DecodedEntry, count: number, batch: number): number {
  const r = cpu.r32;
  const esi = r[6] >>> 0;
  const edi = r[7] >>> 0;
  const segment = entry.segment;
  const readEnd = cpu.segReadEnd[segment];
  const writeEnd = cpu.segWriteEnd[SEG_ES];
  if (esi + 3 > readEnd || edi + 3 > writeEnd) return 0;
  const sourceLinear = (cpu.segBase[segment] + esi) | 0;
  const destinationLinear = (cpu.segBase[SEG_ES] + edi) | 0;
  const sourceEntry = cpu.tlb[sourceLinear >>> 12];
  const destinationEntry = cpu.tlb[destinationLinear >>> 12];
  if ((sourceEntry & cpu.readMask) !== TLB_VALID || (destinationEntry & cpu.writeMask) !== TLB_VALID) return 0;
  let n = Math.min(
    count >>> 0, batch,
    (4096 - (sourceLinear & 0xFFF)) >>> 2, (4096 - (destinationLinear & 0xFFF)) >>> 2,
    Math.floor((readEnd - esi - 3) / 4) + 1, Math.floor((writeEnd - edi - 3) / 4) + 1,
  );
  if (n <= 0) return 0;
  const sourcePhysical = (sourceEntry & -4096) ^ sourceLinear;
  const destinationPhysical = (destinationEntry & -4096) ^ destinationLinear;
  // Element-by-element semantics differ from memmove when the destination trails the source closely.
  if (destinationPhysical > sourcePhysical && destinationPhysical < sourcePhysical + n * 4) {
    if (destinationPhysical - sourcePhysical < 4) return 0;
    n = Math.min(n, Math.floor((destinationPhysical - sourcePhysical) / 4));
  }
  if (n <= SHORT_COPY_DWORDS && ((sourcePhysical | destinationPhysical) & 3) === 0) {
    // A system call's few argument dwords: a loop costs less than copyWithin's fixed overhead, and
    // copying forwards one element at a time is what the instruction does anyway.
    const dwords = cpu.memory.dwords;
    const from = sourcePhysical >> 2;
    const to = destinationPhysical >> 2;
    for (let i = 0; i < n; i++) dwords[to + i] = dwords[from + i];
  } else {
    cpu.memory.bytes.copyWithin(destinationPhysical, sourcePhysical, sourcePhysical + n * 4);
  }
  r[6] = (esi + n * 4) | 0;
  r[7] = (edi + n * 4) | 0;
  r[1] = (count - n) | 0;
  return n;
}

const STRING_OPERATIONS: Record<string, number> = {
  movs: STRING_MOVS, cmps: STRING_CMPS, stos: STRING_STOS, lods: STRING_LODS, scas: STRING_SCAS, ins: STRING_INS, outs: STRING_OUTS,
};

export function resolveString(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  const operation = STRING_OPERATIONS[mnemonic.slice(0, -1)];
  if (operation === undefined) return undefined;
  entry.operation = operation;
  const override = entry.instruction.segmentOverride;
  entry.segment = override >= 0 ? override : 3;
  return stringInstruction;
}
