// The rows of INSTRUCTION_TABLE the encoder needs to try for one instruction: by mnemonic (every
// spelling), then by operand shape (how many operands, and which class each one is), built once per
// shape. A row left out here is a row whose operand kinds could never take those operands, so the
// encoder's answer is the same as trying every row of the mnemonic, only without the dead attempts.
import { INSTRUCTION_TABLE } from '../isa/table';
import type { OperandKind } from '../isa/types';

/** What kind of thing an operand is, as far as choosing rows goes. */
export type OperandClass = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
export const CLASS_GPR8: OperandClass = 0;
export const CLASS_GPR16: OperandClass = 1;
export const CLASS_GPR32: OperandClass = 2;
export const CLASS_SEGMENT_REGISTER: OperandClass = 3;
export const CLASS_CONTROL_REGISTER: OperandClass = 4;
export const CLASS_DEBUG_REGISTER: OperandClass = 5;
export const CLASS_MEMORY: OperandClass = 6;
export const CLASS_IMMEDIATE: OperandClass = 7;
export const CLASS_FAR_POINTER: OperandClass = 8;

const CLASS_COUNT = 9;

/** Rows by every spelling the assembler accepts, in table order. */
export const FORMS_BY_MNEMONIC: ReadonlyMap<string, readonly number[]> = indexFormsByMnemonic();

function indexFormsByMnemonic(): Map<string, number[]> {
  const index = new Map<string, number[]>();
  INSTRUCTION_TABLE.forEach((form, formIndex) => {
    for (const name of [form.mnemonic, ...(form.aliases ?? [])]) {
      const rows = index.get(name) ?? [];
      if (!rows.includes(formIndex)) rows.push(formIndex);
      index.set(name, rows);
    }
  });
  return index;
}

const bit = (operandClass: OperandClass): number => 1 << operandClass;

/** The operand classes a row's operand kind can take at all (the encoder's matchers decide the rest). */
const CLASSES_OF_KIND: Readonly<Record<OperandKind, number>> = {
  r8: bit(CLASS_GPR8), rm8: bit(CLASS_GPR8) | bit(CLASS_MEMORY),
  r16: bit(CLASS_GPR16), rm16: bit(CLASS_GPR16) | bit(CLASS_MEMORY),
  r32: bit(CLASS_GPR32), rm32: bit(CLASS_GPR32) | bit(CLASS_MEMORY), rr32: bit(CLASS_GPR32),
  m: bit(CLASS_MEMORY), m8: bit(CLASS_MEMORY), m16: bit(CLASS_MEMORY), m32: bit(CLASS_MEMORY), m64: bit(CLASS_MEMORY),
  'm16&32': bit(CLASS_MEMORY), 'm16:16': bit(CLASS_MEMORY), 'm16:32': bit(CLASS_MEMORY),
  'm16&16': bit(CLASS_MEMORY), 'm32&32': bit(CLASS_MEMORY),
  moffs8: bit(CLASS_MEMORY), moffs16: bit(CLASS_MEMORY), moffs32: bit(CLASS_MEMORY),
  imm8: bit(CLASS_IMMEDIATE), imm16: bit(CLASS_IMMEDIATE), imm32: bit(CLASS_IMMEDIATE), simm8: bit(CLASS_IMMEDIATE),
  rel8: bit(CLASS_IMMEDIATE), rel16: bit(CLASS_IMMEDIATE), rel32: bit(CLASS_IMMEDIATE), one: bit(CLASS_IMMEDIATE),
  'ptr16:16': bit(CLASS_FAR_POINTER), 'ptr16:32': bit(CLASS_FAR_POINTER),
  al: bit(CLASS_GPR8), cl: bit(CLASS_GPR8), ax: bit(CLASS_GPR16), dx: bit(CLASS_GPR16), eax: bit(CLASS_GPR32),
  es: bit(CLASS_SEGMENT_REGISTER), cs: bit(CLASS_SEGMENT_REGISTER), ss: bit(CLASS_SEGMENT_REGISTER),
  ds: bit(CLASS_SEGMENT_REGISTER), fs: bit(CLASS_SEGMENT_REGISTER), gs: bit(CLASS_SEGMENT_REGISTER),
  sreg: bit(CLASS_SEGMENT_REGISTER), creg: bit(CLASS_CONTROL_REGISTER), dreg: bit(CLASS_DEBUG_REGISTER),
};

/** mnemonic -> shape key -> rows, filled as shapes are met. */
const FORMS_BY_SHAPE = new Map<string, Map<number, readonly number[]>>();

function shapeKey(classes: readonly OperandClass[]): number {
  let key = classes.length;
  for (const operandClass of classes) key = key * CLASS_COUNT + operandClass;
  return key;
}

/**
 * The rows of `mnemonic` (lower case) whose operand kinds can take operands of these classes, in table
 * order; undefined when the assembler does not know the mnemonic.
 */
export function candidateForms(mnemonic: string, classes: readonly OperandClass[]): readonly number[] | undefined {
  let byShape = FORMS_BY_SHAPE.get(mnemonic);
  if (!byShape) {
    if (!FORMS_BY_MNEMONIC.has(mnemonic)) return undefined;
    byShape = new Map();
    FORMS_BY_SHAPE.set(mnemonic, byShape);
  }
  const key = shapeKey(classes);
  let rows = byShape.get(key);
  if (!rows) {
    rows = FORMS_BY_MNEMONIC.get(mnemonic)!.filter((formIndex) => {
      const kinds = INSTRUCTION_TABLE[formIndex].operands;
      return kinds.length === classes.length && kinds.every((kind, position) => (CLASSES_OF_KIND[kind] & bit(classes[position])) !== 0);
    });
    byShape.set(key, rows);
  }
  return rows;
}

/** Mnemonics (every spelling) with a rel16 or rel32 row: jmp and jcc can fall back on a near form; loop and jcxz cannot. */
const MNEMONICS_WITH_NEAR_FORM: ReadonlySet<string> = new Set(
  [...FORMS_BY_MNEMONIC].filter(([, rows]) => rows.some((formIndex) => INSTRUCTION_TABLE[formIndex].operands.some((kind) => kind === 'rel32' || kind === 'rel16')))
    .map(([mnemonic]) => mnemonic),
);

/** jmp and jcc have near forms to fall back on; loop and jcxz do not. `mnemonic` in lower case. */
export function hasNearForm(mnemonic: string): boolean {
  return MNEMONICS_WITH_NEAR_FORM.has(mnemonic);
}

/** Mnemonics (every spelling) with a rel8/rel16/rel32 row: the only rows whose bytes depend on the instruction's own address. */
const MNEMONICS_WITH_RELATIVE_FORM: ReadonlySet<string> = new Set(
  [...FORMS_BY_MNEMONIC].filter(([, rows]) => rows.some((formIndex) => INSTRUCTION_TABLE[formIndex].operands.some((kind) => kind === 'rel8' || kind === 'rel16' || kind === 'rel32')))
    .map(([mnemonic]) => mnemonic),
);

/** Whether the encoding of `mnemonic` can depend on where the instruction is; true for a name it does not know. */
export function encodingDependsOnAddress(mnemonic: string): boolean {
  return MNEMONICS_WITH_RELATIVE_FORM.has(mnemonic) || !FORMS_BY_MNEMONIC.has(mnemonic);
}
