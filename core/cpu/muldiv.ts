// mul imul div idiv (SDM vol. 2): widening products into AX / DX:AX / EDX:EAX, #DE on a zero divisor or a
// quotient that does not fit. CF = OF = "the high half is significant"; SF ZF AF PF are undefined.
import type { Cpu } from './cpu';
import { VECTOR_DE } from './constants';
import { DecodedEntry, Handler } from './decoded-entry';
import { maskOf, setResultFlags } from './flags';
import { advance, readOperand0, readOperand1, readOperand2, writeRegister } from './operands';

function signExtend(value: number, size: number): number {
  return size === 4 ? value | 0 : size === 2 ? (value << 16) >> 16 : (value << 24) >> 24;
}

function mul(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const source = readOperand0(cpu, entry) & maskOf(size);
  const r = cpu.r32;
  if (size === 1) {
    const product = cpu.r8[0] * source;
    cpu.r16[0] = product;
    setResultFlags(cpu, 1, product, product > 0xFF ? 1 : 0, product > 0xFF ? 1 : 0);
  } else if (size === 2) {
    const product = cpu.r16[0] * source;
    cpu.r16[0] = product & 0xFFFF;
    cpu.r16[4] = product >>> 16;
    const high = product >>> 16 !== 0 ? 1 : 0;
    setResultFlags(cpu, 2, product, high, high);
  } else {
    const product = BigInt(r[0] >>> 0) * BigInt(source >>> 0);
    const low = Number(product & 0xFFFFFFFFn) | 0;
    const highValue = Number(product >> 32n) | 0;
    r[0] = low;
    r[2] = highValue;
    const high = highValue !== 0 ? 1 : 0;
    setResultFlags(cpu, 4, low, high, high);
  }
  advance(cpu, entry);
}

function imulOneOperand(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const source = signExtend(readOperand0(cpu, entry), size);
  const r = cpu.r32;
  if (size === 1) {
    const product = signExtend(cpu.r8[0], 1) * source;
    cpu.r16[0] = product & 0xFFFF;
    const significant = product !== signExtend(product, 1) ? 1 : 0;
    setResultFlags(cpu, 1, product, significant, significant);
  } else if (size === 2) {
    const product = signExtend(cpu.r16[0], 2) * source;
    cpu.r16[0] = product & 0xFFFF;
    cpu.r16[4] = (product >> 16) & 0xFFFF;
    const significant = product !== signExtend(product, 2) ? 1 : 0;
    setResultFlags(cpu, 2, product, significant, significant);
  } else {
    const product = BigInt(r[0]) * BigInt(source);
    const low = Number(BigInt.asIntN(32, product));
    r[0] = low;
    r[2] = Number(BigInt.asIntN(32, product >> 32n));
    const significant = BigInt(low) !== product ? 1 : 0;
    setResultFlags(cpu, 4, low, significant, significant);
  }
  advance(cpu, entry);
}

/** imul r, rm / imul r, rm, imm: truncated product into the register. */
function imulTruncating(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const a = signExtend(entry.kind2 !== 0 ? readOperand1(cpu, entry) : readOperand0(cpu, entry), size);
  const b = signExtend(entry.kind2 !== 0 ? readOperand2(cpu, entry) : readOperand1(cpu, entry), size);
  let result: number;
  let significant: number;
  if (size === 4) {
    result = Math.imul(a, b);
    significant = BigInt(a) * BigInt(b) !== BigInt(result) ? 1 : 0;
  } else {
    const product = a * b;
    result = product & maskOf(size);
    significant = product !== signExtend(product, size) ? 1 : 0;
  }
  writeRegister(cpu, size, entry.arg0, result);
  setResultFlags(cpu, size, result, significant, significant);
  advance(cpu, entry);
}

function div(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const divisor = readOperand0(cpu, entry) & maskOf(size);
  if (divisor === 0) cpu.raise(VECTOR_DE);
  if (size === 1) {
    const dividend = cpu.r16[0];
    const quotient = Math.floor(dividend / divisor);
    if (quotient > 0xFF) cpu.raise(VECTOR_DE);
    cpu.r8[0] = quotient;
    cpu.r8[1] = dividend % divisor;
  } else if (size === 2) {
    const dividend = ((cpu.r16[4] << 16) | cpu.r16[0]) >>> 0;
    const quotient = Math.floor(dividend / divisor);
    if (quotient > 0xFFFF) cpu.raise(VECTOR_DE);
    cpu.r16[0] = quotient;
    cpu.r16[4] = dividend % divisor;
  } else {
    const r = cpu.r32;
    const high = r[2] >>> 0;
    const low = r[0] >>> 0;
    if (high === 0) {
      const unsignedDivisor = divisor >>> 0;
      r[0] = Math.floor(low / unsignedDivisor);
      r[2] = low % unsignedDivisor;
    } else {
      const dividend = (BigInt(high) << 32n) | BigInt(low);
      const quotient = dividend / BigInt(divisor >>> 0);
      if (quotient > 0xFFFFFFFFn) cpu.raise(VECTOR_DE);
      r[0] = Number(quotient);
      r[2] = Number(dividend % BigInt(divisor >>> 0));
    }
  }
  advance(cpu, entry);
}

function idiv(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const divisor = signExtend(readOperand0(cpu, entry), size);
  if (divisor === 0) cpu.raise(VECTOR_DE);
  if (size === 1) {
    const dividend = signExtend(cpu.r16[0], 2);
    const quotient = Math.trunc(dividend / divisor);
    if (quotient > 127 || quotient < -128) cpu.raise(VECTOR_DE);
    cpu.r8[0] = quotient & 0xFF;
    cpu.r8[1] = (dividend % divisor) & 0xFF;
  } else if (size === 2) {
    const dividend = (cpu.r16[4] << 16) | cpu.r16[0];
    const quotient = Math.trunc(dividend / divisor);
    if (quotient > 32767 || quotient < -32768) cpu.raise(VECTOR_DE);
    cpu.r16[0] = quotient & 0xFFFF;
    cpu.r16[4] = (dividend % divisor) & 0xFFFF;
  } else {
    const r = cpu.r32;
    const dividend = (BigInt(r[2]) << 32n) | BigInt(r[0] >>> 0);
    const quotient = dividend / BigInt(divisor);
    if (quotient > 2147483647n || quotient < -2147483648n) cpu.raise(VECTOR_DE);
    r[0] = Number(quotient);
    r[2] = Number(dividend % BigInt(divisor));
  }
  advance(cpu, entry);
}

export function resolveMulDiv(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  switch (mnemonic) {
    case 'mul': return mul;
    case 'div': return div;
    case 'idiv': return idiv;
    case 'imul':
      if (entry.kind1 === 0) return imulOneOperand;
      return imulTruncating;
    default: return undefined;
  }
}
