// Where an operand of the instruction under test lives inside a case record, and how to read and write it.
import { CASE_REGISTERS, IN_REGISTERS, MEMORY_OPERAND, OUT_REGISTERS } from './record-layout';

export type OperandSize = 8 | 16 | 32;

export type OperandSpec =
  | { readonly kind: 'register'; readonly name: string }
  /** `offset` from ESI, MEMORY_OPERAND unless a misaligned operand is wanted; it stays inside the memory area. */
  | { readonly kind: 'memory'; readonly size: OperandSize; readonly offset?: number }
  | { readonly kind: 'immediate'; readonly value: number };

/** A bit field of a record: a register (0-3 in record order, `shift` 8 for ah/bh/ch/dh) or the memory operand. */
export interface RecordField {
  readonly registerIndex: number | 'memory';
  readonly shift: 0 | 8;
  readonly size: OperandSize;
  /** For the memory operand: its byte offset in the record (it may straddle two dwords). */
  readonly byteOffset?: number;
}

const REGISTER_PARTS: ReadonlyMap<string, RecordField> = (() => {
  const parts = new Map<string, RecordField>();
  CASE_REGISTERS.forEach((full, registerIndex) => {
    const letter = full[1]; // eax -> a
    parts.set(full, { registerIndex, shift: 0, size: 32 });
    parts.set(`${letter}x`, { registerIndex, shift: 0, size: 16 });
    parts.set(`${letter}l`, { registerIndex, shift: 0, size: 8 });
    parts.set(`${letter}h`, { registerIndex, shift: 8, size: 8 });
  });
  return parts;
})();

export function registerField(name: string): RecordField {
  const field = REGISTER_PARTS.get(name);
  if (!field) throw new Error(`'${name}' is not a register the host-CPU oracle loads (eax, ebx, ecx, edx and their parts)`);
  return field;
}

/** The record field an operand occupies, or undefined for an immediate. */
export function operandField(operand: OperandSpec): RecordField | undefined {
  if (operand.kind === 'register') return registerField(operand.name);
  if (operand.kind === 'memory') return { registerIndex: 'memory', shift: 0, size: operand.size, byteOffset: operand.offset ?? MEMORY_OPERAND };
  return undefined;
}

export function sizeMask(size: OperandSize): number {
  return size === 32 ? 0xffffffff : (1 << size) - 1;
}

/** The memory area is shared by input and output (modified in place), so memory fields ignore `half`. */
export function readField(words: Uint32Array, recordWord: number, field: RecordField, half: 'input' | 'output'): number {
  if (field.registerIndex === 'memory') {
    const bytes = new Uint8Array(words.buffer, words.byteOffset + recordWord * 4 + (field.byteOffset ?? MEMORY_OPERAND), field.size / 8);
    let value = 0;
    for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
    return value >>> 0;
  }
  const word = words[recordWord + ((half === 'input' ? IN_REGISTERS : OUT_REGISTERS) >> 2) + field.registerIndex];
  return ((word >>> field.shift) & sizeMask(field.size)) >>> 0;
}

export function writeField(words: Uint32Array, recordWord: number, field: RecordField, value: number): void {
  if (field.registerIndex === 'memory') {
    const bytes = new Uint8Array(words.buffer, words.byteOffset + recordWord * 4 + (field.byteOffset ?? MEMORY_OPERAND), field.size / 8);
    for (let i = 0; i < bytes.length; i++) bytes[i] = value >>> (8 * i);
    return;
  }
  const index = recordWord + (IN_REGISTERS >> 2) + field.registerIndex;
  const mask = (sizeMask(field.size) << field.shift) >>> 0;
  words[index] = ((words[index] & ~mask) | ((value << field.shift) & mask)) >>> 0;
}

export function nasmSizeKeyword(size: OperandSize): string {
  return size === 8 ? 'byte' : size === 16 ? 'word' : 'dword';
}

export function renderOperand(operand: OperandSpec): string {
  switch (operand.kind) {
    case 'register':
      return operand.name;
    case 'memory':
      return `${nasmSizeKeyword(operand.size)} [esi+${operand.offset ?? MEMORY_OPERAND}]`;
    case 'immediate':
      return `0x${(operand.value >>> 0).toString(16)}`;
  }
}
