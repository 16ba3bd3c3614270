// Finds what to evaluate under the mouse in an ntasm line: a register, a memory operand, a symbol.
import { SIZE_KEYWORDS, Token, isRegister, isSymbolOperand, tokenizeAsmLine } from './asm-line';

export interface FoundExpression {
  /** Columns of the text to highlight, `end` exclusive. */
  readonly start: number;
  readonly end: number;
  /** What to send to the adapter's evaluate (SPEC 6 syntax: `dword [edx+8]`, `fs:[0x124]`). */
  readonly expression: string;
}

const SEGMENT_PREFIX = /^(cs|ds|es|fs|gs|ss)\s*:\s*/i;

function tokenAt(tokens: readonly Token[], column: number): number {
  return tokens.findIndex((token) => column >= token.start && column < token.end);
}

/** The memory operand whose brackets hold `tokenIndex`, widened to its size and segment prefix. */
function memoryOperandAround(line: string, tokens: readonly Token[], tokenIndex: number): FoundExpression | undefined {
  let open = -1;
  for (let index = tokenIndex; index >= 0; index--) {
    const text = tokens[index]!.text;
    if (text === ']' && index !== tokenIndex) return undefined;
    if (text === '[') { open = index; break; }
  }
  if (open < 0) return undefined;
  let close = -1;
  for (let index = Math.max(open, tokenIndex); index < tokens.length; index++) {
    if (tokens[index]!.text === ']') { close = index; break; }
    if (tokens[index]!.text === '[' && index !== open) return undefined;
  }
  if (close < 0) return undefined;
  let first = open;
  let segment = '';
  if (first >= 2 && tokens[first - 1]!.text === ':' && /^(cs|ds|es|fs|gs|ss)$/i.test(tokens[first - 2]!.text)) {
    segment = tokens[first - 2]!.text.toLowerCase();
    first -= 2;
  }
  let size = '';
  let sizeIndex = first - 1;
  if (sizeIndex >= 0 && tokens[sizeIndex]!.text.toLowerCase() === 'ptr') sizeIndex--;
  if (sizeIndex >= 0 && SIZE_KEYWORDS.has(tokens[sizeIndex]!.text.toLowerCase())) {
    size = tokens[sizeIndex]!.text.toLowerCase();
    first = sizeIndex;
  }
  let inner = line.slice(tokens[open]!.end, tokens[close]!.start).trim();
  const innerSegment = SEGMENT_PREFIX.exec(inner);
  if (innerSegment) {
    segment = innerSegment[1]!.toLowerCase();
    inner = inner.slice(innerSegment[0].length);
  }
  if (inner === '') return undefined;
  const memory = `${segment === '' ? '' : `${segment}:`}[${inner}]`;
  return { start: tokens[first]!.start, end: tokens[close]!.end, expression: size === '' ? memory : `${size} ${memory}` };
}

/** The operand `size [..]` or `seg:[..]` that starts at a size keyword or a segment register. */
function memoryOperandAfter(line: string, tokens: readonly Token[], tokenIndex: number): FoundExpression | undefined {
  for (let index = tokenIndex + 1; index < tokens.length && index <= tokenIndex + 3; index++) {
    if (tokens[index]!.text === '[') return memoryOperandAround(line, tokens, index);
    if (!['ptr', ':'].includes(tokens[index]!.text.toLowerCase()) && !/^(cs|ds|es|fs|gs|ss)$/i.test(tokens[index]!.text)) return undefined;
  }
  return undefined;
}

/**
 * The expression at `column` of `line`, or undefined (comment, mnemonic, number, blank).
 * `enclosingLabel` qualifies local labels: `.loop` under `start` is `start.loop`, as NASM names it.
 */
export function findEvaluatableExpression(line: string, column: number, enclosingLabel?: string): FoundExpression | undefined {
  const tokens = tokenizeAsmLine(line);
  const index = tokenAt(tokens, column);
  if (index < 0) return undefined;
  const token = tokens[index]!;
  if (token.kind === 'string' || token.kind === 'number') return memoryOperandAround(line, tokens, index);
  if (token.kind === 'punct') return token.text.startsWith('%') ? undefined : memoryOperandAround(line, tokens, index);
  const lower = token.text.toLowerCase();
  const isSegmentBeforeColon = /^(cs|ds|es|fs|gs|ss)$/.test(lower) && tokens[index + 1]?.text === ':';
  if (SIZE_KEYWORDS.has(lower) || lower === 'ptr' || isSegmentBeforeColon) {
    const operand = memoryOperandAfter(line, tokens, index);
    if (operand) return operand;
  }
  // Inside brackets the operand is what a person wants to see: `[esp+4]`, not ESP.
  const inBrackets = memoryOperandAround(line, tokens, index);
  if (inBrackets) return inBrackets;
  if (isRegister(lower)) return { start: token.start, end: token.end, expression: lower };
  if (!isSymbolOperand(tokens, index)) return undefined;
  const expression = token.text.startsWith('.') && enclosingLabel !== undefined ? `${enclosingLabel}${token.text}` : token.text;
  return { start: token.start, end: token.end, expression };
}

/** The last non-local label defined at or above `lineIndex`, which local labels below it belong to. */
export function findEnclosingLabel(lines: readonly string[], lineIndex: number): string | undefined {
  for (let index = Math.min(lineIndex, lines.length - 1); index >= 0; index--) {
    const match = /^\s*([A-Za-z_?@][\w?@$#~.]*)\s*:/.exec(lines[index]!) ?? /^([A-Za-z_?@][\w?@$#~.]*)\s+(?:db|dw|dd|dq|resb|resw|resd|resq|times)\b/i.exec(lines[index]!);
    if (match) return match[1];
  }
  return undefined;
}
