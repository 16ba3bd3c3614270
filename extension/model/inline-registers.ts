// The registers an ntasm line uses, each once, for inline values next to the current line.
import { isRegister, tokenizeAsmLine } from './asm-line';

export interface RegisterUse {
  /** Lower-case register name, as the adapter evaluates it. */
  readonly register: string;
  readonly start: number;
  readonly end: number;
}

export function findRegisterUses(line: string): RegisterUse[] {
  const seen = new Set<string>();
  const uses: RegisterUse[] = [];
  for (const token of tokenizeAsmLine(line)) {
    if (token.kind !== 'word') continue;
    const register = token.text.toLowerCase();
    if (!isRegister(register) || seen.has(register)) continue;
    seen.add(register);
    uses.push({ register, start: token.start, end: token.end });
  }
  return uses;
}
