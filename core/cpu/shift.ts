// Shifts and rotates: shl/sal shr sar rol ror rcl rcr shld shrd (SDM vol. 2 pseudo-code; the count is
// masked to 5 bits, a masked count of 0 changes no flags, OF is defined only for a count of 1).
import type { Cpu } from './cpu';
import { FLAG_CF, FLAG_OF } from './constants';
import { DecodedEntry, Handler } from './decoded-entry';
import { getCF, materializeFlags, maskOf, setResultFlags, signBitOf } from './flags';
import { advance, readOperand0, readOperand1, readOperand2, writeOperand0 } from './operands';

const SHIFT_ROL = 0;
const SHIFT_ROR = 1;
const SHIFT_RCL = 2;
const SHIFT_RCR = 3;
export const SHIFT_SHL = 4;
export const SHIFT_SHR = 5;
export const SHIFT_SAR = 7;

const SHIFT_OPERATIONS: Record<string, number> = {
  rol: SHIFT_ROL, ror: SHIFT_ROR, rcl: SHIFT_RCL, rcr: SHIFT_RCR, shl: SHIFT_SHL, sal: SHIFT_SHL, shr: SHIFT_SHR, sar: SHIFT_SAR,
};

/** Sets CF and OF only (rotates leave SF/ZF/PF/AF alone). */
function setCarryOverflow(cpu: Cpu, carry: number, overflow: number): void {
  materializeFlags(cpu);
  cpu.flags = (cpu.flags & ~(FLAG_CF | FLAG_OF)) | (carry ? FLAG_CF : 0) | (overflow ? FLAG_OF : 0);
}

/** Returns the shifted value; sets the flags. `count` is already masked to 5 bits and non-zero. */
export function shiftCompute(cpu: Cpu, operation: number, size: number, value: number, count: number): number {
  const bits = size * 8;
  const mask = maskOf(size);
  const sign = signBitOf(size);
  value &= mask;
  switch (operation) {
    case SHIFT_SHL: {
      const result = count < 32 ? (value << count) & mask : 0;
      const carry = count <= bits ? (count === bits && bits === 32 ? value & 1 : (value >>> (bits - count)) & 1) : 0;
      setResultFlags(cpu, size, result, carry, ((result & sign) !== 0 ? 1 : 0) ^ carry);
      return result;
    }
    case SHIFT_SHR: {
      const result = count < 32 ? (value >>> count) & mask : 0;
      const carry = (value >>> (count - 1)) & 1;
      setResultFlags(cpu, size, result, carry, (value & sign) !== 0 ? 1 : 0);
      return result;
    }
    case SHIFT_SAR: {
      const signed = size === 4 ? value | 0 : size === 2 ? (value << 16) >> 16 : (value << 24) >> 24;
      const result = (signed >> Math.min(count, 31)) & mask;
      const carry = (signed >> Math.min(count - 1, 31)) & 1;
      setResultFlags(cpu, size, result, carry, 0);
      return result;
    }
    case SHIFT_ROL: {
      const rotate = count % bits;
      const result = rotate === 0 ? value : ((value << rotate) | (value >>> (bits - rotate))) & mask;
      const carry = result & 1;
      setCarryOverflow(cpu, carry, ((result & sign) !== 0 ? 1 : 0) ^ carry);
      return result;
    }
    case SHIFT_ROR: {
      const rotate = count % bits;
      const result = rotate === 0 ? value : ((value >>> rotate) | (value << (bits - rotate))) & mask;
      const top = (result & sign) !== 0 ? 1 : 0;
      const next = (result & (sign >>> 1)) !== 0 ? 1 : 0;
      setCarryOverflow(cpu, top, top ^ next);
      return result;
    }
    case SHIFT_RCL: {
      const rotate = size === 4 ? count : count % (bits + 1);
      let carry = getCF(cpu);
      let result = value;
      for (let i = 0; i < rotate; i++) {
        const out = (result & sign) !== 0 ? 1 : 0;
        result = ((result << 1) | carry) & mask;
        carry = out;
      }
      setCarryOverflow(cpu, carry, ((result & sign) !== 0 ? 1 : 0) ^ carry);
      return result;
    }
    case SHIFT_RCR: {
      const rotate = size === 4 ? count : count % (bits + 1);
      let carry = getCF(cpu);
      const overflow = ((value & sign) !== 0 ? 1 : 0) ^ carry;
      let result = value;
      for (let i = 0; i < rotate; i++) {
        const out = result & 1;
        result = ((result >>> 1) | (carry ? sign : 0)) & mask;
        carry = out;
      }
      setCarryOverflow(cpu, carry, overflow);
      return result;
    }
    default:
      return value;
  }
}

function shift(cpu: Cpu, entry: DecodedEntry): void {
  const count = readOperand1(cpu, entry) & 0x1F;
  const value = readOperand0(cpu, entry);
  if (count !== 0) writeOperand0(cpu, entry, shiftCompute(cpu, entry.operation, entry.size0, value, count));
  advance(cpu, entry);
}

/** shld/shrd: DEST shifted with bits from SRC (count > operand size: result and flags undefined). */
export function doubleShiftCompute(cpu: Cpu, left: boolean, size: number, destination: number, source: number, count: number): number {
  const bits = size * 8;
  const mask = maskOf(size);
  const sign = signBitOf(size);
  destination &= mask;
  source &= mask;
  let result: number;
  let carry: number;
  if (size === 4) {
    if (left) {
      result = (destination << count) | (source >>> (32 - count));
      carry = (destination >>> (32 - count)) & 1;
    } else {
      result = (destination >>> count) | (source << (32 - count));
      carry = (destination >>> (count - 1)) & 1;
    }
  } else {
    // 16-bit: treat DEST:SRC as a 32-bit (shld) / SRC:DEST (shrd) quantity, as P6 does for counts up to 16.
    if (left) {
      const combined = ((destination << 16) | source) >>> 0;
      result = count <= 16 ? (combined << count) >>> 16 : ((source << 16 | destination) >>> 0) << (count - 16) >>> 16;
      carry = count <= 16 ? (destination >>> (16 - count)) & 1 : (source >>> (32 - count)) & 1;
    } else {
      const combined = ((source << 16) | destination) >>> 0;
      result = count <= 16 ? combined >>> count : (((destination << 16) | source) >>> 0) >>> (count - 16);
      carry = count <= 16 ? (destination >>> (count - 1)) & 1 : (source >>> (count - 17)) & 1;
    }
  }
  result &= mask;
  void bits;
  const overflow = ((result ^ destination) & sign) !== 0 ? 1 : 0;
  setResultFlags(cpu, size, result, carry, overflow);
  return result;
}

function doubleShift(cpu: Cpu, entry: DecodedEntry): void {
  const count = readOperand2(cpu, entry) & 0x1F;
  const destination = readOperand0(cpu, entry);
  const source = readOperand1(cpu, entry);
  if (count !== 0) writeOperand0(cpu, entry, doubleShiftCompute(cpu, entry.operation === 1, entry.size0, destination, source, count));
  advance(cpu, entry);
}

export function resolveShift(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  const operation = SHIFT_OPERATIONS[mnemonic];
  if (operation !== undefined) {
    entry.operation = operation;
    return shift;
  }
  if (mnemonic === 'shld' || mnemonic === 'shrd') {
    entry.operation = mnemonic === 'shld' ? 1 : 0;
    return doubleShift;
  }
  return undefined;
}
