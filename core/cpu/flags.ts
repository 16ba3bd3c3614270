// Lazy arithmetic flags (STYLE.md 4): the last flag-setting operation records its operands, result and
// size; CF/PF/AF/ZF/SF/OF are derived only when read, and materialised for pushfd, interrupts, the debugger.
import type { Cpu } from './cpu';
import {
  ARITHMETIC_FLAGS, FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_RESERVED_1, FLAG_SF, FLAG_ZF,
} from './constants';

/** The last operation was an addition (add, adc, inc, xadd): CF is the carry out. */
export const LAZY_ADD = 0;
/** The last operation was a subtraction (sub, sbb, cmp, dec, neg, cmpxchg): CF is the borrow. */
export const LAZY_SUB = 1;
/** The last operation was logical (and, or, xor, test, and the ZF/SF/PF of shifts): CF = OF = AF = 0. */
export const LAZY_LOGIC = 2;

const PARITY_EVEN = buildParityTable();

function buildParityTable(): Uint8Array {
  const table = new Uint8Array(256);
  for (let value = 0; value < 256; value++) {
    let bits = 0;
    for (let bit = 0; bit < 8; bit++) bits += (value >> bit) & 1;
    table[value] = (bits & 1) === 0 ? 1 : 0;
  }
  return table;
}

/** Sign bit for an operand size in bytes. */
export function signBitOf(size: number): number {
  return size === 4 ? 0x80000000 | 0 : size === 2 ? 0x8000 : 0x80;
}

/** Value mask for an operand size in bytes (-1 for 32 bits, so results stay int32). */
export function maskOf(size: number): number {
  return size === 4 ? -1 : size === 2 ? 0xFFFF : 0xFF;
}

/** Records an arithmetic result; all six status flags become lazy. */
export function setLazyFlags(cpu: Cpu, kind: number, size: number, a: number, b: number, result: number): void {
  cpu.lazyKind = kind;
  cpu.lazySign = signBitOf(size);
  cpu.lazyA = a;
  cpu.lazyB = b;
  cpu.lazyResult = result & maskOf(size);
  cpu.lazyFlags = ARITHMETIC_FLAGS;
}

/** Like setLazyFlags but CF keeps its current value (inc, dec). */
export function setLazyFlagsKeepCarry(cpu: Cpu, kind: number, size: number, a: number, b: number, result: number): void {
  const carry = getCF(cpu);
  cpu.flags = (cpu.flags & ~FLAG_CF) | carry;
  setLazyFlags(cpu, kind, size, a, b, result);
  cpu.lazyFlags = ARITHMETIC_FLAGS & ~FLAG_CF;
}

/** Result-derived ZF/SF/PF (AF cleared) with CF and OF given explicitly (shifts, rotates, bit scans). */
export function setResultFlags(cpu: Cpu, size: number, result: number, carry: number, overflow: number): void {
  setLazyFlags(cpu, LAZY_LOGIC, size, 0, 0, result);
  cpu.lazyFlags = FLAG_ZF | FLAG_SF | FLAG_PF | FLAG_AF;
  cpu.flags = (cpu.flags & ~(FLAG_CF | FLAG_OF)) | (carry ? FLAG_CF : 0) | (overflow ? FLAG_OF : 0);
}

export function getCF(cpu: Cpu): number {
  if ((cpu.lazyFlags & FLAG_CF) === 0) return cpu.flags & FLAG_CF;
  const a = cpu.lazyA, b = cpu.lazyB, r = cpu.lazyResult;
  switch (cpu.lazyKind) {
    case LAZY_ADD: return (((a & b) | ((a | b) & ~r)) & cpu.lazySign) !== 0 ? 1 : 0;
    case LAZY_SUB: return (((~a & b) | ((~a | b) & r)) & cpu.lazySign) !== 0 ? 1 : 0;
    default: return 0;
  }
}

export function getOF(cpu: Cpu): boolean {
  if ((cpu.lazyFlags & FLAG_OF) === 0) return (cpu.flags & FLAG_OF) !== 0;
  const a = cpu.lazyA, b = cpu.lazyB, r = cpu.lazyResult;
  switch (cpu.lazyKind) {
    case LAZY_ADD: return (((a ^ r) & (b ^ r)) & cpu.lazySign) !== 0;
    case LAZY_SUB: return (((a ^ b) & (a ^ r)) & cpu.lazySign) !== 0;
    default: return false;
  }
}

export function getZF(cpu: Cpu): boolean {
  return (cpu.lazyFlags & FLAG_ZF) !== 0 ? cpu.lazyResult === 0 : (cpu.flags & FLAG_ZF) !== 0;
}

export function getSF(cpu: Cpu): boolean {
  return (cpu.lazyFlags & FLAG_SF) !== 0 ? (cpu.lazyResult & cpu.lazySign) !== 0 : (cpu.flags & FLAG_SF) !== 0;
}

export function getPF(cpu: Cpu): boolean {
  return (cpu.lazyFlags & FLAG_PF) !== 0 ? PARITY_EVEN[cpu.lazyResult & 0xFF] === 1 : (cpu.flags & FLAG_PF) !== 0;
}

export function getAF(cpu: Cpu): boolean {
  if ((cpu.lazyFlags & FLAG_AF) === 0) return (cpu.flags & FLAG_AF) !== 0;
  return cpu.lazyKind === LAZY_LOGIC ? false : ((cpu.lazyA ^ cpu.lazyB ^ cpu.lazyResult) & 0x10) !== 0;
}

/** Evaluates condition code `cc` (the low nibble of jcc/setcc/cmovcc opcodes). */
export function testCondition(cpu: Cpu, cc: number): boolean {
  let result: boolean;
  switch (cc >> 1) {
    case 0: result = getOF(cpu); break;
    case 1: result = getCF(cpu) !== 0; break;
    case 2: result = getZF(cpu); break;
    case 3: result = getCF(cpu) !== 0 || getZF(cpu); break;
    case 4: result = getSF(cpu); break;
    case 5: result = getPF(cpu); break;
    case 6: result = getSF(cpu) !== getOF(cpu); break;
    default: result = getZF(cpu) || getSF(cpu) !== getOF(cpu); break;
  }
  return (cc & 1) === 0 ? result : !result;
}

/** The whole EFLAGS value with every lazy flag evaluated (the lazy state stays valid). */
export function readEflags(cpu: Cpu): number {
  if (cpu.lazyFlags === 0) return (cpu.flags | FLAG_RESERVED_1) >>> 0;
  let value = cpu.flags & ~cpu.lazyFlags;
  const lazy = cpu.lazyFlags;
  if (lazy & FLAG_CF) value |= getCF(cpu);
  if ((lazy & FLAG_PF) && getPF(cpu)) value |= FLAG_PF;
  if ((lazy & FLAG_AF) && getAF(cpu)) value |= FLAG_AF;
  if ((lazy & FLAG_ZF) && getZF(cpu)) value |= FLAG_ZF;
  if ((lazy & FLAG_SF) && getSF(cpu)) value |= FLAG_SF;
  if ((lazy & FLAG_OF) && getOF(cpu)) value |= FLAG_OF;
  return (value | FLAG_RESERVED_1) >>> 0;
}

/** Makes every flag concrete in cpu.flags (before code that edits individual status bits). */
export function materializeFlags(cpu: Cpu): void {
  cpu.flags = readEflags(cpu) | 0;
  cpu.lazyFlags = 0;
}

/** Replaces the bits of `mask` in EFLAGS with those of `value`. Callers apply privilege rules to `mask`. */
export function writeEflagsBits(cpu: Cpu, value: number, mask: number): void {
  materializeFlags(cpu);
  cpu.flags = ((cpu.flags & ~mask) | (value & mask) | FLAG_RESERVED_1) | 0;
}

/** Sets or clears one status flag, keeping the others (lazy ones are materialised first). */
export function setFlag(cpu: Cpu, flag: number, on: boolean): void {
  if (cpu.lazyFlags & flag) materializeFlags(cpu);
  cpu.flags = on ? (cpu.flags | flag) : (cpu.flags & ~flag);
}
