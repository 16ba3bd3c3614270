// Integer arithmetic and logic: add or adc sbb and sub xor cmp test inc dec neg not xadd cmpxchg cmpxchg8b.
import type { Cpu } from './cpu';
import { ARITHMETIC_FLAGS, FLAG_CF, FLAG_ZF } from './constants';
import { DecodedEntry, Handler, OPERAND_IMMEDIATE, OPERAND_MEMORY, OPERAND_REGISTER } from './decoded-entry';
import { getCF, LAZY_ADD, LAZY_LOGIC, LAZY_SUB, setFlag, setLazyFlags, setLazyFlagsKeepCarry } from './flags';
import { advance, readOperand0, readOperand1, readRegister, writeOperand0, writeOperand1, writeRegister } from './operands';

export const ALU_ADD = 0;
export const ALU_OR = 1;
export const ALU_ADC = 2;
export const ALU_SBB = 3;
export const ALU_AND = 4;
export const ALU_SUB = 5;
export const ALU_XOR = 6;
export const ALU_CMP = 7;
export const ALU_TEST = 8;

const ALU_OPERATIONS: Record<string, number> = {
  add: ALU_ADD, or: ALU_OR, adc: ALU_ADC, sbb: ALU_SBB, and: ALU_AND, sub: ALU_SUB, xor: ALU_XOR, cmp: ALU_CMP, test: ALU_TEST,
};

/** Computes `a op b` at `size` bytes, records the lazy flags and returns the (unmasked) result. */
export function aluCompute(cpu: Cpu, operation: number, size: number, a: number, b: number): number {
  let result: number;
  switch (operation) {
    case ALU_ADD: result = (a + b) | 0; setLazyFlags(cpu, LAZY_ADD, size, a, b, result); return result;
    case ALU_OR: result = a | b; setLazyFlags(cpu, LAZY_LOGIC, size, a, b, result); return result;
    case ALU_ADC: result = (a + b + getCF(cpu)) | 0; setLazyFlags(cpu, LAZY_ADD, size, a, b, result); return result;
    case ALU_SBB: result = (a - b - getCF(cpu)) | 0; setLazyFlags(cpu, LAZY_SUB, size, a, b, result); return result;
    case ALU_AND: case ALU_TEST: result = a & b; setLazyFlags(cpu, LAZY_LOGIC, size, a, b, result); return result;
    case ALU_XOR: result = a ^ b; setLazyFlags(cpu, LAZY_LOGIC, size, a, b, result); return result;
    default: result = (a - b) | 0; setLazyFlags(cpu, LAZY_SUB, size, a, b, result); return result;
  }
}

/** Records a 32-bit add/sub/logic result: the hot path of register loops writes the fields directly. */
function lazy32(cpu: Cpu, kind: number, a: number, b: number, result: number): void {
  cpu.lazyKind = kind;
  cpu.lazySign = 0x80000000 | 0;
  cpu.lazyA = a;
  cpu.lazyB = b;
  cpu.lazyResult = result;
  cpu.lazyFlags = ARITHMETIC_FLAGS;
}

export function addRegisterRegister32(cpu: Cpu, entry: DecodedEntry): void {
  const r = cpu.r32;
  const a = r[entry.arg0], b = r[entry.arg1];
  const result = (a + b) | 0;
  lazy32(cpu, LAZY_ADD, a, b, result);
  r[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function subRegisterRegister32(cpu: Cpu, entry: DecodedEntry): void {
  const r = cpu.r32;
  const a = r[entry.arg0], b = r[entry.arg1];
  const result = (a - b) | 0;
  lazy32(cpu, LAZY_SUB, a, b, result);
  if (entry.operation === ALU_SUB) r[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function xorRegisterRegister32(cpu: Cpu, entry: DecodedEntry): void {
  const r = cpu.r32;
  const result = r[entry.arg0] ^ r[entry.arg1];
  lazy32(cpu, LAZY_LOGIC, 0, 0, result);
  r[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function addRegisterImmediate32(cpu: Cpu, entry: DecodedEntry): void {
  const r = cpu.r32;
  const a = r[entry.arg0], b = entry.arg1 | 0;
  const result = (a + b) | 0;
  lazy32(cpu, LAZY_ADD, a, b, result);
  r[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function subRegisterImmediate32(cpu: Cpu, entry: DecodedEntry): void {
  const r = cpu.r32;
  const a = r[entry.arg0], b = entry.arg1 | 0;
  const result = (a - b) | 0;
  lazy32(cpu, LAZY_SUB, a, b, result);
  if (entry.operation === ALU_SUB) r[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

/** Both slots registers, 32-bit: the hot form of a register loop. */
export function aluRegisterRegister32(cpu: Cpu, entry: DecodedEntry): void {
  const r = cpu.r32;
  const result = aluCompute(cpu, entry.operation, 4, r[entry.arg0], r[entry.arg1]);
  if (entry.operation < ALU_CMP) r[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function aluRegisterImmediate32(cpu: Cpu, entry: DecodedEntry): void {
  const r = cpu.r32;
  const result = aluCompute(cpu, entry.operation, 4, r[entry.arg0], entry.arg1 | 0);
  if (entry.operation < ALU_CMP) r[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function aluRegisterMemory32(cpu: Cpu, entry: DecodedEntry): void {
  const r = cpu.r32;
  const b = cpu.read32(entry.segment, cpu.effectiveAddress(entry));
  const result = aluCompute(cpu, entry.operation, 4, r[entry.arg0], b);
  if (entry.operation < ALU_CMP) r[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

/** The result of `a op b` without touching the flags (so a faulting write can come before them). */
function aluResult(cpu: Cpu, operation: number, a: number, b: number): number {
  switch (operation) {
    case ALU_ADD: return (a + b) | 0;
    case ALU_OR: return a | b;
    case ALU_ADC: return (a + b + getCF(cpu)) | 0;
    case ALU_SBB: return (a - b - getCF(cpu)) | 0;
    case ALU_AND: case ALU_TEST: return a & b;
    case ALU_XOR: return a ^ b;
    default: return (a - b) | 0;
  }
}

export function aluMemory32(cpu: Cpu, entry: DecodedEntry): void {
  const address = cpu.effectiveAddress(entry);
  const a = cpu.read32(entry.segment, address);
  const b = entry.kind1 === OPERAND_REGISTER ? cpu.r32[entry.arg1] : entry.arg1 | 0;
  // The write comes before the flags: a faulting write leaves EFLAGS as they were.
  if (entry.operation < ALU_CMP) cpu.write32(entry.segment, address, aluResult(cpu, entry.operation, a, b));
  aluCompute(cpu, entry.operation, 4, a, b);
  cpu.eip = (cpu.eip + entry.length) | 0;
}

/** Any size, any slot kinds. */
function aluGeneric(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const a = readOperand0(cpu, entry);
  const b = readOperand1(cpu, entry);
  // As in aluMemory32: a faulting memory write leaves EFLAGS untouched.
  if (entry.operation < ALU_CMP) writeOperand0(cpu, entry, aluResult(cpu, entry.operation, a, b));
  aluCompute(cpu, entry.operation, size, a, b);
  advance(cpu, entry);
}

export function inc32(cpu: Cpu, entry: DecodedEntry): void {
  const a = cpu.r32[entry.arg0];
  const result = (a + 1) | 0;
  cpu.flags = (cpu.flags & ~FLAG_CF) | getCF(cpu);
  lazy32(cpu, LAZY_ADD, a, 1, result);
  cpu.lazyFlags = ARITHMETIC_FLAGS & ~FLAG_CF;
  cpu.r32[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function dec32(cpu: Cpu, entry: DecodedEntry): void {
  const a = cpu.r32[entry.arg0];
  const result = (a - 1) | 0;
  cpu.flags = (cpu.flags & ~FLAG_CF) | getCF(cpu);
  lazy32(cpu, LAZY_SUB, a, 1, result);
  cpu.lazyFlags = ARITHMETIC_FLAGS & ~FLAG_CF;
  cpu.r32[entry.arg0] = result;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

function incGeneric(cpu: Cpu, entry: DecodedEntry): void {
  const a = readOperand0(cpu, entry);
  const result = (a + 1) | 0;
  // A faulting memory write leaves EFLAGS untouched (the write comes first).
  writeOperand0(cpu, entry, result);
  setLazyFlagsKeepCarry(cpu, LAZY_ADD, entry.size0, a, 1, result);
  advance(cpu, entry);
}

function decGeneric(cpu: Cpu, entry: DecodedEntry): void {
  const a = readOperand0(cpu, entry);
  const result = (a - 1) | 0;
  // A faulting memory write leaves EFLAGS untouched (the write comes first).
  writeOperand0(cpu, entry, result);
  setLazyFlagsKeepCarry(cpu, LAZY_SUB, entry.size0, a, 1, result);
  advance(cpu, entry);
}

function neg(cpu: Cpu, entry: DecodedEntry): void {
  const b = readOperand0(cpu, entry);
  const result = (0 - b) | 0;
  setLazyFlags(cpu, LAZY_SUB, entry.size0, 0, b, result);
  writeOperand0(cpu, entry, result);
  advance(cpu, entry);
}

function not(cpu: Cpu, entry: DecodedEntry): void {
  writeOperand0(cpu, entry, ~readOperand0(cpu, entry));
  advance(cpu, entry);
}

/** xadd: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (destination written last). */
function xadd(cpu: Cpu, entry: DecodedEntry): void {
  const destination = readOperand0(cpu, entry);
  const source = readOperand1(cpu, entry);
  const sum = aluCompute(cpu, ALU_ADD, entry.size0, destination, source);
  writeOperand0(cpu, entry, sum);
  writeOperand1(cpu, entry, destination);
  advance(cpu, entry);
}

/** cmpxchg: compare accumulator with DEST; equal -> DEST = SRC, else accumulator = DEST (P6 writes DEST back). */
function cmpxchg(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const destination = readOperand0(cpu, entry);
  const accumulator = readRegister(cpu, size, 0);
  aluCompute(cpu, ALU_CMP, size, accumulator, destination);
  const mask = size === 4 ? -1 : size === 2 ? 0xFFFF : 0xFF;
  if ((accumulator & mask) === (destination & mask)) {
    writeOperand0(cpu, entry, readOperand1(cpu, entry));
  } else {
    if (entry.kind0 === OPERAND_MEMORY) writeOperand0(cpu, entry, destination);
    writeRegister(cpu, size, 0, destination);
  }
  advance(cpu, entry);
}

function cmpxchg8b(cpu: Cpu, entry: DecodedEntry): void {
  const address = cpu.effectiveAddress(entry);
  const low = cpu.read32(entry.segment, address);
  const high = cpu.read32(entry.segment, (address + 4) & entry.addressMask);
  const r = cpu.r32;
  if (low === r[0] && high === r[2]) {
    cpu.write32(entry.segment, address, r[3]);
    cpu.write32(entry.segment, (address + 4) & entry.addressMask, r[1]);
    setFlag(cpu, FLAG_ZF, true);
  } else {
    cpu.write32(entry.segment, address, low);
    cpu.write32(entry.segment, (address + 4) & entry.addressMask, high);
    r[0] = low;
    r[2] = high;
    setFlag(cpu, FLAG_ZF, false);
  }
  advance(cpu, entry);
}

export function resolveAlu(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  const operation = ALU_OPERATIONS[mnemonic];
  if (operation !== undefined) {
    entry.operation = operation;
    const thirtyTwo = entry.size0 === 4 && entry.codeBits === 32;
    if (thirtyTwo && entry.kind0 === OPERAND_REGISTER && entry.kind1 === OPERAND_REGISTER) {
      if (operation === ALU_ADD) return addRegisterRegister32;
      if (operation === ALU_SUB || operation === ALU_CMP) return subRegisterRegister32;
      if (operation === ALU_XOR) return xorRegisterRegister32;
      return aluRegisterRegister32;
    }
    if (thirtyTwo && entry.kind0 === OPERAND_REGISTER && entry.kind1 === OPERAND_IMMEDIATE) {
      if (operation === ALU_ADD) return addRegisterImmediate32;
      if (operation === ALU_SUB || operation === ALU_CMP) return subRegisterImmediate32;
      return aluRegisterImmediate32;
    }
    if (thirtyTwo && entry.kind0 === OPERAND_REGISTER && entry.kind1 === OPERAND_MEMORY) return aluRegisterMemory32;
    if (thirtyTwo && entry.kind0 === OPERAND_MEMORY) return aluMemory32;
    // test r, rm (the assembler spelling) reads the same two operands
    return aluGeneric;
  }
  const thirtyTwoRegister = entry.size0 === 4 && entry.kind0 === OPERAND_REGISTER && entry.codeBits === 32;
  switch (mnemonic) {
    case 'inc': return thirtyTwoRegister ? inc32 : incGeneric;
    case 'dec': return thirtyTwoRegister ? dec32 : decGeneric;
    case 'neg': return neg;
    case 'not': return not;
    case 'xadd': return xadd;
    case 'cmpxchg': return cmpxchg;
    case 'cmpxchg8b': return cmpxchg8b;
    default: return undefined;
  }
}
