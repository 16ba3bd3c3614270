// Evaluates a debugger expression against a paused machine: 32-bit unsigned arithmetic, registers,
// symbols, memory. Every failure is a value with the column to blame; nothing throws.
import type { EvaluationContext, MemoryAccessSize } from './evaluation-context';
import { parseExpression } from './expression-parser';
import { Radix, nameIsNumber, parseNumberLiteral } from './number-literal';
import { RegisterDefinition, extractRegister, findRegister } from './registers';
import type { BinaryOperator, ExpressionError, ExpressionNode } from './syntax-tree';

export interface EvaluationOptions {
  /**
   * The radix of bare numbers. 16 (the default) is WinDbg's: `dd f8a3dd64`, `!idt 2e`, `rdmsr 176`.
   * Pass 10 for text taken from NASM sources (hover on `[ebp+12]`); `0x`, `0n` and `h` work in both.
   */
  radix?: Radix;
}

/** What the value came from, so a client can write it back (DAP setExpression). */
export type ValueReference =
  | { kind: 'register'; register: RegisterDefinition }
  | { kind: 'memory'; address: number; size: MemoryAccessSize };

export type EvaluationResult =
  | { ok: true; value: number; reference: ValueReference | null }
  | { ok: false; error: ExpressionError; message: string };

class EvaluationFailure {
  constructor(readonly error: ExpressionError) {}
}

function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

class Evaluator {
  constructor(private readonly context: EvaluationContext, private readonly radix: Radix) {}

  fail(message: string, column: number): never {
    throw new EvaluationFailure({ message, column });
  }

  evaluate(node: ExpressionNode): { value: number; reference: ValueReference | null } {
    switch (node.kind) {
      case 'number': return { value: node.value, reference: null };
      case 'name': return this.name(node);
      case 'unary': {
        const operand = this.evaluate(node.operand).value;
        switch (node.operator) {
          case '-': return { value: (-operand) >>> 0, reference: null };
          case '+': return { value: operand, reference: null };
          case '~': return { value: (~operand) >>> 0, reference: null };
          case '!': return { value: operand === 0 ? 1 : 0, reference: null };
        }
        break;
      }
      case 'binary': return { value: this.binary(node.operator, node.left, node.right, node.column), reference: null };
      case 'memory': {
        const offset = this.evaluate(node.address).value;
        let address = offset;
        if (node.segment !== null) {
          const base = this.context.segmentBase(node.segment);
          if (base === undefined) this.fail(`the base of segment register ${node.segment} is not available`, node.column);
          address = (base + offset) >>> 0;
        }
        const value = this.context.readMemory(address, node.size);
        if (value === undefined) this.fail(`memory at ${hex(address)} is not mapped`, node.column);
        return { value: value >>> 0, reference: { kind: 'memory', address, size: node.size } };
      }
    }
    return this.fail('unknown expression', 1);
  }

  private name(node: Extract<ExpressionNode, { kind: 'name' }>): { value: number; reference: ValueReference | null } {
    const register = findRegister(node.name, node.atSign);
    if (register !== undefined) {
      const base = this.context.register(register.base);
      if (base === undefined) this.fail(`register ${register.name} is not available`, node.column);
      return { value: extractRegister(register, base), reference: { kind: 'register', register } };
    }
    if (node.atSign) this.fail(`unknown register '@${node.name}'`, node.column);
    const symbol = this.context.symbol(node.name);
    if (symbol !== undefined) return { value: symbol >>> 0, reference: null };
    if (nameIsNumber(node.name, this.radix)) {
      const parsed = parseNumberLiteral(node.name, this.radix);
      if (parsed.ok) return { value: parsed.value, reference: null };
      this.fail(parsed.message, node.column);
    }
    return this.fail(`unknown register or symbol '${node.name}'`, node.column);
  }

  private binary(operator: BinaryOperator, leftNode: ExpressionNode, rightNode: ExpressionNode, column: number): number {
    const left = this.evaluate(leftNode).value;
    // && and || skip the right side, so `eax != 0 && poi(eax) == 5` never reads address 0.
    if (operator === '&&') return left === 0 ? 0 : this.evaluate(rightNode).value === 0 ? 0 : 1;
    if (operator === '||') return left !== 0 ? 1 : this.evaluate(rightNode).value === 0 ? 0 : 1;
    const right = this.evaluate(rightNode).value;
    switch (operator) {
      case '+': return (left + right) >>> 0;
      case '-': return (left - right) >>> 0;
      case '*': return Math.imul(left, right) >>> 0;
      case '/':
        if (right === 0) this.fail('division by zero', column);
        return Math.floor(left / right) >>> 0;
      case '%':
        if (right === 0) this.fail('division by zero', column);
        return (left % right) >>> 0;
      case '&': return (left & right) >>> 0;
      case '|': return (left | right) >>> 0;
      case '^': return (left ^ right) >>> 0;
      // Shift counts of 32 or more give 0, as the arithmetic means (not x86's count & 31).
      case '<<': return right >= 32 ? 0 : (left << right) >>> 0;
      case '>>': return right >= 32 ? 0 : left >>> right;
      case '==': return left === right ? 1 : 0;
      case '!=': return left !== right ? 1 : 0;
      case '<': return left < right ? 1 : 0;
      case '<=': return left <= right ? 1 : 0;
      case '>': return left > right ? 1 : 0;
      case '>=': return left >= right ? 1 : 0;
    }
  }
}

function failed(error: ExpressionError): EvaluationResult {
  return { ok: false, error, message: `${error.message} at column ${error.column}` };
}

/** Evaluates `text`; the result is an unsigned 32-bit value or an error with its column. */
export function evaluateExpression(text: string, context: EvaluationContext, options: EvaluationOptions = {}): EvaluationResult {
  const radix = options.radix ?? 16;
  const parsed = parseExpression(text, radix);
  if (!parsed.ok) return failed(parsed.error);
  try {
    const { value, reference } = new Evaluator(context, radix).evaluate(parsed.tree);
    return { ok: true, value: value >>> 0, reference };
  } catch (failure) {
    if (failure instanceof EvaluationFailure) return failed(failure.error);
    // A context that throws (a bug on its side) still yields an answer.
    return failed({ message: `evaluation failed (${String(failure)})`, column: 1 });
  }
}
