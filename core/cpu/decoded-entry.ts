// One decoded-instruction cache entry: the decoder's DecodedInstruction flattened into fixed numeric
// fields plus the handler chosen once for its form, so the hot loop does no string work, no Map lookup
// and no allocation. Every entry has the same shape (one hidden class) so handler field loads stay monomorphic.
import type { DecodedInstruction, DecodedMemory } from '../isa/decoded';
import type { InstructionForm } from '../isa/types';
import type { Cpu } from './cpu';
import type { CompiledBlock } from './block-compiler';

export type Handler = (cpu: Cpu, entry: DecodedEntry) => void;

/** Kinds of an operand slot. */
export const OPERAND_NONE = 0;
export const OPERAND_REGISTER = 1;
export const OPERAND_MEMORY = 2;
export const OPERAND_IMMEDIATE = 3;
export const OPERAND_SEGMENT_REGISTER = 4;
export const OPERAND_CONTROL_REGISTER = 5;
export const OPERAND_DEBUG_REGISTER = 6;

/** Register number 8 is always zero in the register file: an absent base or index. */
export const NO_REGISTER = 8;

export class DecodedEntry {
  handler: Handler;
  /** Instruction length in bytes. */
  length = 0;
  /** Default operand size of the code segment the entry was decoded for (16 or 32). */
  codeBits = 32;
  /** Operand-size attribute in bytes (2 or 4): pushes, string steps, branch target width. */
  operandBytes = 4;
  /** 0xFFFF for a16 addressing, -1 for a32. */
  addressMask = -1;
  /** Up to three operand slots (Intel order). `arg` is the register's index into the matching-size view
   *  of the register file (see registerIndex), the immediate value, or the special register number. */
  kind0 = OPERAND_NONE; size0 = 0; arg0 = 0;
  kind1 = OPERAND_NONE; size1 = 0; arg1 = 0;
  kind2 = OPERAND_NONE; size2 = 0; arg2 = 0;
  /** The memory operand (at most one): effective segment and address parts. */
  segment = 3;
  base = NO_REGISTER;
  index = NO_REGISTER;
  scaleShift = 0;
  displacement = 0;
  memorySize = 0;
  /** Relative branch displacement (rel8/16/32, sign-extended). */
  relative = 0;
  /** Far pointer operand (ptr16:16 / ptr16:32). */
  farSelector = 0;
  farOffset = 0;
  /** 0 none, 1 rep/repe, 2 repne. */
  repeat = 0;
  lock = false;
  /** Index into the hot-handler switch (hot-dispatch.ts), 0 for a call through `handler`. */
  hot = 0;
  /** The entry that follows in the same page when execution falls through (linked lazily by the loop). */
  next: DecodedEntry | null = null;
  /** The compiled block starting here (block-compiler.ts), its instruction count and its bytes. */
  block: CompiledBlock | null = null;
  blockLength = 0;
  blockBytes = 0;
  /** Times the loop arrived here at a block head; -1 when this entry never starts a block. */
  heat = 0;
  /** The block head that ran after this block last time: its linear address, the code epoch and context then (cpu.ts linkBlocks). */
  successor: DecodedEntry | null = null;
  successorLinear = 0;
  successorEpoch = -1;
  successorContext = -1;
  /** Family-specific selector fixed at fill time: ALU operation, condition code, shift kind ... */
  operation = 0;
  /** The instruction as the decoder produced it (for the debugger, traces and slow-path handlers). */
  readonly instruction: DecodedInstruction;
  readonly form: InstructionForm;

  constructor(instruction: DecodedInstruction, handler: Handler) {
    this.instruction = instruction;
    this.form = instruction.form;
    this.handler = handler;
  }
}

/**
 * Index of register `number` of `size` bytes in the Uint8Array / Uint16Array / Int32Array views of the
 * little-endian register file: al=0 cl=4 ... ah=1 ch=5; ax=0 cx=2 ...; eax=0 ecx=1 ...
 */
export function registerIndex(size: number, number: number): number {
  if (size === 1) return number < 4 ? number * 4 : (number - 4) * 4 + 1;
  if (size === 2) return number * 2;
  return number;
}

/** Copies the decoder's operands into the entry's flat slots. */
export function fillOperands(entry: DecodedEntry, instruction: DecodedInstruction): void {
  entry.length = instruction.length;
  entry.operandBytes = instruction.operandSize === 16 ? 2 : 4;
  entry.addressMask = instruction.addressSize === 16 ? 0xFFFF : -1;
  entry.repeat = instruction.rep === 'rep' ? 1 : instruction.rep === 'repne' ? 2 : 0;
  entry.lock = instruction.lock;
  entry.segment = instruction.segmentOverride >= 0 ? instruction.segmentOverride : 3;
  let slot = 0;
  for (const operand of instruction.operands) {
    let kind = OPERAND_NONE;
    let size = 0;
    let arg = 0;
    switch (operand.kind) {
      case 'reg': kind = OPERAND_REGISTER; size = operand.size; arg = registerIndex(operand.size, operand.reg); break;
      case 'sreg': kind = OPERAND_SEGMENT_REGISTER; size = 2; arg = operand.reg; break;
      case 'creg': kind = OPERAND_CONTROL_REGISTER; size = 4; arg = operand.reg; break;
      case 'dreg': kind = OPERAND_DEBUG_REGISTER; size = 4; arg = operand.reg; break;
      case 'mem': kind = OPERAND_MEMORY; size = operand.size; setMemory(entry, operand.memory, operand.size); break;
      case 'imm': kind = OPERAND_IMMEDIATE; size = operand.size; arg = operand.value >>> 0; break;
      case 'rel': entry.relative = operand.displacement | 0; continue;
      case 'far': entry.farSelector = operand.segment & 0xFFFF; entry.farOffset = operand.offset >>> 0; continue;
    }
    if (slot === 0) { entry.kind0 = kind; entry.size0 = size; entry.arg0 = arg; }
    else if (slot === 1) { entry.kind1 = kind; entry.size1 = size; entry.arg1 = arg; }
    else { entry.kind2 = kind; entry.size2 = size; entry.arg2 = arg; }
    slot++;
  }
}

function setMemory(entry: DecodedEntry, memory: DecodedMemory, size: number): void {
  entry.segment = memory.segment;
  entry.base = memory.base >= 0 ? memory.base : NO_REGISTER;
  entry.index = memory.index >= 0 ? memory.index : NO_REGISTER;
  entry.scaleShift = memory.scale === 8 ? 3 : memory.scale === 4 ? 2 : memory.scale === 2 ? 1 : 0;
  entry.displacement = memory.displacement | 0;
  entry.memorySize = size;
  entry.addressMask = memory.addressSize === 16 ? 0xFFFF : -1;
}
