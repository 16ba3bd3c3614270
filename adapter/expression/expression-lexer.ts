// Splits an expression into tokens with 1-based columns; bad characters become error tokens, never throws.

export type OperatorText =
  | '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '~' | '!' | '<<' | '>>'
  | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||'
  | '(' | ')' | '[' | ']' | ':';

export type Token =
  | { kind: 'number'; text: string; column: number }
  | { kind: 'name'; text: string; column: number; atSign: boolean }
  | { kind: 'operator'; text: OperatorText; column: number }
  | { kind: 'error'; message: string; column: number }
  | { kind: 'end'; column: number };

const OPERATORS: readonly OperatorText[] = [
  '<<', '>>', '==', '!=', '<=', '>=', '&&', '||',
  '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '(', ')', '[', ']', ':',
];

const NAME_START = /[A-Za-z_$?.]/;
const NAME_PART = /[A-Za-z0-9_$?.@]/;
/** Digits, letters (hex digits, radix prefixes, the `h` suffix) and WinDbg's ` separator in 64-bit values. */
const NUMBER_PART = /[0-9A-Za-z_`]/;

export function tokenizeExpression(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const character = text[index];
    const column = index + 1;
    if (/\s/.test(character)) { index++; continue; }
    if (/[0-9]/.test(character)) {
      let end = index;
      while (end < text.length && NUMBER_PART.test(text[end])) end++;
      tokens.push({ kind: 'number', text: text.slice(index, end), column });
      index = end;
      continue;
    }
    const atSign = character === '@';
    if (NAME_START.test(character) || (atSign && NAME_START.test(text[index + 1] ?? ''))) {
      let end = atSign ? index + 1 : index;
      while (end < text.length && NAME_PART.test(text[end])) end++;
      // `module!Name`: a bang directly between two name characters joins them (`a != b` stays an operator).
      if (text[end] === '!' && NAME_START.test(text[end + 1] ?? '')) {
        end++;
        while (end < text.length && NAME_PART.test(text[end])) end++;
      }
      tokens.push({ kind: 'name', text: text.slice(atSign ? index + 1 : index, end), column, atSign });
      index = end;
      continue;
    }
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, index));
    if (operator !== undefined) {
      tokens.push({ kind: 'operator', text: operator, column });
      index += operator.length;
      continue;
    }
    tokens.push({ kind: 'error', message: `unexpected character '${character}'`, column });
    index++;
  }
  tokens.push({ kind: 'end', column: text.length + 1 });
  return tokens;
}
