// Reading and writing an entry's operand slots. Values of 8/16-bit operands are unsigned; 32-bit
// values are int32 (bitwise results), which every consumer masks or compares with that in mind.
import type { Cpu } from './cpu';
import { DecodedEntry, OPERAND_IMMEDIATE, OPERAND_MEMORY, OPERAND_REGISTER, OPERAND_SEGMENT_REGISTER } from './decoded-entry';

export function readRegister(cpu: Cpu, size: number, index: number): number {
  return size === 4 ? cpu.r32[index] : size === 2 ? cpu.r16[index] : cpu.r8[index];
}

export function writeRegister(cpu: Cpu, size: number, index: number, value: number): void {
  if (size === 4) cpu.r32[index] = value;
  else if (size === 2) cpu.r16[index] = value;
  else cpu.r8[index] = value;
}

function readSlot(cpu: Cpu, entry: DecodedEntry, kind: number, size: number, arg: number): number {
  switch (kind) {
    case OPERAND_REGISTER: return readRegister(cpu, size, arg);
    case OPERAND_MEMORY: return cpu.readSized(entry.segment, cpu.effectiveAddress(entry), size);
    case OPERAND_IMMEDIATE: return size === 4 ? arg | 0 : arg;
    case OPERAND_SEGMENT_REGISTER: return cpu.segSelector[arg];
    default: return 0;
  }
}

export function readOperand0(cpu: Cpu, entry: DecodedEntry): number {
  return readSlot(cpu, entry, entry.kind0, entry.size0, entry.arg0);
}

export function readOperand1(cpu: Cpu, entry: DecodedEntry): number {
  return readSlot(cpu, entry, entry.kind1, entry.size1, entry.arg1);
}

export function readOperand2(cpu: Cpu, entry: DecodedEntry): number {
  return readSlot(cpu, entry, entry.kind2, entry.size2, entry.arg2);
}

/** Writes slot 0 (the destination). A memory destination is written through its (already computed) address. */
export function writeOperand0(cpu: Cpu, entry: DecodedEntry, value: number): void {
  if (entry.kind0 === OPERAND_REGISTER) writeRegister(cpu, entry.size0, entry.arg0, value);
  else if (entry.kind0 === OPERAND_MEMORY) cpu.writeSized(entry.segment, cpu.effectiveAddress(entry), entry.size0, value);
}

export function writeOperand1(cpu: Cpu, entry: DecodedEntry, value: number): void {
  if (entry.kind1 === OPERAND_REGISTER) writeRegister(cpu, entry.size1, entry.arg1, value);
  else if (entry.kind1 === OPERAND_MEMORY) cpu.writeSized(entry.segment, cpu.effectiveAddress(entry), entry.size1, value);
}

/** Moves EIP past the instruction (wrapping at 64 KiB in 16-bit code). */
export function advance(cpu: Cpu, entry: DecodedEntry): void {
  cpu.eip = entry.codeBits === 32 ? (cpu.eip + entry.length) | 0 : (cpu.eip + entry.length) & 0xFFFF;
}

export function nextEip(cpu: Cpu, entry: DecodedEntry): number {
  return entry.codeBits === 32 ? (cpu.eip + entry.length) | 0 : (cpu.eip + entry.length) & 0xFFFF;
}
