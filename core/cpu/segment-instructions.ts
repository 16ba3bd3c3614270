// Segment-register instructions: mov to/from a segment register, lds les lss lfs lgs.
import type { Cpu } from './cpu';
import { ATTENTION_SHADOW, SEG_SS } from './cpu';
import { VECTOR_UD } from './constants';
import { DecodedEntry, Handler, OPERAND_SEGMENT_REGISTER } from './decoded-entry';
import { advance, readOperand1, writeOperand0, writeRegister } from './operands';
import { loadDataSegment } from './segment';

function storeSegmentRegister(cpu: Cpu, entry: DecodedEntry): void {
  if (entry.arg1 > 5) cpu.raise(VECTOR_UD);
  writeOperand0(cpu, entry, cpu.segSelector[entry.arg1]);
  advance(cpu, entry);
}

function loadSegmentRegister(cpu: Cpu, entry: DecodedEntry): void {
  const segment = entry.arg0;
  if (segment === 1 || segment > 5) cpu.raise(VECTOR_UD);
  loadDataSegment(cpu, segment, readOperand1(cpu, entry) & 0xFFFF);
  if (segment === SEG_SS) {
    cpu.interruptShadow = true;
    cpu.attention |= ATTENTION_SHADOW;
  }
  advance(cpu, entry);
}

function loadFarPointer(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  const address = cpu.effectiveAddress(entry);
  const offset = size === 4 ? cpu.read32(entry.segment, address) : cpu.read16(entry.segment, address);
  const selector = cpu.read16(entry.segment, (address + size) & entry.addressMask);
  loadDataSegment(cpu, entry.operation, selector);
  writeRegister(cpu, entry.size0, entry.arg0, offset);
  advance(cpu, entry);
}

const FAR_POINTER_SEGMENT: Record<string, number> = { les: 0, lss: 2, lds: 3, lfs: 4, lgs: 5 };

export function resolveSegmentInstruction(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  if (mnemonic === 'mov') {
    if (entry.kind0 === OPERAND_SEGMENT_REGISTER) return loadSegmentRegister;
    if (entry.kind1 === OPERAND_SEGMENT_REGISTER) return storeSegmentRegister;
    return undefined;
  }
  const segment = FAR_POINTER_SEGMENT[mnemonic];
  if (segment === undefined) return undefined;
  entry.operation = segment;
  return loadFarPointer;
}
