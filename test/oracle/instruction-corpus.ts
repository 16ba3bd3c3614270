// A generated corpus of NASM source lines covering every row of the instruction table with every operand
// kind: each register, each addressing form, each immediate size with its boundary values, prefixes,
// segment overrides and branch targets near and far. Each entry carries the EncodeRequest a correct
// assembler front end would hand the encoder for its line. Reused by the assembler and disassembler suites.
import { chooseForm } from '../../core/asm/encoder';
import type { EncodeRequest, ImmediateOperand, MemoryOperand, OperandSizeKeyword, ParsedOperand } from '../../core/asm/operand';
import { INSTRUCTION_TABLE } from '../../core/isa/table';
import type { InstructionForm, OperandKind } from '../../core/isa/types';
import { REGISTERS_16, REGISTERS_32, REGISTERS_8, SEGMENT_REGISTERS } from '../../core/isa/registers';

export interface CorpusEntry {
  /** One NASM source line for `bits 32`. */
  text: string;
  /** What the front end passes the encoder for `text` at the entry's address (final pass). */
  request: EncodeRequest;
}

/** The corpus is laid out from this origin, one entry per slot. */
export const CORPUS_ORG = 0x401000;
/** Each entry starts at CORPUS_ORG + index * CORPUS_SLOT_BYTES (no IA-32 instruction is longer than 15 bytes). */
export const CORPUS_SLOT_BYTES = 16;

/** Address of the entry with this index. */
export function corpusEntryAddress(index: number): number {
  return CORPUS_ORG + index * CORPUS_SLOT_BYTES;
}

/** Label names the corpus uses for address operands: `corpus_slot_N` labels the start of slot N. */
export function corpusSlotLabel(index: number): string {
  return `corpus_slot_${index}`;
}

/**
 * The NASM source that lays the entries out at their addresses: each slot padded with int3 to its start,
 * labelled, then the line; a table of `slot_end - slot_start` bytes at the end gives each line's length.
 */
export function corpusNasmSource(entries: readonly CorpusEntry[]): string {
  const lines = ['bits 32', `org 0x${CORPUS_ORG.toString(16)}`];
  entries.forEach((entry, index) => {
    lines.push(`times ${index * CORPUS_SLOT_BYTES} - ($ - $$) db 0xcc`);
    lines.push(`${corpusSlotLabel(index)}:`);
    lines.push(entry.text);
    lines.push(`corpus_end_${index}:`);
  });
  lines.push(`times ${entries.length * CORPUS_SLOT_BYTES} - ($ - $$) db 0xcc`);
  entries.forEach((_, index) => lines.push(`db corpus_end_${index} - ${corpusSlotLabel(index)}`));
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// Rendering requests as NASM text

const SIZE_NAMES: Readonly<Record<number, string>> = { 8: 'byte', 16: 'word', 32: 'dword', 48: 'fword', 64: 'qword' };

function hex(value: number): string {
  return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

/** Values that are a slot's address are written as the slot's label. */
function renderValue(value: number, isAddress: boolean | undefined): string {
  if (isAddress) {
    const offset = value - CORPUS_ORG;
    if (offset === 0) return corpusSlotLabel(0);
    return `${corpusSlotLabel(0)}${offset < 0 ? '-' : '+'}0x${Math.abs(offset).toString(16)}`;
  }
  return hex(value);
}

function renderMemory(memory: MemoryOperand): string {
  const parts: string[] = [];
  if (memory.base) parts.push(memory.base);
  if (memory.index) parts.push(`${memory.index}*${memory.scale ?? 1}`);
  let inside = parts.join('+');
  const hasRegisters = parts.length > 0;
  if (!hasRegisters) inside = renderValue(memory.displacement, memory.isAddress);
  else if (memory.isAddress) inside += `+${renderValue(memory.displacement, true)}`;
  else if (memory.displacement !== 0 || memory.displacementSize !== undefined) inside += memory.displacement < 0 ? hex(memory.displacement) : `+${hex(memory.displacement)}`;
  const keywords: string[] = [];
  if (memory.displacementSize !== undefined) keywords.push(SIZE_NAMES[memory.displacementSize]);
  if (memory.addressSize === 16 && !hasRegisters) keywords.push('a16');
  if (memory.noSplit) keywords.push('nosplit');
  const segment = memory.segment ? `${memory.segment}:` : '';
  const outside: string[] = [];
  if (memory.far) outside.push('far');
  if (memory.size !== undefined) outside.push(SIZE_NAMES[memory.size]);
  return [...outside, `[${segment}${[...keywords, inside].join(' ')}]`].join(' ');
}

function renderImmediate(immediate: ImmediateOperand): string {
  const words: string[] = [];
  if (immediate.strict) words.push('strict');
  if (immediate.size !== undefined) words.push(SIZE_NAMES[immediate.size]);
  if (immediate.distance) words.push(immediate.distance);
  words.push(renderValue(immediate.value, immediate.isAddress));
  return words.join(' ');
}

export function renderOperand(operand: ParsedOperand): string {
  switch (operand.kind) {
    case 'reg': return operand.name;
    case 'imm': return renderImmediate(operand);
    case 'mem': return renderMemory(operand);
    case 'far': return `${operand.size !== undefined ? SIZE_NAMES[operand.size] + ' ' : ''}${hex(operand.segment)}:${hex(operand.offset)}`;
  }
}

export function renderInstruction(mnemonic: string, prefixes: readonly string[], operands: readonly ParsedOperand[]): string {
  const head = [...prefixes, mnemonic].join(' ');
  return operands.length === 0 ? head : `${head} ${operands.map(renderOperand).join(', ')}`;
}

// ---------------------------------------------------------------------------------------------------
// Operand variants per kind

type OperandVariant = ParsedOperand | ((address: number) => ParsedOperand);

const registers = (names: readonly string[]): ParsedOperand[] => names.map((name) => ({ kind: 'reg', name }));

/** Every 32-bit addressing form NASM distinguishes, and the 16-bit ones. */
const ADDRESS_FORMS: readonly Omit<MemoryOperand, 'size' | 'kind'>[] = [
  { displacement: 0x12345678 },
  { displacement: 0x10 },
  ...REGISTERS_32.map((base) => ({ base, displacement: 0 })),
  { base: 'eax', displacement: 0x7f },
  { base: 'ebx', displacement: -0x80 },
  { base: 'ebp', displacement: 4 },
  { base: 'esp', displacement: 8 },
  { base: 'ecx', displacement: 0x80 },
  { base: 'edx', displacement: -0x81 },
  { base: 'esi', displacement: 0x12345678 },
  { base: 'esp', displacement: 0x1000 },
  { base: 'ebp', displacement: -0x1000 },
  { base: 'edi', displacement: 0xffffffff },
  { base: 'eax', index: 'ebx', scale: 1, displacement: 0 },
  { base: 'ebp', index: 'esi', scale: 2, displacement: 0 },
  { base: 'esp', index: 'edi', scale: 4, displacement: 0x10 },
  { base: 'ebx', index: 'ebp', scale: 8, displacement: 0x200 },
  { base: 'edx', index: 'ecx', scale: 4, displacement: -4 },
  { base: 'ebx', index: 'esp', scale: 1, displacement: 0 },
  { base: 'eax', index: 'eax', scale: 1, displacement: 0 },
  { base: 'esi', index: 'edx', scale: 2, displacement: -0x1000 },
  { index: 'eax', scale: 2, displacement: 0 },
  { index: 'ebp', scale: 2, displacement: 0 },
  { index: 'ecx', scale: 4, displacement: 0 },
  { index: 'edx', scale: 8, displacement: 0x1000 },
  { index: 'esi', scale: 1, displacement: 0 },
  { index: 'edi', scale: 2, displacement: 0x7f },
  { index: 'ebx', scale: 4, displacement: -0x80 },
  { index: 'eax', scale: 2, displacement: 0, noSplit: true },
  { index: 'ebx', scale: 1, displacement: 0, noSplit: true },
  { base: 'eax', displacement: 1, displacementSize: 8 },
  { base: 'eax', displacement: 1, displacementSize: 32 },
  { base: 'ebx', displacement: 0, displacementSize: 32 },
  { segment: 'fs', base: 'eax', displacement: 0 },
  { segment: 'es', displacement: 0x10 },
  { segment: 'ss', base: 'ebp', displacement: 4 },
  { segment: 'gs', base: 'esi', index: 'edi', scale: 2, displacement: 0 },
  { segment: 'cs', base: 'edx', displacement: 0x100 },
  { segment: 'ds', base: 'ebp', displacement: 0 },
  { base: 'bx', index: 'si', displacement: 0 },
  { base: 'bp', index: 'di', displacement: 4 },
  { base: 'bx', index: 'di', displacement: 0x80 },
  { base: 'si', displacement: 0 },
  { base: 'di', displacement: -1 },
  { base: 'bp', displacement: 0 },
  { base: 'bx', displacement: 0x1234 },
  { base: 'bp', index: 'si', displacement: -0x80 },
  { displacement: 0x1234, addressSize: 16 },
  { segment: 'fs', base: 'bx', index: 'si', displacement: 2 },
  { base: 'ebp', index: 'esp', scale: 1, displacement: 0 },
  { base: 'eax', index: 'esp', scale: 1, displacement: -8 },
  { base: 'eax', index: 'eax', scale: 2, displacement: 0 },
  { index: 'ebp', scale: 1, displacement: 0 },
  { index: 'ebp', scale: 4, displacement: 0 },
  { base: 'esp', index: 'ebx', scale: 8, displacement: 0x7f },
  { base: 'ebp', displacement: 0, displacementSize: 8 },
  { base: 'esp', displacement: 0, displacementSize: 32 },
  { displacement: 0x10, displacementSize: 32 },
  { base: 'eax', displacement: -0x80000000 },
  { displacement: 0xffffffff },
  { base: 'ebx', index: 'eax', scale: 1, displacement: 0, noSplit: true },
  { index: 'ebp', scale: 2, displacement: 0, noSplit: true },
  { base: 'bx', displacement: 1, displacementSize: 16 },
  { base: 'bp', displacement: 0x10000 },
  { base: 'si', index: 'bx', displacement: 0 },
  { base: 'di', index: 'bp', displacement: 2 },
  { base: 'bx', displacement: 0xffff },
  { displacement: CORPUS_ORG, isAddress: true },
  { base: 'ebx', displacement: CORPUS_ORG + CORPUS_SLOT_BYTES, isAddress: true },
];

/** Address forms with no register: the only ones the moffs forms (A0-A3) take. */
const DIRECT_ADDRESS_FORMS = ADDRESS_FORMS.filter((form) => form.base === undefined && form.index === undefined);

const MEMORY_KIND_KEYWORD: Partial<Record<OperandKind, OperandSizeKeyword>> = {
  rm8: 8, m8: 8, moffs8: 8, rm16: 16, m16: 16, moffs16: 16, rm32: 32, m32: 32, moffs32: 32, m64: 64,
};

const IMMEDIATE_VALUES: Readonly<Record<'imm8' | 'imm16' | 'imm32' | 'simm8', readonly number[]>> = {
  imm8: [0, 1, 0x7f, 0x80, 0xff, -1, -0x80, 0x0a],
  simm8: [0, 1, 0x7f, -1, -0x80, 0x10],
  imm16: [0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, -0x81, -0x8000, 0x1234, 0xff80],
  imm32: [0x80, 0x100, -0x81, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffff7f, 0x12345678, -0x80000000, 0xffffffff, -0x129],
};

/** Branch target deltas from the instruction's address: in reach of rel8, and beyond it. */
const SHORT_DELTAS = [0, 2, 0x11, 0x7f, -0x7b, -0x10];
const NEAR_DELTAS = [0x200, -0x200, 0x12345, -0x81, 0x84, 0x10000];

// ---------------------------------------------------------------------------------------------------
// Generation

interface RowPlan {
  variants: OperandVariant[][];
}

function memoryVariants(form: InstructionForm, kind: OperandKind, formIndex: number): ParsedOperand[] {
  const keyword = MEMORY_KIND_KEYWORD[kind];
  const far = (kind === 'm16:16' || kind === 'm16:32') && (form.mnemonic === 'jmp' || form.mnemonic === 'call');
  const farKeyword: OperandSizeKeyword | undefined = kind === 'm16:16' && far ? 16 : undefined;
  const pool = kind.startsWith('moffs') ? DIRECT_ADDRESS_FORMS : ADDRESS_FORMS;
  // a rotating window of address forms per row, so every form meets many rows without multiplying the corpus
  const count = kind.startsWith('moffs') ? pool.length : 14;
  const chosen: Omit<MemoryOperand, 'size' | 'kind'>[] = [];
  for (let step = 0; step < count; step++) chosen.push(pool[(formIndex * 5 + step) % pool.length]);
  return chosen.map((address) => {
    const memory: MemoryOperand = { kind: 'mem', ...address };
    const size = keyword ?? farKeyword;
    if (size !== undefined) memory.size = size;
    if (far) memory.far = true;
    return memory;
  });
}

function immediateVariants(kind: 'imm8' | 'imm16' | 'imm32' | 'simm8', form: InstructionForm, needsKeyword: boolean): ParsedOperand[] {
  let values = IMMEDIATE_VALUES[kind];
  if (form.mnemonic === 'enter' && kind === 'imm8') values = [0, 1, 0x1f, 0xff];
  if (form.group === 'io') values = [0, 0x20, 0x60, 0x80, 0xff];
  const kindSize: OperandSizeKeyword = kind === 'imm8' ? 8 : kind === 'imm16' ? 16 : kind === 'imm32' ? 32 : (form.operandSize ?? 32);
  const size: OperandSizeKeyword | undefined = needsKeyword ? kindSize : undefined;
  return values.map((value) => (size !== undefined ? { kind: 'imm', value, size } : { kind: 'imm', value }));
}

function branchVariants(kind: 'rel8' | 'rel16' | 'rel32', form: InstructionForm): OperandVariant[] {
  const nearOnly = kind !== 'rel8';
  const deltas = nearOnly ? NEAR_DELTAS : SHORT_DELTAS;
  const size: OperandSizeKeyword | undefined = kind === 'rel16' ? 16 : undefined;
  // NASM wants `near` before a size on a conditional jump; 16-bit targets stay within 64 KiB of the origin
  const conditional = form.mnemonic !== 'jmp' && form.mnemonic !== 'call';
  const variants: OperandVariant[] = deltas.map((delta) => (address: number): ParsedOperand => {
    if (!size) return { kind: 'imm', value: address + delta, isAddress: true };
    const target = (address + delta) & 0xffff;
    return conditional ? { kind: 'imm', value: target, size, distance: 'near' } : { kind: 'imm', value: target, size };
  });
  if (kind === 'rel8' && !/^(loop|jcxz|jecxz)/.test(form.mnemonic)) variants.push((address) => ({ kind: 'imm', value: address + 0x40, distance: 'short' }));
  if (kind === 'rel8' && /^(loop|jcxz|jecxz)/.test(form.mnemonic)) variants.push((address) => ({ kind: 'imm', value: address + 0x30 }));
  if (kind === 'rel32') {
    variants.push((address) => ({ kind: 'imm', value: address + 0x10, isAddress: true, distance: 'near' }));
    variants.push((address) => ({ kind: 'imm', value: address - 0x100, distance: 'near' }));
    // a plain number is never reached short by NASM's own choice, however close
    variants.push((address) => ({ kind: 'imm', value: address + 0x10 }));
    variants.push((address) => ({ kind: 'imm', value: address - 0x1000 }));
  }
  return variants;
}

function operandVariants(form: InstructionForm, formIndex: number, kind: OperandKind): OperandVariant[] {
  const hasSizedOperand = form.operands.some((other) => other !== kind && (/^r(m)?(8|16|32)$/.test(other) || other === 'rr32' || ['al', 'ax', 'eax'].includes(other) || other.startsWith('m')));
  switch (kind) {
    case 'r8': return registers(REGISTERS_8);
    case 'r16': return registers(REGISTERS_16);
    case 'r32': case 'rr32': return registers(REGISTERS_32);
    case 'rm8': return [...registers(REGISTERS_8), ...memoryVariants(form, kind, formIndex)];
    case 'rm16': return [...registers(REGISTERS_16), ...memoryVariants(form, kind, formIndex)];
    case 'rm32': return [...registers(REGISTERS_32), ...memoryVariants(form, kind, formIndex)];
    case 'm': case 'm8': case 'm16': case 'm32': case 'm64': case 'm16&32': case 'm16:16': case 'm16:32': case 'm16&16': case 'm32&32':
    case 'moffs8': case 'moffs16': case 'moffs32':
      return memoryVariants(form, kind, formIndex);
    case 'imm8': case 'imm16': case 'imm32': case 'simm8':
      return immediateVariants(kind, form, !hasSizedOperand && form.operandSize !== undefined && form.operands.length === 1);
    case 'rel8': case 'rel16': case 'rel32': return branchVariants(kind, form);
    case 'ptr16:16': return [0x1234, 0xffff, 0].map((offset, step) => ({ kind: 'far', segment: [0x08, 0x1b, 0xffff][step], offset, size: 16 }));
    case 'ptr16:32': return [0x401000, 0xffffffff, 0].map((offset, step) => ({ kind: 'far', segment: [0x08, 0x1b, 0xffff][step], offset }));
    case 'al': case 'ax': case 'eax': case 'cl': case 'dx':
    case 'es': case 'cs': case 'ss': case 'ds': case 'fs': case 'gs':
      return [{ kind: 'reg', name: kind }];
    case 'one': return [{ kind: 'imm', value: 1 }];
    case 'sreg': return registers(SEGMENT_REGISTERS);
    case 'creg': return registers(['cr0', 'cr2', 'cr3', 'cr4']);
    case 'dreg': return registers(['dr0', 'dr1', 'dr2', 'dr3', 'dr4', 'dr5', 'dr6', 'dr7']);
  }
}

function planRow(form: InstructionForm, formIndex: number): RowPlan {
  return { variants: form.operands.map((kind) => operandVariants(form, formIndex, kind)) };
}

/** Builds the entries of one row: every variant of every operand appears at least once. */
function rowEntries(form: InstructionForm, formIndex: number, spellings: readonly string[]): { mnemonic: string; prefixes: string[]; operands: OperandVariant[] }[] {
  const plan = planRow(form, formIndex);
  const count = Math.max(1, ...plan.variants.map((list) => list.length));
  const entries: { mnemonic: string; prefixes: string[]; operands: OperandVariant[] }[] = [];
  for (let step = 0; step < count; step++) {
    const operands = plan.variants.map((list, position) => list[(step + position * 3) % list.length]);
    entries.push({ mnemonic: spellings[step % spellings.length], prefixes: [], operands });
  }
  return entries;
}

/** Extra entries for prefixes: lock on lockable memory forms, rep/repne on strings, o16/a16/segment words. */
function prefixEntries(form: InstructionForm, formIndex: number): { mnemonic: string; prefixes: string[]; operands: OperandVariant[] }[] {
  const entries: { mnemonic: string; prefixes: string[]; operands: OperandVariant[] }[] = [];
  const plan = planRow(form, formIndex);
  if (form.prefixes?.includes('lock')) {
    const memoryPosition = form.operands.findIndex((kind) => kind.startsWith('rm') || kind.startsWith('m'));
    if (memoryPosition >= 0) {
      const operands = plan.variants.map((list, position) => position === memoryPosition ? list.find((variant) => typeof variant !== 'function' && variant.kind === 'mem')! : list[list.length - 1]);
      entries.push({ mnemonic: form.mnemonic, prefixes: ['lock'], operands });
    }
  }
  if (form.group === 'string') {
    for (const prefix of form.prefixes?.includes('repne') ? ['rep', 'repe', 'repz', 'repne', 'repnz'] : ['rep']) entries.push({ mnemonic: form.mnemonic, prefixes: [prefix], operands: [] });
    entries.push({ mnemonic: form.mnemonic, prefixes: ['a16'], operands: [] });
    entries.push({ mnemonic: form.mnemonic, prefixes: ['rep', 'a16'], operands: [] });
    entries.push({ mnemonic: form.mnemonic, prefixes: ['fs'], operands: [] });
    entries.push({ mnemonic: form.mnemonic, prefixes: ['es', 'rep'], operands: [] });
  }
  if (form.operands.length === 0 && form.operandSize === undefined && form.group !== 'string') {
    entries.push({ mnemonic: form.mnemonic, prefixes: ['o16'], operands: [] });
  }
  if (form.operands.length > 0 && form.operands.some((kind) => kind === 'rel8' || kind === 'rel32') && !/^(loop|jcxz|jecxz)/.test(form.mnemonic)) {
    for (const prefix of ['o16', 'a16', 'fs']) entries.push({ mnemonic: form.mnemonic, prefixes: [prefix], operands: [(address: number): ParsedOperand => ({ kind: 'imm', value: address + 0x20, isAddress: true })] });
  }
  if (form.operands.length === 1 && form.operands[0] === 'rel8') {
    // o16 wraps IP at 64 KiB: a target written as a 16-bit offset is near once both are taken modulo 64 KiB
    const distance = /^(loop|jcxz|jecxz)/.test(form.mnemonic) ? undefined : 'short' as const;
    entries.push({ mnemonic: form.mnemonic, prefixes: ['o16'], operands: [(address: number): ParsedOperand => (distance ? { kind: 'imm', value: (address + 0x30) & 0xffff, distance } : { kind: 'imm', value: (address - 0x30) & 0xffff })] });
  }
  if (form.operands.length > 0 && form.operands.some((kind) => kind.startsWith('rm') || kind === 'm')) {
    const memoryPosition = form.operands.findIndex((kind) => kind.startsWith('rm') || kind === 'm');
    const operands = plan.variants.map((list, position) => position === memoryPosition ? list.find((variant) => typeof variant !== 'function' && variant.kind === 'mem' && !variant.base && !variant.index && variant.displacementSize === undefined)! : list[0]);
    entries.push({ mnemonic: form.mnemonic, prefixes: ['a16'], operands });
  }
  return entries;
}

/** Immediate spellings NASM treats specially: `strict`, `byte` on the sign-extended forms. */
function keywordEntries(form: InstructionForm, formIndex: number): { mnemonic: string; prefixes: string[]; operands: OperandVariant[] }[] {
  const plan = planRow(form, formIndex);
  const immediatePosition = form.operands.findIndex((kind) => kind === 'imm16' || kind === 'imm32' || kind === 'simm8');
  // NASM refuses any size keyword on enter's operands ("mismatch in operand sizes")
  if (immediatePosition < 0 || form.mnemonic === 'enter') return [];
  const kind = form.operands[immediatePosition];
  const others = plan.variants.map((list) => list[0]);
  const entries: { mnemonic: string; prefixes: string[]; operands: OperandVariant[] }[] = [];
  if (kind === 'simm8') {
    entries.push({ mnemonic: form.mnemonic, prefixes: [], operands: others.map((operand, position) => position === immediatePosition ? { kind: 'imm', value: 5, size: 8 } : operand) });
    entries.push({ mnemonic: form.mnemonic, prefixes: [], operands: others.map((operand, position) => position === immediatePosition ? { kind: 'imm', value: -3, size: 8, strict: true } : operand) });
  } else {
    const size: OperandSizeKeyword = kind === 'imm16' ? 16 : 32;
    entries.push({ mnemonic: form.mnemonic, prefixes: [], operands: others.map((operand, position) => position === immediatePosition ? { kind: 'imm', value: 5, size, strict: true } : operand) });
    if (form.mnemonic === 'push' || form.group === 'alu' || form.mnemonic === 'imul') {
      entries.push({ mnemonic: form.mnemonic, prefixes: [], operands: others.map((operand, position) => position === immediatePosition ? { kind: 'imm', value: CORPUS_ORG + 2 * CORPUS_SLOT_BYTES, isAddress: true } : operand) });
    }
  }
  return entries;
}

/** The memory operand without its size keyword, when the instruction still says the size. */
function withoutMemorySize(operands: readonly ParsedOperand[]): ParsedOperand[] | undefined {
  let changed = false;
  const stripped = operands.map((operand) => {
    if (operand.kind === 'mem' && operand.size !== undefined) {
      changed = true;
      const copy: MemoryOperand = { ...operand };
      delete copy.size;
      return copy;
    }
    return operand;
  });
  return changed ? stripped : undefined;
}

/** NASM spellings that no single row shows: shorthand operands, size taken from elsewhere, prefixes that only set bytes. */
function specialSpellings(): { mnemonic: string; prefixes: string[]; operands: OperandVariant[] }[] {
  const r = (name: string): ParsedOperand => ({ kind: 'reg', name });
  const i = (value: number, extra: Partial<ImmediateOperand> = {}): ParsedOperand => ({ kind: 'imm', value, ...extra });
  const m = (extra: Partial<MemoryOperand> = {}): ParsedOperand => ({ kind: 'mem', base: 'eax', displacement: 0, ...extra });
  const near = (delta: number) => (address: number): ParsedOperand => ({ kind: 'imm', value: address + delta, isAddress: true });
  const line = (mnemonic: string, operands: OperandVariant[], prefixes: string[] = []) => ({ mnemonic, prefixes, operands });
  return [
    line('imul', [r('eax'), i(5)]), line('imul', [r('ax'), i(0x1234)]), line('imul', [r('ecx'), i(-0x81)]), line('imul', [r('esi'), i(0x7f)]),
    line('loop', [near(0x10), r('cx')]), line('loop', [near(-0x10), r('ecx')]), line('loope', [near(4), r('cx')]), line('loopnz', [near(0), r('ecx')]),
    line('shl', [r('eax'), i(1, { size: 8 })]), line('sal', [r('eax'), i(1)]), line('sar', [m({ size: 8 }), i(1)]),
    line('add', [m(), i(5, { size: 8 })]), line('add', [m(), i(5, { size: 32 })]), line('add', [m(), i(5, { size: 16 })]), line('add', [m(), i(0x1234, { size: 32 })]),
    line('mov', [m(), i(5, { size: 8 })]), line('mov', [m({ base: 'ebx' }), i(0x12345678, { size: 32 })]),
    line('call', [m()]), line('jmp', [m({ base: 'ebx', displacement: 8 })]), line('jmp', [m({ far: true })]), line('call', [m({ far: true, size: 32 })]),
    line('movsw', [], ['o32']), line('movsd', [], ['a32']), line('cwde', [], ['o16']), line('cbw', [], ['o32']),
    line('push', [i(5)], ['o16']), line('push', [i(5, { size: 8, strict: true })]), line('push', [i(5, { size: 32 })]),
    line('xchg', [m(), r('ebx')], ['lock']), line('add', [m(), r('eax')], ['lock', 'lock']),
    line('lodsb', [], ['gs', 'rep']),
    line('jmp', [{ kind: 'far', segment: 0x08, offset: 0x1234, size: 16 }]), line('call', [{ kind: 'far', segment: 0x1b, offset: 0x401000, size: 32 }]),
    line('aam', [i(10)]), line('aad', [i(10)]), line('aam', [i(16)]), line('int', [i(3)]),
    line('xchg', [r('eax'), r('eax')]), line('xchg', [r('ax'), r('ax')]), line('xchg', [r('ecx'), r('eax')]),
    line('ret', [i(4, { size: 16 })]), line('retf', [i(8)]), line('enter', [i(0x10), i(1)]),
    line('jmp', [(address: number): ParsedOperand => ({ kind: 'imm', value: address + 0x30, isAddress: true })], ['rep']),
    line('jz', [(address: number): ParsedOperand => ({ kind: 'imm', value: address - 0x30, isAddress: true })], ['ds']),
    line('test', [r('ebx'), m()]), line('test', [r('cl'), m({ size: 8 })]), line('xchg', [r('bl'), m()]),
    line('mov', [r('eax'), m({ base: undefined, displacement: 0x10, displacementSize: 32 })]),
    line('mov', [r('ax'), m({ base: undefined, displacement: 0x10, displacementSize: 16 })]),
  ];
}

export function generateInstructionCorpus(): CorpusEntry[] {
  const planned: { mnemonic: string; prefixes: string[]; operands: OperandVariant[] }[] = [...specialSpellings()];
  INSTRUCTION_TABLE.forEach((form, formIndex) => {
    const spellings = [form.mnemonic, ...(form.aliases ?? [])];
    planned.push(...rowEntries(form, formIndex, spellings));
    planned.push(...prefixEntries(form, formIndex));
    planned.push(...keywordEntries(form, formIndex));
  });

  const corpus: CorpusEntry[] = [];
  const seen = new Set<string>();
  const add = (mnemonic: string, prefixes: string[], operands: ParsedOperand[], address: number, onlyIfAccepted: boolean): void => {
    const request: EncodeRequest = { mnemonic, prefixes, operands, bits: 32, address, final: true };
    const text = renderInstruction(mnemonic, prefixes, operands);
    if (seen.has(text)) return;
    // an unsized twin that leaves the size open is no valid line (NASM: "operation size not specified")
    if (onlyIfAccepted && !chooseForm(request).ok) return;
    seen.add(text);
    corpus.push({ text, request });
  };
  for (const plan of planned) {
    if (plan.operands.some((variant) => variant === undefined)) continue;
    const address = corpusEntryAddress(corpus.length);
    const operands = plan.operands.map((variant) => (typeof variant === 'function' ? variant(address) : variant));
    add(plan.mnemonic, plan.prefixes, operands, address, false);
    // the same line without the memory size keyword, where the other operands still fix the size
    const unsized = withoutMemorySize(operands);
    if (unsized && corpus.length % 3 === 0) add(plan.mnemonic, plan.prefixes, unsized, corpusEntryAddress(corpus.length), true);
  }
  return corpus;
}
