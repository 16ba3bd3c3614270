// Which words start an instruction: every mnemonic and alias of the one instruction table, plus prefixes.
import { INSTRUCTION_TABLE } from '../isa/table';

let knownMnemonics: ReadonlySet<string> | undefined;

function mnemonicSet(): ReadonlySet<string> {
  if (!knownMnemonics) {
    const names = new Set<string>();
    for (const form of INSTRUCTION_TABLE) {
      names.add(form.mnemonic);
      for (const alias of form.aliases ?? []) names.add(alias);
    }
    knownMnemonics = names;
  }
  return knownMnemonics;
}

/** Instruction prefixes as NASM writes them before a mnemonic. */
export const INSTRUCTION_PREFIXES: ReadonlySet<string> = new Set([
  'lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'o16', 'o32', 'a16', 'a32', 'es', 'cs', 'ss', 'ds', 'fs', 'gs',
]);

export function isMnemonic(word: string): boolean {
  return mnemonicSet().has(word.toLowerCase());
}
