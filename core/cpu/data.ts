// Data movement: mov movzx movsx lea xchg cbw cwde cwd cdq xlatb bswap setcc cmovcc nop, and the misc rows.
import type { Cpu } from './cpu';
import { SEG_DS } from './cpu';
import { VECTOR_NM, VECTOR_UD, CR0_MP, CR0_TS } from './constants';
import { DecodedEntry, Handler, OPERAND_IMMEDIATE, OPERAND_MEMORY, OPERAND_REGISTER } from './decoded-entry';
import { testCondition } from './flags';
import { advance, readOperand0, readOperand1, writeOperand0, writeOperand1, writeRegister } from './operands';

export function moveRegisterRegister32(cpu: Cpu, entry: DecodedEntry): void {
  cpu.r32[entry.arg0] = cpu.r32[entry.arg1];
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function moveRegisterImmediate32(cpu: Cpu, entry: DecodedEntry): void {
  cpu.r32[entry.arg0] = entry.arg1;
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function moveRegisterMemory32(cpu: Cpu, entry: DecodedEntry): void {
  cpu.r32[entry.arg0] = cpu.read32(entry.segment, cpu.effectiveAddress(entry));
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function moveMemoryRegister32(cpu: Cpu, entry: DecodedEntry): void {
  cpu.write32(entry.segment, cpu.effectiveAddress(entry), cpu.r32[entry.arg1]);
  cpu.eip = (cpu.eip + entry.length) | 0;
}

function moveGeneric(cpu: Cpu, entry: DecodedEntry): void {
  writeOperand0(cpu, entry, readOperand1(cpu, entry));
  advance(cpu, entry);
}

function moveZeroExtend(cpu: Cpu, entry: DecodedEntry): void {
  writeRegister(cpu, entry.size0, entry.arg0, readOperand1(cpu, entry));
  advance(cpu, entry);
}

function moveSignExtend(cpu: Cpu, entry: DecodedEntry): void {
  const value = readOperand1(cpu, entry);
  const extended = entry.size1 === 1 ? (value << 24) >> 24 : (value << 16) >> 16;
  writeRegister(cpu, entry.size0, entry.arg0, extended);
  advance(cpu, entry);
}

export function loadEffectiveAddress(cpu: Cpu, entry: DecodedEntry): void {
  writeRegister(cpu, entry.size0, entry.arg0, cpu.effectiveAddress(entry));
  advance(cpu, entry);
}

function exchange(cpu: Cpu, entry: DecodedEntry): void {
  const a = readOperand0(cpu, entry);
  const b = readOperand1(cpu, entry);
  // memory (if any) is written first so a fault leaves the register untouched
  if (entry.kind1 === OPERAND_MEMORY) { writeOperand1(cpu, entry, a); writeOperand0(cpu, entry, b); }
  else { writeOperand0(cpu, entry, b); writeOperand1(cpu, entry, a); }
  advance(cpu, entry);
}

function convertByteToWord(cpu: Cpu, entry: DecodedEntry): void {
  if (entry.operandBytes === 2) cpu.r16[0] = (cpu.r8[0] << 24) >> 24;
  else cpu.r32[0] = (cpu.r16[0] << 16) >> 16;
  advance(cpu, entry);
}

function convertWordToDouble(cpu: Cpu, entry: DecodedEntry): void {
  if (entry.operandBytes === 2) cpu.r16[4] = (cpu.r16[0] & 0x8000) !== 0 ? 0xFFFF : 0;
  else cpu.r32[2] = cpu.r32[0] >> 31;
  advance(cpu, entry);
}

function translateByte(cpu: Cpu, entry: DecodedEntry): void {
  const address = ((entry.addressMask === 0xFFFF ? cpu.r16[6] : cpu.r32[3]) + cpu.r8[0]) & entry.addressMask;
  cpu.r8[0] = cpu.read8(entry.segment, address);
  advance(cpu, entry);
}

function byteSwap(cpu: Cpu, entry: DecodedEntry): void {
  const value = cpu.r32[entry.arg0];
  cpu.r32[entry.arg0] = ((value & 0xFF) << 24) | ((value & 0xFF00) << 8) | ((value >>> 8) & 0xFF00) | (value >>> 24);
  advance(cpu, entry);
}

function setOnCondition(cpu: Cpu, entry: DecodedEntry): void {
  writeOperand0(cpu, entry, testCondition(cpu, entry.operation) ? 1 : 0);
  advance(cpu, entry);
}

function moveOnCondition(cpu: Cpu, entry: DecodedEntry): void {
  const value = readOperand1(cpu, entry); // P6 reads the source whatever the condition
  if (testCondition(cpu, entry.operation)) writeRegister(cpu, entry.size0, entry.arg0, value);
  advance(cpu, entry);
}

function noOperation(cpu: Cpu, entry: DecodedEntry): void {
  advance(cpu, entry);
}

function undefinedOpcode(cpu: Cpu): void {
  cpu.raise(VECTOR_UD);
}

/** wait/fwait: #NM when CR0.MP and CR0.TS are both set; otherwise nothing (no x87 state in the model). */
function waitForFpu(cpu: Cpu, entry: DecodedEntry): void {
  if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) cpu.raise(VECTOR_NM);
  advance(cpu, entry);
}

function conditionCode(entry: DecodedEntry): number {
  const opcode = entry.form.opcode;
  return opcode[opcode.length - 1] & 0xF;
}

export function resolveData(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  const fast = entry.codeBits === 32 && entry.size0 === 4;
  switch (mnemonic) {
    case 'mov':
      if (fast && entry.kind0 === OPERAND_REGISTER && entry.kind1 === OPERAND_REGISTER) return moveRegisterRegister32;
      if (fast && entry.kind0 === OPERAND_REGISTER && entry.kind1 === OPERAND_IMMEDIATE) return moveRegisterImmediate32;
      if (fast && entry.kind0 === OPERAND_REGISTER && entry.kind1 === OPERAND_MEMORY) return moveRegisterMemory32;
      if (fast && entry.kind0 === OPERAND_MEMORY && entry.kind1 === OPERAND_REGISTER) return moveMemoryRegister32;
      return moveGeneric;
    case 'movzx': return moveZeroExtend;
    case 'movsx': return moveSignExtend;
    case 'lea': return loadEffectiveAddress;
    case 'xchg': return exchange;
    case 'cbw': case 'cwde': return convertByteToWord;
    case 'cwd': case 'cdq': return convertWordToDouble;
    case 'xlatb': case 'xlat': entry.segment = entry.instruction.segmentOverride >= 0 ? entry.instruction.segmentOverride : SEG_DS; return translateByte;
    case 'bswap': return byteSwap;
    case 'nop': return noOperation;
    case 'ud2': return undefinedOpcode;
    case 'wait': case 'fwait': return waitForFpu;
    default:
      if (mnemonic.startsWith('set')) { entry.operation = conditionCode(entry); return setOnCondition; }
      if (mnemonic.startsWith('cmov')) { entry.operation = conditionCode(entry); return moveOnCondition; }
      return undefined;
  }
}
