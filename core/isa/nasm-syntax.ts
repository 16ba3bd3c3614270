// Decoded instruction -> NASM source text that `nasm -f bin` assembles back to the same bytes. Where NASM
// would otherwise pick another encoding (a shorter immediate, no displacement, a split index, a short
// jump) the text says so explicitly: `strict dword`, `[byte eax+0x0]`, `nosplit`, `near`.

import type { DecodedInstruction, DecodedMemory, DecodedOperand } from './decoded';
import { SEGMENT_OVERRIDE_PREFIXES } from './decoder';
import { segmentRegisterName } from './registers';
import {
  MNEMONICS_WITH_SHIFT_BY_ONE,
  MNEMONICS_WITH_SHORT_AND_NEAR,
  MNEMONICS_WITH_SIGNED_IMM8,
  Symbolizer,
  addressRegisterName,
  SIZE_SPELLINGS,
  hasMemoryOperand,
  isSizingRegister,
  memorySizeImplied,
  registerName,
} from './syntax-common';

export interface NasmSyntaxOptions {
  /** The `bits` the text is written for (the code segment's default size). */
  bits: 16 | 32;
  /** Names branch targets and absolute addresses; the name goes into a trailing comment. */
  symbolize?: Symbolizer;
}

export function hexNumber(value: number): string {
  return '0x' + value.toString(16);
}

function signedHex(value: number): string {
  return value < 0 ? '-0x' + (-value).toString(16) : '+0x' + value.toString(16);
}

const SIZE_KEYWORDS: Record<number, string> = { 1: 'byte', 2: 'word', 4: 'dword' };

/** The displacement width NASM picks by itself for this memory operand. */
function naturalDisplacementBytes(memory: DecodedMemory): number {
  if (memory.base < 0) return memory.addressSize === 32 ? 4 : 2;
  const fitsByte = memory.displacement >= -128 && memory.displacement <= 127;
  const bpAlone = memory.addressSize === 16 && memory.base === 5 && memory.index < 0;
  const ebpBase = memory.addressSize === 32 && memory.base === 5;
  if (memory.displacement === 0 && !bpAlone && !ebpBase) return 0;
  if (fitsByte) return 1;
  return memory.addressSize === 32 ? 4 : 2;
}

function formatMemoryAddress(memory: DecodedMemory): string {
  const parts: string[] = [];
  let text = '';
  if (memory.base >= 0) parts.push(addressRegisterName(memory.base, memory.addressSize));
  if (memory.index >= 0) {
    const index = addressRegisterName(memory.index, memory.addressSize);
    parts.push(memory.scale === 1 && memory.base >= 0 ? index : `${index}*${memory.scale}`);
  }
  text = parts.join('+');
  if (memory.base < 0 && memory.index < 0) {
    const mask = memory.addressSize === 32 ? 0xffffffff : 0xffff;
    text = hexNumber((memory.displacement & mask) >>> 0);
  } else if (memory.base < 0) {
    // index alone: NASM would fold [eax*1] into a base and split [eax*2] into eax+eax without `nosplit`
    text = `${memory.scale <= 2 ? 'nosplit ' : ''}${text}+${hexNumber(memory.displacement >>> 0)}`;
  } else if (memory.displacementBytes > 0) {
    text += signedHex(memory.displacement);
    const natural = naturalDisplacementBytes(memory);
    if (natural !== memory.displacementBytes) text = `${SIZE_KEYWORDS[memory.displacementBytes]} ${text}`;
  }
  const segment = memory.segmentOverridden ? `${segmentRegisterName(memory.segment)}:` : '';
  return `[${segment}${text}]`;
}

/** Whether the immediate fits NASM's sign-extended imm8 choice for an operand of `size` bytes. */
function fitsSignedByte(value: number, size: number): boolean {
  const signed = size === 2 ? (value << 16) >> 16 : value | 0;
  return signed >= -128 && signed <= 127;
}

/** Whether the text shows the operand size (a sized register, a sized memory operand, the mnemonic). */
function operandSizeVisible(instruction: DecodedInstruction): boolean {
  const { operands } = instruction;
  if (operands.length === 0) return true;
  for (let i = 0; i < operands.length; i++) {
    const operand = operands[i];
    if (operand.kind === 'reg' && operand.size !== 1 && isSizingRegister(instruction, i)) return true;
  }
  return false;
}

/** The prefix bytes the decoded instruction carries, in NASM's order. */
function prefixBytes(instruction: DecodedInstruction, bits: 16 | 32): number[] {
  const bytes: number[] = [];
  if (instruction.lock) bytes.push(0xf0);
  if (instruction.rep) bytes.push(instruction.rep === 'rep' ? 0xf3 : 0xf2);
  if (instruction.segmentOverride >= 0) bytes.push(SEGMENT_OVERRIDE_PREFIXES[instruction.segmentOverride]);
  if (instruction.operandSize !== bits) bytes.push(0x66);
  if (instruction.addressSize !== bits) bytes.push(0x67);
  return bytes;
}

export function formatNasmInstruction(instruction: DecodedInstruction, options: NasmSyntaxOptions): string {
  const { form, operands } = instruction;
  // NASM writes `wait` ahead of every prefix (it is x87's prefix to NASM), so a prefixed one is spelled as data
  if (form.mnemonic === 'wait' && operands.length === 0) {
    const prefixData = prefixBytes(instruction, options.bits);
    if (prefixData.length > 0) return `db ${[...prefixData, ...form.opcode].map((byte) => hexNumber(byte)).join(', ')} ; wait with prefixes`;
  }
  const prefixes: string[] = [];
  if (instruction.lock) prefixes.push('lock');
  if (instruction.rep) {
    const distinguishesRepe = (form.prefixes ?? []).includes('repne');
    prefixes.push(instruction.rep === 'repne' ? 'repne' : distinguishesRepe ? 'repe' : 'rep');
  }
  if (instruction.segmentOverride >= 0 && !hasMemoryOperand(instruction)) {
    prefixes.push(segmentRegisterName(instruction.segmentOverride) ?? 'ds');
  }

  // The operand-size attribute must reappear in the text when it differs from `bits`: through the name
  // (retw, pushfd), a sized register or memory operand, a size keyword, or an o16/o32 prefix.
  const sizeDiffers = instruction.operandSize !== options.bits;
  const spellings = SIZE_SPELLINGS[instruction.formIndex];
  let mnemonic = form.mnemonic;
  if (spellings.neutral && !sizeDiffers) mnemonic = spellings.neutral;
  const nameShowsSize = sizeDiffers && spellings.explicit !== undefined;
  if (nameShowsSize) mnemonic = spellings.explicit!;
  let sizeKeywordPending = false;
  if (sizeDiffers && !nameShowsSize) {
    if (form.operandSize === undefined) prefixes.push(`o${instruction.operandSize}`);
    else if (!operandSizeVisible(instruction)) {
      const keywordCarrier = operands.some((operand, i) =>
        operand.kind === 'imm' || operand.kind === 'far' || (operand.kind === 'rel' && operand.size !== 1)
        || (operand.kind === 'mem' && (operand.size === 2 || operand.size === 4 || /^m16:/.test(form.operands[i]))));
      if (keywordCarrier) sizeKeywordPending = true;
      else prefixes.push(`o${instruction.operandSize}`);
    }
  }
  const addressRegistersShown = operands.some((operand) => operand.kind === 'mem' && (operand.memory.base >= 0 || operand.memory.index >= 0));
  if (instruction.addressSize !== options.bits && form.addressSize === undefined && !addressRegistersShown) {
    prefixes.push(`a${instruction.addressSize}`);
  }

  const comments: string[] = [];
  const sizeWord = instruction.operandSize === 16 ? 'word' : 'dword';
  const texts: string[] = [];
  for (let i = 0; i < operands.length; i++) {
    const operand = operands[i];
    const kind = form.operands[i];
    let text = formatNasmOperand(operand, kind, instruction, comments, options.symbolize);
    if (operand.kind === 'imm' && kind !== 'one' && operand.size > 1 && kind !== 'simm8'
      && MNEMONICS_WITH_SIGNED_IMM8.has(form.mnemonic) && fitsSignedByte(operand.value, operand.size)) {
      text = `strict ${SIZE_KEYWORDS[operand.size]} ${text}`;
      sizeKeywordPending = false;
    } else if (operand.kind === 'imm' && kind === 'imm8' && operand.value === 1 && MNEMONICS_WITH_SHIFT_BY_ONE.has(form.mnemonic)) {
      text = `byte ${text}`; // NASM writes `shl eax, 1` as D1 /4; `byte 1` keeps C1 /4 ib
    } else if (sizeKeywordPending && (operand.kind === 'imm' || operand.kind === 'far' || operand.kind === 'rel')) {
      text = `${sizeWord} ${text}`;
      sizeKeywordPending = false;
    } else if (operand.kind === 'mem' && /^m16:/.test(kind) && operands.length === 1) {
      text = `far ${sizeKeywordPending ? sizeWord + ' ' : ''}${text}`;
      sizeKeywordPending = false;
    } else if (operand.kind === 'mem' && /^(byte|word|dword) /.test(text)) {
      sizeKeywordPending = false; // the memory operand's size keyword already shows the operand size
    }
    texts.push(text);
  }
  const head = [...prefixes, mnemonic].join(' ');
  const body = texts.length > 0 ? `${head} ${texts.join(', ')}` : head;
  return comments.length > 0 ? `${body} ; ${comments.join(', ')}` : body;
}

function formatNasmOperand(
  operand: DecodedOperand,
  kind: string,
  instruction: DecodedInstruction,
  comments: string[],
  symbolize: Symbolizer | undefined,
): string {
  switch (operand.kind) {
    case 'reg': return registerName(operand);
    case 'sreg': return segmentRegisterName(operand.reg) ?? `sreg${operand.reg}`;
    case 'creg': return `cr${operand.reg}`;
    case 'dreg': return `dr${operand.reg}`;
    case 'imm': return kind === 'one' ? '1' : hexNumber(operand.value);
    case 'rel': {
      const name = symbolize?.(operand.target);
      if (name) comments.push(name);
      const mnemonic = instruction.form.mnemonic;
      const distance = MNEMONICS_WITH_SHORT_AND_NEAR.has(mnemonic) ? (operand.size === 1 ? 'short ' : 'near ') : '';
      return distance + hexNumber(operand.target);
    }
    case 'far': return `${hexNumber(operand.segment)}:${hexNumber(operand.offset)}`;
    case 'mem': {
      const memory = operand.memory;
      if (memory.base < 0 && memory.index < 0 && symbolize) {
        const name = symbolize((memory.displacement >>> 0) & (memory.addressSize === 32 ? 0xffffffff : 0xffff));
        if (name) comments.push(name);
      }
      const address = formatMemoryAddress(memory);
      // far pointers and bound pairs are sized by the mnemonic (and `far word`), never by byte/word/dword
      const keyword = /^(rm|m)(8|16|32)$|^moffs/.test(kind) ? SIZE_KEYWORDS[operand.size] : undefined;
      return keyword && !memorySizeImplied(instruction, operand) ? `${keyword} ${address}` : address;
    }
  }
}
