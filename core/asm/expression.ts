// NASM expressions: parsing tokens into a tree once, and evaluating the tree in every pass with
// NASM's 64-bit semantics (`/` unsigned, `//` signed, `%%` signed remainder, comparisons signed).
import { lookupRegister } from '../isa/registers';
import type { Token } from './lexer';

export type Expression =
  | { kind: 'number'; value: bigint; column: number }
  | { kind: 'symbol'; name: string; written: string; column: number }
  | { kind: 'here'; column: number }
  | { kind: 'sectionStart'; column: number }
  | { kind: 'register'; name: string; column: number }
  | { kind: 'unary'; operator: string; operand: Expression; column: number }
  | { kind: 'binary'; operator: string; left: Expression; right: Expression; column: number }
  | { kind: 'conditional'; condition: Expression; whenTrue: Expression; whenFalse: Expression; column: number };

export interface ExpressionError {
  column: number;
  message: string;
}

export type ParseOutcome = { ok: true; expression: Expression; next: number } | { ok: false; error: ExpressionError };

/** Turns a written symbol into its full name (`.loop` -> `KiSystemService.loop`). */
export type SymbolQualifier = (written: string) => string;

const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['||'], ['^^'], ['&&'],
  ['=', '==', '<', '<=', '>', '>=', '!=', '<>', '<=>'],
  ['|'], ['^'], ['&'],
  ['<<', '>>', '<<<', '>>>'],
  ['+', '-'],
  ['*', '/', '//', '%', '%%'],
];

/** Parses an expression starting at `start`; stops before the first token that cannot continue it. */
export function parseExpression(tokens: readonly Token[], start: number, qualify: SymbolQualifier, allowRegisters = false): ParseOutcome {
  const parser = new ExpressionParser(tokens, qualify, allowRegisters);
  parser.position = start;
  try {
    const expression = parser.parseConditional();
    return { ok: true, expression, next: parser.position };
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return { ok: false, error: { column: error.column, message: error.message } };
    throw error;
  }
}

class ExpressionSyntaxError extends Error {
  constructor(readonly column: number, message: string) {
    super(message);
  }
}

/** Deeper nesting is surely not meant, and recursion must not exhaust the stack. */
const MAX_NESTING = 256;

class ExpressionParser {
  position = 0;
  private nesting = 0;
  private unaryChain = 0;

  constructor(private readonly tokens: readonly Token[], private readonly qualify: SymbolQualifier, private readonly allowRegisters: boolean) {}

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private endColumn(): number {
    const last = this.tokens[this.tokens.length - 1];
    return last ? last.column + last.text.length : 1;
  }

  parseConditional(): Expression {
    const condition = this.parseBinary(0);
    const token = this.peek();
    if (token?.kind === 'op' && token.text === '?') {
      this.position++;
      const whenTrue = this.parseConditional();
      const colon = this.peek();
      if (!(colon?.kind === 'op' && colon.text === ':')) throw new ExpressionSyntaxError(colon?.column ?? this.endColumn(), "expected ':' in a ?: expression");
      this.position++;
      const whenFalse = this.parseConditional();
      return { kind: 'conditional', condition, whenTrue, whenFalse, column: token.column };
    }
    return condition;
  }

  private parseBinary(level: number): Expression {
    if (level >= BINARY_LEVELS.length) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    for (;;) {
      const token = this.peek();
      if (!token || token.kind !== 'op' || !BINARY_LEVELS[level].includes(token.text)) return left;
      this.position++;
      const right = this.parseBinary(level + 1);
      left = { kind: 'binary', operator: token.text, left, right, column: token.column };
    }
  }

  private parseUnary(): Expression {
    const token = this.peek();
    if (!token) throw new ExpressionSyntaxError(this.endColumn(), 'expected an expression');
    if (token.kind === 'op' && ['-', '+', '~', '!'].includes(token.text)) {
      this.position++;
      if (++this.unaryChain > MAX_NESTING) throw new ExpressionSyntaxError(token.column, `expression nested more than ${MAX_NESTING} deep`);
      return { kind: 'unary', operator: token.text, operand: this.parseUnary(), column: token.column };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expression {
    const token = this.peek();
    if (!token) throw new ExpressionSyntaxError(this.endColumn(), 'expected an expression');
    switch (token.kind) {
      case 'number':
        this.position++;
        return { kind: 'number', value: token.value ?? 0n, column: token.column };
      case 'string': {
        this.position++;
        const bytes = token.bytes ?? [];
        if (bytes.length > 8) throw new ExpressionSyntaxError(token.column, `character constant ${token.text} is longer than 8 bytes`);
        let value = 0n;
        bytes.forEach((byte, index) => { value |= BigInt(byte) << BigInt(8 * index); });
        return { kind: 'number', value: BigInt.asIntN(64, value), column: token.column };
      }
      case 'ident': {
        this.position++;
        if (token.text === '$') return { kind: 'here', column: token.column };
        if (token.text === '$$') return { kind: 'sectionStart', column: token.column };
        const register = lookupRegister(token.text);
        if (register) {
          if (!this.allowRegisters) throw new ExpressionSyntaxError(token.column, `register '${token.text}' cannot be used in this expression`);
          return { kind: 'register', name: token.text.toLowerCase(), column: token.column };
        }
        return { kind: 'symbol', name: this.qualify(token.text), written: token.text, column: token.column };
      }
      case 'op':
        if (token.text === '(') {
          this.position++;
          if (++this.nesting > MAX_NESTING) throw new ExpressionSyntaxError(token.column, `expression nested more than ${MAX_NESTING} deep`);
          const inner = this.parseConditional();
          this.nesting--;
          const closing = this.peek();
          if (!(closing?.kind === 'op' && closing.text === ')')) {
            throw new ExpressionSyntaxError(token.column, "unbalanced parentheses: '(' is never closed");
          }
          this.position++;
          return inner;
        }
        if (token.text === ')') throw new ExpressionSyntaxError(token.column, "unbalanced parentheses: unexpected ')'");
        throw new ExpressionSyntaxError(token.column, `expected an expression before '${token.text}'`);
      case 'percent':
        throw new ExpressionSyntaxError(token.column, `'${token.text}' is only meaningful inside a macro`);
    }
  }
}

/** What an expression evaluates to: a number, possibly built from label addresses and registers. */
export interface Value {
  /** Signed 64-bit value (NASM's arithmetic width); registers are not included. */
  value: bigint;
  /** Net count of label addresses in the value: label - label is 0 (a plain number), label + 4 is 1. */
  relocatable: number;
  /** Some symbol had no value yet in this pass (a forward reference). */
  unresolved: boolean;
  /** Register terms with their coefficients, for effective addresses. */
  registers?: Map<string, bigint>;
  /** Registers written with a multiplication (`ebx*1`): nasm makes them the index, never the base. */
  scaledRegisters?: Set<string>;
}

export interface SymbolValue {
  value: bigint;
  relocatable: boolean;
}

export interface EvaluationContext {
  /** The symbol's value, or undefined when it is not known (yet). */
  lookup(name: string): SymbolValue | undefined;
  /** `$` and `$$`: undefined where they mean nothing (e.g. %if). */
  here?: bigint;
  sectionStart?: bigint;
  /** On the final pass an unknown symbol is an error; earlier it only makes the value unresolved. */
  final: boolean;
}

export type EvaluationOutcome = { ok: true; value: Value } | { ok: false; error: ExpressionError };

class EvaluationError extends Error {
  constructor(readonly column: number, message: string) {
    super(message);
  }
}

export function evaluateExpression(expression: Expression, context: EvaluationContext): EvaluationOutcome {
  try {
    return { ok: true, value: evaluate(expression, context) };
  } catch (error) {
    if (error instanceof EvaluationError) return { ok: false, error: { column: error.column, message: error.message } };
    throw error;
  }
}

/** Every symbol name an expression refers to (for dependency checks such as circular equ). */
export function referencedSymbols(expression: Expression, into: { name: string; column: number }[] = []): { name: string; column: number }[] {
  switch (expression.kind) {
    case 'symbol': into.push({ name: expression.name, column: expression.column }); break;
    case 'unary': referencedSymbols(expression.operand, into); break;
    case 'binary': referencedSymbols(expression.left, into); referencedSymbols(expression.right, into); break;
    case 'conditional':
      referencedSymbols(expression.condition, into);
      referencedSymbols(expression.whenTrue, into);
      referencedSymbols(expression.whenFalse, into);
      break;
    default: break;
  }
  return into;
}

/** No symbol, `$` or `$$` in it: the expression has the same value (or the same error) wherever and whenever it is evaluated. */
export function isConstantExpression(expression: Expression): boolean {
  switch (expression.kind) {
    case 'number': case 'register': return true;
    case 'symbol': case 'here': case 'sectionStart': return false;
    case 'unary': return isConstantExpression(expression.operand);
    case 'binary': return isConstantExpression(expression.left) && isConstantExpression(expression.right);
    case 'conditional': return isConstantExpression(expression.condition) && isConstantExpression(expression.whenTrue) && isConstantExpression(expression.whenFalse);
  }
}

const wrap = (value: bigint): bigint => BigInt.asIntN(64, value);

const COMPARISONS: ReadonlySet<string> = new Set(['=', '==', '!=', '<>', '<', '<=', '>', '>=', '<=>']);
const ORDERINGS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=', '<=>']);

/** nasm applies these operators only to numbers: a label's address has no meaning shifted or masked. */
function requireScalar(value: Value, operator: string, column: number): void {
  if (value.relocatable !== 0) {
    throw new EvaluationError(column, `'${operator}' can only be applied to numbers, not to a label's address (use label - $$ for an offset)`);
  }
}
const unsigned = (value: bigint): bigint => BigInt.asUintN(64, value);

function plain(value: bigint, unresolved: boolean): Value {
  return { value: wrap(value), relocatable: 0, unresolved };
}

function evaluate(expression: Expression, context: EvaluationContext): Value {
  switch (expression.kind) {
    case 'number':
      return plain(expression.value, false);
    case 'here':
      if (context.here === undefined) throw new EvaluationError(expression.column, "'$' has no meaning here");
      return { value: context.here, relocatable: 1, unresolved: false };
    case 'sectionStart':
      if (context.sectionStart === undefined) throw new EvaluationError(expression.column, "'$$' has no meaning here");
      return { value: context.sectionStart, relocatable: 1, unresolved: false };
    case 'register':
      return { value: 0n, relocatable: 0, unresolved: false, registers: new Map([[expression.name, 1n]]) };
    case 'symbol': {
      const found = context.lookup(expression.name);
      if (found) return { value: wrap(found.value), relocatable: found.relocatable ? 1 : 0, unresolved: false };
      if (context.final) throw new EvaluationError(expression.column, `symbol '${expression.written}' is not defined`);
      return { value: 0n, relocatable: 0, unresolved: true };
    }
    case 'unary': {
      const operand = evaluate(expression.operand, context);
      if (operand.registers) throw new EvaluationError(expression.column, `invalid use of a register with unary '${expression.operator}'`);
      if (expression.operator === '~' || expression.operator === '!') requireScalar(operand, expression.operator, expression.column);
      switch (expression.operator) {
        case '-': return { value: wrap(-operand.value), relocatable: -operand.relocatable, unresolved: operand.unresolved };
        case '+': return operand;
        case '~': return plain(~operand.value, operand.unresolved);
        default: return plain(operand.value === 0n ? 1n : 0n, operand.unresolved);
      }
    }
    case 'conditional': {
      const condition = evaluate(expression.condition, context);
      requireScalar(condition, '?', expression.column);
      const chosen = evaluate(condition.value !== 0n ? expression.whenTrue : expression.whenFalse, context);
      return { ...chosen, unresolved: chosen.unresolved || condition.unresolved };
    }
    case 'binary':
      return evaluateBinary(expression.operator, evaluate(expression.left, context), evaluate(expression.right, context), expression.column);
  }
}

function combineRegisters(left: Value, right: Value, sign: bigint): Map<string, bigint> | undefined {
  if (!left.registers && !right.registers) return undefined;
  const combined = new Map(left.registers ?? []);
  for (const [name, coefficient] of right.registers ?? []) combined.set(name, (combined.get(name) ?? 0n) + sign * coefficient);
  for (const [name, coefficient] of combined) if (coefficient === 0n) combined.delete(name);
  return combined;
}

function scaleRegisters(registers: Map<string, bigint>, factor: bigint): Map<string, bigint> {
  const scaled = new Map<string, bigint>();
  for (const [name, coefficient] of registers) if (coefficient * factor !== 0n) scaled.set(name, coefficient * factor);
  return scaled;
}

function evaluateBinary(operator: string, left: Value, right: Value, column: number): Value {
  const unresolved = left.unresolved || right.unresolved;
  if (operator === '+' || operator === '-') {
    const sign = operator === '+' ? 1n : -1n;
    const registers = combineRegisters(left, right, sign);
    const relocatable = left.relocatable + Number(sign) * right.relocatable;
    const value = wrap(operator === '+' ? left.value + right.value : left.value - right.value);
    if (!registers || registers.size === 0) return { value, relocatable, unresolved };
    const scaledRegisters = new Set([...(left.scaledRegisters ?? []), ...(right.scaledRegisters ?? [])]);
    return scaledRegisters.size > 0 ? { value, relocatable, unresolved, registers, scaledRegisters } : { value, relocatable, unresolved, registers };
  }
  if (operator === '*') {
    if (left.registers && right.registers) throw new EvaluationError(column, 'cannot multiply a register by a register');
    if (left.relocatable !== 0 && right.relocatable !== 0) throw new EvaluationError(column, 'cannot multiply a label address by a label address');
    if (left.registers) {
      const registers = scaleRegisters(left.registers, right.value);
      return { value: wrap(left.value * right.value), relocatable: 0, unresolved, registers, scaledRegisters: new Set(registers.keys()) };
    }
    if (right.registers) {
      const registers = scaleRegisters(right.registers, left.value);
      return { value: wrap(left.value * right.value), relocatable: 0, unresolved, registers, scaledRegisters: new Set(registers.keys()) };
    }
    // a label address times n stays a (scaled) address: nasm accepts `label * 1` and rejects `label * 2` where it is used
    const relocatable = left.relocatable * Number(right.relocatable === 0 ? right.value : 0n) + right.relocatable * Number(left.relocatable === 0 ? left.value : 0n);
    return { value: wrap(left.value * right.value), relocatable, unresolved };
  }
  if (left.registers || right.registers) throw new EvaluationError(column, `invalid use of a register with '${operator}'`);
  if (COMPARISONS.has(operator)) {
    // ordering two addresses is fine when they differ by a number; equality may compare anything
    if (ORDERINGS.has(operator) && left.relocatable !== right.relocatable) throw new EvaluationError(column, `'${operator}': the operands differ by something that is not a number (a label address)`);
  } else {
    requireScalar(left, operator, column);
    requireScalar(right, operator, column);
  }
  const a = left.value;
  const b = right.value;
  switch (operator) {
    case '/': case '//': case '%': case '%%':
      if (b === 0n) {
        if (unresolved) return plain(0n, true);
        throw new EvaluationError(column, 'division by zero');
      }
      if (operator === '/') return plain(unsigned(a) / unsigned(b), unresolved);
      if (operator === '//') return plain(a / b, unresolved);
      if (operator === '%') return plain(unsigned(a) % unsigned(b), unresolved);
      return plain(a % b, unresolved);
    // the shift count is taken modulo 64, as the x86 shift nasm compiles to does
    case '<<': case '<<<': return plain(a << (unsigned(b) & 63n), unresolved);
    case '>>': return plain(unsigned(a) >> (unsigned(b) & 63n), unresolved);
    case '>>>': return plain(a >> (unsigned(b) & 63n), unresolved);
    case '&': return plain(a & b, unresolved);
    case '|': return plain(a | b, unresolved);
    case '^': return plain(a ^ b, unresolved);
    case '&&': return plain(a !== 0n && b !== 0n ? 1n : 0n, unresolved);
    case '||': return plain(a !== 0n || b !== 0n ? 1n : 0n, unresolved);
    case '^^': return plain((a !== 0n) !== (b !== 0n) ? 1n : 0n, unresolved);
    case '=': case '==': return plain(a === b ? 1n : 0n, unresolved);
    case '!=': case '<>': return plain(a !== b ? 1n : 0n, unresolved);
    case '<': return plain(a < b ? 1n : 0n, unresolved);
    case '<=': return plain(a <= b ? 1n : 0n, unresolved);
    case '>': return plain(a > b ? 1n : 0n, unresolved);
    case '>=': return plain(a >= b ? 1n : 0n, unresolved);
    // nasm 2.16.01 (the reference) yields 0 where the manual promises -1: follow the reference
    case '<=>': return plain(a > b ? 1n : 0n, unresolved);
    default: throw new EvaluationError(column, `unknown operator '${operator}'`);
  }
}
