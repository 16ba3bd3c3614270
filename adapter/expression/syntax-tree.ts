// The parsed form of an expression; every node keeps the column it starts at for error messages.
import type { MemoryAccessSize, SegmentRegisterName } from './evaluation-context';

export type UnaryOperator = '-' | '+' | '~' | '!';
export type BinaryOperator =
  | '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>'
  | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

export type ExpressionNode =
  | { kind: 'number'; value: number; column: number }
  /** A register, symbol or (in radix 16) a hex number spelled with letters only: decided with the context. */
  | { kind: 'name'; name: string; atSign: boolean; column: number }
  | { kind: 'unary'; operator: UnaryOperator; operand: ExpressionNode; column: number }
  | { kind: 'binary'; operator: BinaryOperator; left: ExpressionNode; right: ExpressionNode; column: number }
  | { kind: 'memory'; size: MemoryAccessSize; segment: SegmentRegisterName | null; address: ExpressionNode; column: number };

export interface ExpressionError {
  message: string;
  /** 1-based column of the offending text. */
  column: number;
}
