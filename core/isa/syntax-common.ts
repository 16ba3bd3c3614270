// What both disassembly syntaxes need to know about an instruction beyond its operands: facts derived
// once from the instruction table (which mnemonics also have a sign-extended imm8 or a short-branch
// form), and which operands make the operand size visible in the text.

import type { DecodedInstruction, DecodedOperand } from './decoded';
import type { InstructionForm } from './types';
import { generalRegisterName } from './registers';
import { INSTRUCTION_TABLE } from './table';

/** Names a branch target or an absolute address (`nt!KiSystemService+0x1a`), or undefined. */
export type Symbolizer = (address: number) => string | undefined;

function mnemonicsWhere(test: (kinds: readonly string[]) => boolean): ReadonlySet<string> {
  const names = new Set<string>();
  for (const form of INSTRUCTION_TABLE) {
    if (!test(form.operands)) continue;
    names.add(form.mnemonic);
    for (const alias of form.aliases ?? []) names.add(alias);
  }
  return names;
}

/** Mnemonics with a sign-extended imm8 form: their imm16/imm32 forms need `strict` for small values. */
export const MNEMONICS_WITH_SIGNED_IMM8 = mnemonicsWhere((kinds) => kinds.includes('simm8'));
/** Mnemonics with a shift-by-one form (D0/D1): their imm8 form needs `byte 0x1` to keep its encoding. */
export const MNEMONICS_WITH_SHIFT_BY_ONE = mnemonicsWhere((kinds) => kinds.includes('one'));
/** Mnemonics with both a rel8 and a rel16/rel32 form: the text must say `short` or `near`. */
export const MNEMONICS_WITH_SHORT_AND_NEAR = (() => {
  const short = mnemonicsWhere((kinds) => kinds.includes('rel8'));
  const near = mnemonicsWhere((kinds) => kinds.includes('rel16') || kinds.includes('rel32'));
  return new Set([...short].filter((name) => near.has(name)));
})();

/** Register operands whose width shows the operand size (not the fixed `cl` count or `dx` port). */
export function isSizingRegister(instruction: DecodedInstruction, operandIndex: number): boolean {
  const operand = instruction.operands[operandIndex];
  if (operand.kind !== 'reg') return false;
  const kind = instruction.form.operands[operandIndex];
  return kind !== 'cl' && kind !== 'dx';
}

export function registerName(operand: { size: 1 | 2 | 4; reg: number }): string {
  return generalRegisterName(operand.size, operand.reg);
}

/** 16-bit address registers use the same numbers as their 16-bit register names (bx 3, bp 5, si 6, di 7). */
export function addressRegisterName(reg: number, addressSize: 16 | 32): string {
  return generalRegisterName(addressSize === 32 ? 4 : 2, reg);
}

export function hasMemoryOperand(instruction: DecodedInstruction): boolean {
  return instruction.operands.some((operand) => operand.kind === 'mem');
}

/** Whether the memory operand's size is already implied by a register operand of the same width. */
export function memorySizeImplied(instruction: DecodedInstruction, memory: DecodedOperand & { kind: 'mem' }): boolean {
  for (let i = 0; i < instruction.operands.length; i++) {
    const operand = instruction.operands[i];
    if (operand.kind === 'sreg') return true;
    if (isSizingRegister(instruction, i) && operand.kind === 'reg' && operand.size === memory.size) return true;
  }
  return false;
}

/** The condition spellings WinDbg prints (je, jne, jb ...) for the canonical names NASM's table uses. */
const PREFERRED_CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

/** Picks the alias spelled with a preferred condition code (jz -> je), else the mnemonic itself. */
export function preferredConditionSpelling(mnemonic: string, aliases: readonly string[] | undefined): string {
  for (const stem of ['cmov', 'set', 'j']) {
    if (!mnemonic.startsWith(stem)) continue;
    if (PREFERRED_CONDITIONS.includes(mnemonic.slice(stem.length))) return mnemonic;
    for (const alias of aliases ?? []) {
      if (alias.startsWith(stem) && PREFERRED_CONDITIONS.includes(alias.slice(stem.length))) return alias;
    }
  }
  return mnemonic;
}

/** The spelling that names a 32-bit operand size outright (pushfd, iretd, popad), when the table lists one. */
export function explicitDwordSpelling(mnemonic: string, aliases: readonly string[] | undefined): string | undefined {
  return (aliases ?? []).includes(mnemonic + 'd') ? mnemonic + 'd' : undefined;
}

export interface SizeSpellings {
  /** A spelling shared with the row of the other operand size (`ret`): NASM sizes it by `bits`. */
  neutral?: string;
  /** A spelling only this operand size has (`retw`, `retd`, `pushfd`): NASM sizes it by the name. */
  explicit?: string;
}

/**
 * For each row with an operand size, the spellings that leave the size to `bits` and those that fix it,
 * found by comparing the row's names with those of its twin of the other size (same opcode and operands).
 */
export const SIZE_SPELLINGS: readonly SizeSpellings[] = (() => {
  const twinKey = (form: InstructionForm): string => `${form.opcode.join(',')}/${form.modrm ?? '-'}/${form.operands.length}/${form.regInOpcode ? 1 : 0}`;
  const byKey = new Map<string, InstructionForm[]>();
  for (const form of INSTRUCTION_TABLE) {
    if (form.operandSize === undefined) continue;
    const key = twinKey(form);
    byKey.set(key, [...(byKey.get(key) ?? []), form]);
  }
  return INSTRUCTION_TABLE.map((form): SizeSpellings => {
    if (form.operandSize === undefined) return {};
    const spellings = [form.mnemonic, ...(form.aliases ?? [])];
    const twins = (byKey.get(twinKey(form)) ?? []).filter((other) => other.operandSize !== form.operandSize);
    if (twins.length === 0) return {};
    const twinSpellings = new Set(twins.flatMap((twin) => [twin.mnemonic, ...(twin.aliases ?? [])]));
    return {
      neutral: spellings.find((spelling) => twinSpellings.has(spelling)),
      explicit: spellings.find((spelling) => !twinSpellings.has(spelling)),
    };
  });
})();
