// Decimal adjust: daa das aaa aas aam aad, transcribed from the SDM vol. 2 pseudo-code.
import type { Cpu } from './cpu';
import { FLAG_AF, FLAG_CF, VECTOR_DE } from './constants';
import { DecodedEntry, Handler, OPERAND_IMMEDIATE } from './decoded-entry';
import { getAF, getCF, materializeFlags, setResultFlags } from './flags';
import { advance } from './operands';

/** ZF/SF/PF from AL, with CF and AF as computed (OF undefined: left 0). */
function setDecimalFlags(cpu: Cpu, al: number, carry: number, adjust: boolean): void {
  setResultFlags(cpu, 1, al, carry, 0);
  materializeFlags(cpu);
  cpu.flags = adjust ? cpu.flags | FLAG_AF : cpu.flags & ~FLAG_AF;
}

function daa(cpu: Cpu, entry: DecodedEntry): void {
  const oldAl = cpu.r8[0];
  const oldCarry = getCF(cpu);
  let al = oldAl;
  let carry = 0;
  let adjust = false;
  if ((al & 0x0F) > 9 || getAF(cpu)) {
    carry = oldCarry | (al + 6 > 0xFF ? 1 : 0);
    al = (al + 6) & 0xFF;
    adjust = true;
  }
  if (oldAl > 0x99 || oldCarry === 1) {
    al = (al + 0x60) & 0xFF;
    carry = 1;
  } else {
    carry = 0;
  }
  cpu.r8[0] = al;
  setDecimalFlags(cpu, al, carry, adjust);
  advance(cpu, entry);
}

function das(cpu: Cpu, entry: DecodedEntry): void {
  const oldAl = cpu.r8[0];
  const oldCarry = getCF(cpu);
  let al = oldAl;
  let carry = 0;
  let adjust = false;
  if ((al & 0x0F) > 9 || getAF(cpu)) {
    carry = oldCarry | (al < 6 ? 1 : 0);
    al = (al - 6) & 0xFF;
    adjust = true;
  }
  if (oldAl > 0x99 || oldCarry === 1) {
    al = (al - 0x60) & 0xFF;
    carry = 1;
  }
  cpu.r8[0] = al;
  setDecimalFlags(cpu, al, carry, adjust);
  advance(cpu, entry);
}

function aaa(cpu: Cpu, entry: DecodedEntry): void {
  const adjust = (cpu.r8[0] & 0x0F) > 9 || getAF(cpu);
  if (adjust) cpu.r16[0] = (cpu.r16[0] + 0x106) & 0xFFFF;
  cpu.r8[0] &= 0x0F;
  materializeFlags(cpu);
  cpu.flags = adjust ? cpu.flags | FLAG_AF | FLAG_CF : cpu.flags & ~(FLAG_AF | FLAG_CF);
  advance(cpu, entry);
}

function aas(cpu: Cpu, entry: DecodedEntry): void {
  const adjust = (cpu.r8[0] & 0x0F) > 9 || getAF(cpu);
  if (adjust) {
    cpu.r16[0] = (cpu.r16[0] - 6) & 0xFFFF;
    cpu.r8[1] = (cpu.r8[1] - 1) & 0xFF;
  }
  cpu.r8[0] &= 0x0F;
  materializeFlags(cpu);
  cpu.flags = adjust ? cpu.flags | FLAG_AF | FLAG_CF : cpu.flags & ~(FLAG_AF | FLAG_CF);
  advance(cpu, entry);
}

function base(entry: DecodedEntry): number {
  return entry.kind0 === OPERAND_IMMEDIATE ? entry.arg0 & 0xFF : 10;
}

function aam(cpu: Cpu, entry: DecodedEntry): void {
  const divisor = base(entry);
  if (divisor === 0) cpu.raise(VECTOR_DE);
  const al = cpu.r8[0];
  cpu.r8[1] = Math.floor(al / divisor);
  cpu.r8[0] = al % divisor;
  setResultFlags(cpu, 1, cpu.r8[0], 0, 0);
  advance(cpu, entry);
}

function aad(cpu: Cpu, entry: DecodedEntry): void {
  const al = (cpu.r8[0] + cpu.r8[1] * base(entry)) & 0xFF;
  cpu.r8[0] = al;
  cpu.r8[1] = 0;
  setResultFlags(cpu, 1, al, 0, 0);
  advance(cpu, entry);
}

export function resolveBcd(mnemonic: string): Handler | undefined {
  switch (mnemonic) {
    case 'daa': return daa;
    case 'das': return das;
    case 'aaa': return aaa;
    case 'aas': return aas;
    case 'aam': return aam;
    case 'aad': return aad;
    default: return undefined;
  }
}
