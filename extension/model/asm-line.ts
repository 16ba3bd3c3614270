// Just enough lexing of one ntasm line to find what a hover or inline value should evaluate.

export const GENERAL_REGISTERS: readonly string[] = [
  'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'esp', 'ebp', 'eip', 'eflags',
  'ax', 'bx', 'cx', 'dx', 'si', 'di', 'sp', 'bp',
  'al', 'ah', 'bl', 'bh', 'cl', 'ch', 'dl', 'dh',
];
export const SEGMENT_REGISTERS: readonly string[] = ['cs', 'ds', 'es', 'fs', 'gs', 'ss'];
export const SYSTEM_REGISTERS: readonly string[] = ['cr0', 'cr2', 'cr3', 'cr4', 'dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7'];

const REGISTERS: ReadonlySet<string> = new Set([...GENERAL_REGISTERS, ...SEGMENT_REGISTERS, ...SYSTEM_REGISTERS]);
export const SIZE_KEYWORDS: ReadonlySet<string> = new Set(['byte', 'word', 'dword', 'qword', 'tword']);
const OPERAND_KEYWORDS: ReadonlySet<string> = new Set(['ptr', 'short', 'near', 'far', 'strict', 'rel', 'abs', 'seg', 'wrt']);
export const INSTRUCTION_PREFIXES: ReadonlySet<string> = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'o16', 'o32', 'a16', 'a32']);
/** Directives after a name that make the name a symbol (`buffer resb 64`, `LIMIT equ 4`). */
const DEFINING_DIRECTIVES: ReadonlySet<string> = new Set(['equ', 'db', 'dw', 'dd', 'dq', 'dt', 'resb', 'resw', 'resd', 'resq', 'rest', 'times']);
/** Directives whose operands are not guest symbols. */
const NON_SYMBOL_DIRECTIVES: ReadonlySet<string> = new Set(['section', 'segment', 'bits', 'use16', 'use32', 'cpu', 'default', 'align', 'alignb']);

/** `$` and `$$` are NASM's here-addresses, `$0ABC` a hex number; anything else is a name. */
function dollarKind(text: string): Token['kind'] {
  if (text === '$' || text === '$$') return 'punct';
  return /^\$[0-9][0-9a-f]*$/i.test(text) ? 'number' : 'word';
}

export function isRegister(word: string): boolean {
  return REGISTERS.has(word.toLowerCase());
}

export interface Token {
  readonly text: string;
  readonly start: number;
  /** One past the last character. */
  readonly end: number;
  readonly kind: 'word' | 'number' | 'string' | 'punct';
}

const WORD_START = /[A-Za-z_.?@$]/;
const WORD_PART = /[\w.?@$#~]/;
const NUMBER_PART = /[\w]/;

/** Tokens before the comment; `;` inside a string does not start one. */
export function tokenizeAsmLine(line: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < line.length) {
    const character = line[position]!;
    if (character === ';') break;
    if (/\s/.test(character)) { position++; continue; }
    const start = position;
    if (character === '\'' || character === '"' || character === '`') {
      position++;
      while (position < line.length && line[position] !== character) position++;
      position = Math.min(position + 1, line.length);
      tokens.push({ text: line.slice(start, position), start, end: position, kind: 'string' });
    } else if (/[0-9]/.test(character)) {
      while (position < line.length && NUMBER_PART.test(line[position]!)) position++;
      tokens.push({ text: line.slice(start, position), start, end: position, kind: 'number' });
    } else if (character === '%') {
      position++;
      while (position < line.length && WORD_PART.test(line[position]!)) position++;
      tokens.push({ text: line.slice(start, position), start, end: position, kind: 'punct' });
    } else if (WORD_START.test(character)) {
      position++;
      while (position < line.length && WORD_PART.test(line[position]!)) position++;
      const text = line.slice(start, position);
      tokens.push({ text, start, end: position, kind: dollarKind(text) });
    } else {
      position++;
      tokens.push({ text: character, start, end: position, kind: 'punct' });
    }
  }
  return tokens;
}

/**
 * Where the instruction or directive word of the line sits among its tokens, or -1 (label-only
 * line). A `name:` label and prefixes come before it; `name equ ...` and `name db ...` make the
 * first word a symbol and the second the directive.
 */
export function mnemonicTokenIndex(tokens: readonly Token[]): number {
  let index = 0;
  if (tokens.length === 0) return -1;
  if (tokens[0]!.kind === 'punct' && tokens[0]!.text.startsWith('%')) return 0;
  if (tokens[0]!.kind === 'word' && tokens[1]?.text === ':') index = 2;
  else if (tokens[0]!.kind === 'word' && tokens[1]?.kind === 'word' && DEFINING_DIRECTIVES.has(tokens[1].text.toLowerCase())) index = 1;
  while (index < tokens.length && tokens[index]!.kind === 'word' && INSTRUCTION_PREFIXES.has(tokens[index]!.text.toLowerCase())) index++;
  return index < tokens.length ? index : -1;
}

/** Whether a word in operand position names a guest symbol (not a register, keyword or directive operand). */
export function isSymbolOperand(tokens: readonly Token[], tokenIndex: number): boolean {
  const token = tokens[tokenIndex]!;
  if (token.kind !== 'word') return false;
  const lower = token.text.toLowerCase();
  if (isRegister(lower) || SIZE_KEYWORDS.has(lower) || OPERAND_KEYWORDS.has(lower)) return false;
  const mnemonicIndex = mnemonicTokenIndex(tokens);
  if (tokenIndex === mnemonicIndex) return false;
  if (mnemonicIndex >= 0 && tokenIndex > mnemonicIndex && tokens[mnemonicIndex]!.kind === 'punct') return false;
  if (mnemonicIndex >= 0 && NON_SYMBOL_DIRECTIVES.has(tokens[mnemonicIndex]!.text.toLowerCase())) return false;
  return true;
}
