// Completions for the REPL and watch input: registers, the memory keywords and symbols for the name
// being typed at the cursor.
import type { EvaluationContext } from './evaluation-context';
import { REGISTER_NAMES, findRegister } from './registers';

export type CompletionKind = 'register' | 'keyword' | 'function' | 'symbol';

export interface ExpressionCompletion {
  label: string;
  kind: CompletionKind;
}

export interface CompletionAnswer {
  /** 1-based column where the replaced name starts; the label replaces text from there to the cursor. */
  start: number;
  items: ExpressionCompletion[];
}

const KEYWORDS: readonly string[] = ['byte', 'word', 'dword', 'ptr'];
const FUNCTIONS: readonly string[] = ['poi', 'by', 'wo', 'dwo'];
export const MAX_COMPLETIONS = 200;

/** Completions for the name that ends at `cursor` (1-based column just past the typed text; default: the end). */
export function completeExpression(text: string, context: EvaluationContext, cursor: number = text.length + 1): CompletionAnswer {
  const end = Math.max(0, Math.min(text.length, cursor - 1));
  let start = end;
  while (start > 0 && /[A-Za-z0-9_$?.!@]/.test(text[start - 1])) start--;
  const typed = text.slice(start, end);
  const atSign = typed.startsWith('@');
  const prefix = (atSign ? typed.slice(1) : typed).toLowerCase();
  const items: ExpressionCompletion[] = [];
  for (const name of REGISTER_NAMES) {
    if (name.startsWith(prefix) && findRegister(name, atSign) !== undefined) items.push({ label: atSign ? `@${name}` : name, kind: 'register' });
  }
  if (!atSign) {
    for (const keyword of KEYWORDS) if (keyword.startsWith(prefix)) items.push({ label: keyword, kind: 'keyword' });
    for (const name of FUNCTIONS) if (name.startsWith(prefix)) items.push({ label: name, kind: 'function' });
    const symbols = (context.symbolNames?.() ?? []).filter((name) => {
      const lower = name.toLowerCase();
      const bang = lower.indexOf('!');
      return lower.startsWith(prefix) || (bang >= 0 && lower.slice(bang + 1).startsWith(prefix));
    });
    for (const name of [...symbols].sort()) items.push({ label: name, kind: 'symbol' });
  }
  return { start: start + 1, items: items.slice(0, MAX_COMPLETIONS) };
}
