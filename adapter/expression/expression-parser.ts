// Recursive descent over C precedence, plus the debugger's memory forms: [x], dword [x], fs:[x], poi(x).
// Returns a tree or the first error with its column; never throws (nesting depth is bounded).
import { MemoryAccessSize, SegmentRegisterName } from './evaluation-context';
import { OperatorText, Token, tokenizeExpression } from './expression-lexer';
import { NumberParse, Radix, parseNumberLiteral } from './number-literal';
import { isSegmentRegister } from './registers';
import type { BinaryOperator, ExpressionError, ExpressionNode, UnaryOperator } from './syntax-tree';

export type ParseResult = { ok: true; tree: ExpressionNode } | { ok: false; error: ExpressionError };

const MAX_NESTING = 200;

/** Binary operators from the loosest to the tightest binding level. */
const PRECEDENCE: readonly (readonly BinaryOperator[])[] = [
  ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
];

const SIZE_KEYWORDS: ReadonlyMap<string, MemoryAccessSize> = new Map([['byte', 1], ['word', 2], ['dword', 4]]);
/** WinDbg's memory functions: poi (pointer-sized, a dword here), by, wo, dwo. */
const MEMORY_FUNCTIONS: ReadonlyMap<string, MemoryAccessSize> = new Map([['poi', 4], ['by', 1], ['wo', 2], ['dwo', 4]]);

class ParseFailure {
  constructor(readonly error: ExpressionError) {}
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end': return 'end of expression';
    case 'number': case 'name': return `'${token.text}'`;
    case 'operator': return `'${token.text}'`;
    case 'error': return token.message;
  }
}

class Parser {
  private position = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[], private readonly radix: Radix) {}

  parse(): ExpressionNode {
    if (this.peek().kind === 'end') this.fail('empty expression', this.peek().column);
    const tree = this.binary(0);
    const next = this.peek();
    if (next.kind === 'error') this.fail(next.message, next.column);
    if (next.kind !== 'end') this.fail(`unexpected ${describeToken(next)}`, next.column);
    return tree;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)];
  }

  private advance(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position++;
    return token;
  }

  private isOperator(text: OperatorText, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'operator' && token.text === text;
  }

  private expect(text: OperatorText, what: string): void {
    if (this.isOperator(text)) { this.advance(); return; }
    const token = this.peek();
    this.fail(`expected '${text}' ${what}, found ${describeToken(token)}`, token.column);
  }

  private fail(message: string, column: number): never {
    throw new ParseFailure({ message, column });
  }

  private nested<T>(column: number, parse: () => T): T {
    if (++this.depth > MAX_NESTING) this.fail('expression nested too deeply', column);
    try { return parse(); } finally { this.depth--; }
  }

  private binary(level: number): ExpressionNode {
    if (level >= PRECEDENCE.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const token = this.peek();
      const operator = token.kind === 'operator' ? PRECEDENCE[level].find((candidate) => candidate === token.text) : undefined;
      if (operator === undefined) return left;
      this.advance();
      const right = this.binary(level + 1);
      left = { kind: 'binary', operator, left, right, column: token.column };
    }
  }

  private unary(): ExpressionNode {
    const token = this.peek();
    if (token.kind === 'operator' && (token.text === '-' || token.text === '+' || token.text === '~' || token.text === '!')) {
      this.advance();
      const operand = this.nested(token.column, () => this.unary());
      return { kind: 'unary', operator: token.text as UnaryOperator, operand, column: token.column };
    }
    return this.primary();
  }

  private primary(): ExpressionNode {
    const token = this.advance();
    switch (token.kind) {
      case 'number': {
        const parsed: NumberParse = parseNumberLiteral(token.text, this.radix);
        if (!parsed.ok) this.fail(parsed.message, token.column);
        return { kind: 'number', value: parsed.value, column: token.column };
      }
      case 'name': return this.named(token);
      case 'operator':
        if (token.text === '(') {
          const inner = this.nested(token.column, () => this.binary(0));
          this.expect(')', `to close the '(' at column ${token.column}`);
          return inner;
        }
        if (token.text === '[') return this.bracketed(4, null, token.column);
        return this.fail(`unexpected '${token.text}'`, token.column);
      case 'error': return this.fail(token.message, token.column);
      case 'end': return this.fail('the expression ends too early', token.column);
    }
  }

  private named(token: Extract<Token, { kind: 'name' }>): ExpressionNode {
    const lower = token.text.toLowerCase();
    if (!token.atSign) {
      const size = SIZE_KEYWORDS.get(lower);
      if (size !== undefined) return this.sizedMemory(size, token);
      const functionSize = MEMORY_FUNCTIONS.get(lower);
      if (functionSize !== undefined && this.isOperator('(')) {
        const open = this.advance();
        const address = this.nested(open.column, () => this.binary(0));
        this.expect(')', `to close '${token.text}(' at column ${token.column}`);
        return { kind: 'memory', size: functionSize, segment: null, address, column: token.column };
      }
    }
    if (isSegmentRegister(lower) && this.isOperator(':')) {
      this.advance();
      const open = this.peek();
      if (!this.isOperator('[')) this.fail(`expected '[' after '${token.text}:', found ${describeToken(open)}`, open.column);
      this.advance();
      return this.bracketed(4, lower as SegmentRegisterName, token.column, open.column);
    }
    return { kind: 'name', name: token.text, atSign: token.atSign, column: token.column };
  }

  /** `dword [x]`, `byte ptr [x]`, `word fs:[x]`. */
  private sizedMemory(size: MemoryAccessSize, keyword: Extract<Token, { kind: 'name' }>): ExpressionNode {
    const afterPtr = this.peek();
    if (afterPtr.kind === 'name' && afterPtr.text.toLowerCase() === 'ptr') this.advance();
    const next = this.peek();
    if (next.kind === 'name' && isSegmentRegister(next.text) && this.isOperator(':', 1)) {
      this.advance();
      this.advance();
      const open = this.peek();
      if (!this.isOperator('[')) this.fail(`expected '[' after '${next.text}:', found ${describeToken(open)}`, open.column);
      this.advance();
      return this.bracketed(size, next.text.toLowerCase() as SegmentRegisterName, keyword.column, open.column);
    }
    if (!this.isOperator('[')) this.fail(`expected '[' after '${keyword.text}', found ${describeToken(next)}`, next.column);
    const open = this.advance();
    return this.bracketed(size, null, keyword.column, open.column);
  }

  /** After '[': an optional NASM-style `fs:` inside, the address, then ']'. */
  private bracketed(size: MemoryAccessSize, segment: SegmentRegisterName | null, column: number, openColumn = column): ExpressionNode {
    let effectiveSegment = segment;
    const first = this.peek();
    if (effectiveSegment === null && first.kind === 'name' && isSegmentRegister(first.text) && this.isOperator(':', 1)) {
      this.advance();
      this.advance();
      effectiveSegment = first.text.toLowerCase() as SegmentRegisterName;
    }
    const address = this.nested(openColumn, () => this.binary(0));
    this.expect(']', `to close the '[' at column ${openColumn}`);
    return { kind: 'memory', size, segment: effectiveSegment, address, column };
  }
}

export function parseExpression(text: string, radix: Radix = 16): ParseResult {
  try {
    return { ok: true, tree: new Parser(tokenizeExpression(text), radix).parse() };
  } catch (failure) {
    if (failure instanceof ParseFailure) return { ok: false, error: failure.error };
    // Only a bug gets here (a RangeError the depth bound should prevent): still an answer, not a throw.
    return { ok: false, error: { message: `cannot parse the expression (${String(failure)})`, column: 1 } };
  }
}
