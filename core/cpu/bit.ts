// Bit test and scan: bt bts btr btc bsf bsr. A register bit offset addresses memory beyond the operand
// (signed, in operand-size units); an immediate offset is taken modulo the operand size.
import type { Cpu } from './cpu';
import { FLAG_CF, FLAG_ZF } from './constants';
import { DecodedEntry, Handler, OPERAND_IMMEDIATE, OPERAND_MEMORY } from './decoded-entry';
import { materializeFlags } from './flags';
import { advance, readOperand0, readOperand1, writeOperand0, writeRegister } from './operands';

const BIT_TEST = 0;
const BIT_SET = 1;
const BIT_RESET = 2;
const BIT_COMPLEMENT = 3;

function setCarry(cpu: Cpu, carry: number): void {
  materializeFlags(cpu);
  cpu.flags = carry ? cpu.flags | FLAG_CF : cpu.flags & ~FLAG_CF;
}

function modify(value: number, bit: number, operation: number): number {
  switch (operation) {
    case BIT_SET: return value | (1 << bit);
    case BIT_RESET: return value & ~(1 << bit);
    case BIT_COMPLEMENT: return value ^ (1 << bit);
    default: return value;
  }
}

function bitTest(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const bits = size * 8;
  const offset = readOperand1(cpu, entry);
  if (entry.kind0 === OPERAND_MEMORY && entry.kind1 !== OPERAND_IMMEDIATE) {
    // The register offset is signed: it selects the operand-sized unit at ea + (offset >> log2(bits)) * size.
    const signedOffset = size === 4 ? offset | 0 : (offset << 16) >> 16;
    const unit = Math.floor(signedOffset / bits);
    const bit = signedOffset - unit * bits;
    const address = (cpu.effectiveAddress(entry) + unit * size) & entry.addressMask;
    const value = cpu.readSized(entry.segment, address, size);
    setCarry(cpu, (value >>> bit) & 1);
    if (entry.operation !== BIT_TEST) cpu.writeSized(entry.segment, address, size, modify(value, bit, entry.operation));
  } else {
    const bit = offset & (bits - 1);
    const value = readOperand0(cpu, entry);
    setCarry(cpu, (value >>> bit) & 1);
    if (entry.operation !== BIT_TEST) writeOperand0(cpu, entry, modify(value, bit, entry.operation));
  }
  advance(cpu, entry);
}

function bitScan(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const mask = size === 4 ? -1 : 0xFFFF;
  const source = readOperand1(cpu, entry) & mask;
  materializeFlags(cpu);
  if (source === 0) {
    cpu.flags |= FLAG_ZF;
  } else {
    cpu.flags &= ~FLAG_ZF;
    const index = entry.operation === 0 ? 31 - Math.clz32(source & -source) : 31 - Math.clz32(source);
    writeRegister(cpu, size, entry.arg0, index);
  }
  advance(cpu, entry);
}

export function resolveBit(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  switch (mnemonic) {
    case 'bt': entry.operation = BIT_TEST; return bitTest;
    case 'bts': entry.operation = BIT_SET; return bitTest;
    case 'btr': entry.operation = BIT_RESET; return bitTest;
    case 'btc': entry.operation = BIT_COMPLEMENT; return bitTest;
    case 'bsf': entry.operation = 0; return bitScan;
    case 'bsr': entry.operation = 1; return bitScan;
    default: return undefined;
  }
}
