// Parses one preprocessed line into a statement: an optional label, then an instruction with its
// operands (as expression trees) or a directive. Parsing happens once; expressions are evaluated per pass.
import { lookupRegister } from '../isa/registers';
import type { OperandSizeKeyword } from './operand';
import { parseExpression, type Expression, type ExpressionError } from './expression';
import type { Token } from './lexer';
import { INSTRUCTION_PREFIXES, isMnemonic } from './mnemonics';

export type OperandSyntax =
  | { kind: 'reg'; name: string; column: number }
  | { kind: 'imm'; expression: Expression; size?: OperandSizeKeyword; strict?: boolean; distance?: 'short' | 'near' | 'far'; column: number }
  | {
    kind: 'mem'; expression: Expression; size?: OperandSizeKeyword; segment?: SegmentName;
    displacementSize?: 8 | 16 | 32; noSplit?: boolean; far?: boolean; addressSize?: 16 | 32; column: number;
  }
  | { kind: 'far'; segment: Expression; offset: Expression; size?: OperandSizeKeyword; column: number };

export type DataItem = { kind: 'string'; bytes: readonly number[]; column: number } | { kind: 'expression'; expression: Expression; column: number };

export type StatementBody =
  | { kind: 'none' }
  | { kind: 'instruction'; prefixes: string[]; mnemonic: string; mnemonicColumn: number; operands: OperandSyntax[] }
  | { kind: 'data'; unit: 1 | 2 | 4 | 8; items: DataItem[]; column: number }
  | { kind: 'reserve'; unit: 1 | 2 | 4 | 8; count: Expression; column: number }
  | { kind: 'equ'; expression: Expression; column: number }
  | { kind: 'bits'; bits: 16 | 32 }
  | { kind: 'org'; expression: Expression; column: number }
  | { kind: 'section'; name: string; align?: number; nobits?: boolean; column: number }
  | { kind: 'global' | 'extern'; names: { name: string; column: number }[] }
  | { kind: 'align'; alignment: Expression; fill: 'nop' | 'zero' | 'reserve'; column: number }
  /** `struc NAME` ... `endstruc`: offsets of fields (NAME.field) and NAME_size, no bytes. */
  | { kind: 'struc'; name: string; column: number }
  | { kind: 'endstruc'; name: string; column: number }
  /** `absolute ADDRESS`: labels that follow name addresses in space that is not assembled. */
  | { kind: 'absolute'; expression: Expression; column: number }
  /** `istruc T` / `at T.field, dd value` / `iend`: an instance of a struc, padded with zeros to each field. */
  | { kind: 'istruc'; name: string; column: number }
  | { kind: 'at'; field: Expression; data?: Extract<StatementBody, { kind: 'data' }>; column: number }
  | { kind: 'iend'; column: number };

export interface Statement {
  label?: { name: string; written: string; column: number; local: boolean };
  times?: { count: Expression; column: number };
  body: StatementBody;
}

export type StatementOutcome = { ok: true; statement: Statement } | { ok: false; error: ExpressionError };

type SegmentName = 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs';
const SEGMENT_NAMES: readonly SegmentName[] = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

/** The segment register a token names, if it names one. */
function segmentNameOf(token: Token | undefined): SegmentName | undefined {
  return token?.kind === 'ident' ? SEGMENT_NAMES.find((name) => name === token.text.toLowerCase()) : undefined;
}

const SIZE_KEYWORDS: Record<string, OperandSizeKeyword> = { byte: 8, word: 16, dword: 32, fword: 48, qword: 64 };
const DATA_UNITS: Record<string, 1 | 2 | 4 | 8> = { db: 1, dw: 2, dd: 4, dq: 8 };
const RESERVE_UNITS: Record<string, 1 | 2 | 4 | 8> = { resb: 1, resw: 2, resd: 4, resq: 8 };
const DIRECTIVES = new Set(['bits', 'use16', 'use32', 'org', 'section', 'segment', 'global', 'extern', 'equ', 'times', 'align', 'alignb',
  'struc', 'endstruc', 'absolute', 'istruc', 'at', 'iend',
  'cpu', 'default', 'common', 'static', ...Object.keys(DATA_UNITS), ...Object.keys(RESERVE_UNITS)]);

class StatementSyntaxError extends Error {
  constructor(readonly column: number, message: string) {
    super(message);
  }
}

/** Names the label scope: `.x` is local to the last ordinary label. */
export interface LabelScope {
  current: string;
  /** The struc being declared, if any. */
  struc?: string;
}

export function qualifyName(written: string, scope: LabelScope): string {
  return written.startsWith('.') && !written.startsWith('..') ? `${scope.current}${written}` : written;
}

/** Does this label start a new scope for local labels (NASM: ordinary labels do, `..@x` and equ do not)? */
function opensScope(name: string): boolean {
  return !name.startsWith('.') && !name.startsWith('..@');
}

function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token?.kind === 'ident' && words.includes(token.text.toLowerCase());
}

function isOp(token: Token | undefined, text: string): boolean {
  return token?.kind === 'op' && token.text === text;
}

function isInstructionWord(token: Token | undefined): boolean {
  if (token?.kind !== 'ident') return false;
  const word = token.text.toLowerCase();
  return isMnemonic(word) || DIRECTIVES.has(word) || INSTRUCTION_PREFIXES.has(word) && lookupRegister(word) === undefined;
}

export function parseStatement(tokens: readonly Token[], scope: LabelScope): StatementOutcome {
  try {
    return { ok: true, statement: new StatementParser(tokens, scope).parse() };
  } catch (error) {
    if (error instanceof StatementSyntaxError) return { ok: false, error: { column: error.column, message: error.message } };
    throw error;
  }
}

class StatementParser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[], private readonly scope: LabelScope) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  private endColumn(): number {
    const last = this.tokens[this.tokens.length - 1];
    return last ? last.column + last.text.length : 1;
  }

  private qualify = (written: string): string => qualifyName(written, this.scope);

  parse(): Statement {
    const statement: Statement = { body: { kind: 'none' } };
    if (this.tokens.length === 0) return statement;
    if (isOp(this.peek(), '[')) return this.parseBracketDirective();
    const first = this.peek()!;
    if (first.kind !== 'ident') {
      throw new StatementSyntaxError(first.column, `expected a label, an instruction or a directive, found '${first.text}'`);
    }
    const second = this.peek(1);
    const word = first.text.toLowerCase();
    // `fs lodsd`: a segment register written as a prefix
    const segmentPrefix = INSTRUCTION_PREFIXES.has(word) && lookupRegister(word) !== undefined && second?.kind === 'ident'
      && (isMnemonic(second.text) || INSTRUCTION_PREFIXES.has(second.text.toLowerCase()));
    const firstIsKeyword = (isInstructionWord(first) || segmentPrefix) && !isOp(second, ':');
    if (!firstIsKeyword) {
      // a label: `name:`, a name alone on its line, or a name followed by an instruction or directive
      if (!(isOp(second, ':') || this.tokens.length === 1 || isInstructionWord(second))) {
        throw new StatementSyntaxError(first.column, `unknown instruction '${first.text}'`);
      }
      if (lookupRegister(word)) throw new StatementSyntaxError(first.column, `'${first.text}' is a register and cannot be a label`);
      const local = first.text.startsWith('.') && !first.text.startsWith('..');
      statement.label = { name: this.qualify(first.text), written: first.text, column: first.column, local };
      this.position += isOp(second, ':') ? 2 : 1;
    }
    if (statement.label && this.position >= this.tokens.length) {
      if (opensScope(statement.label.written)) this.scope.current = statement.label.name;
      return statement;
    }
    const isEqu = isWord(this.peek(), 'equ');
    // a new ordinary label opens the scope for `.local` names used on its own line (`x: jmp .l`)
    if (statement.label && !isEqu && opensScope(statement.label.written)) this.scope.current = statement.label.name;
    if (isWord(this.peek(), 'times')) {
      const timesToken = this.peek()!;
      this.position++;
      const count = this.expression();
      statement.times = { count, column: timesToken.column };
    }
    statement.body = this.parseBody(statement);
    return statement;
  }

  private parseBracketDirective(): Statement {
    const closing = this.tokens.findIndex((token) => isOp(token, ']'));
    if (closing < 0) throw new StatementSyntaxError(this.tokens[0].column, "unbalanced brackets: '[' is never closed");
    if (closing !== this.tokens.length - 1) throw new StatementSyntaxError(this.tokens[closing + 1].column, `unexpected '${this.tokens[closing + 1].text}' after ']'`);
    const inner = new StatementParser(this.tokens.slice(1, closing), this.scope);
    const word = inner.peek();
    if (!isWord(word, 'bits', 'use16', 'use32', 'org', 'section', 'segment', 'global', 'extern', 'cpu', 'default')) {
      throw new StatementSyntaxError(word?.column ?? this.tokens[0].column, `'[${word?.text ?? ''} ...]' is not a directive`);
    }
    return { body: inner.parseBody({ body: { kind: 'none' } }) };
  }

  private expression(allowRegisters = false): Expression {
    const parsed = parseExpression(this.tokens, this.position, this.qualify, allowRegisters);
    if (!parsed.ok) throw new StatementSyntaxError(parsed.error.column, parsed.error.message);
    this.position = parsed.next;
    return parsed.expression;
  }

  private expectEnd(): void {
    const token = this.peek();
    if (!token) return;
    if (isOp(token, ')')) throw new StatementSyntaxError(token.column, "unbalanced parentheses: unexpected ')'");
    if (isOp(token, ']')) throw new StatementSyntaxError(token.column, "unbalanced brackets: unexpected ']'");
    throw new StatementSyntaxError(token.column, `unexpected '${token.text}'`);
  }

  private parseBody(statement: Statement): StatementBody {
    const token = this.peek();
    if (!token) throw new StatementSyntaxError(this.endColumn(), 'expected an instruction after times');
    if (token.kind !== 'ident') throw new StatementSyntaxError(token.column, `expected an instruction or a directive, found '${token.text}'`);
    const word = token.text.toLowerCase();
    if (word in DATA_UNITS) {
      this.position++;
      return this.parseData(DATA_UNITS[word], token);
    }
    if (word in RESERVE_UNITS) {
      this.position++;
      if (!this.peek()) throw new StatementSyntaxError(this.endColumn(), `${word} needs a count`);
      const count = this.expression();
      this.expectEnd();
      return { kind: 'reserve', unit: RESERVE_UNITS[word], count, column: token.column };
    }
    switch (word) {
      case 'equ': {
        this.position++;
        if (!statement.label) throw new StatementSyntaxError(token.column, 'equ needs a label before it');
        if (!this.peek()) throw new StatementSyntaxError(this.endColumn(), 'equ needs a value');
        const expression = this.expression();
        this.expectEnd();
        return { kind: 'equ', expression, column: token.column };
      }
      case 'bits': case 'use16': case 'use32': {
        this.position++;
        let bits: number;
        if (word === 'bits') {
          const value = this.peek();
          if (value?.kind !== 'number' || (value.value !== 16n && value.value !== 32n)) {
            throw new StatementSyntaxError(value?.column ?? this.endColumn(), 'bits must be 16 or 32');
          }
          this.position++;
          bits = Number(value.value);
        } else {
          bits = word === 'use16' ? 16 : 32;
        }
        this.expectEnd();
        return { kind: 'bits', bits: bits as 16 | 32 };
      }
      case 'org': {
        this.position++;
        if (!this.peek()) throw new StatementSyntaxError(this.endColumn(), 'org needs an address');
        const expression = this.expression();
        this.expectEnd();
        return { kind: 'org', expression, column: token.column };
      }
      case 'section': case 'segment':
        this.position++;
        return this.parseSection(token);
      case 'global': case 'extern': case 'common': case 'static': {
        this.position++;
        const names: { name: string; column: number }[] = [];
        while (this.peek()) {
          const nameToken = this.peek()!;
          if (nameToken.kind !== 'ident') throw new StatementSyntaxError(nameToken.column, `${word} expects symbol names, found '${nameToken.text}'`);
          names.push({ name: this.qualify(nameToken.text), column: nameToken.column });
          this.position++;
          // `global name:function` style qualifiers are accepted and ignored
          if (isOp(this.peek(), ':')) { this.position++; if (this.peek()?.kind === 'ident') this.position++; }
          if (isOp(this.peek(), ',')) this.position++;
          else break;
        }
        this.expectEnd();
        if (names.length === 0) throw new StatementSyntaxError(this.endColumn(), `${word} needs a symbol name`);
        return { kind: word === 'extern' ? 'extern' : 'global', names };
      }
      case 'struc': {
        this.position++;
        const nameToken = this.peek();
        if (!nameToken || nameToken.kind !== 'ident') throw new StatementSyntaxError(nameToken?.column ?? this.endColumn(), 'struc needs a name');
        if (this.scope.struc) throw new StatementSyntaxError(token.column, `struc ${nameToken.text} inside struc ${this.scope.struc}: close it with endstruc first`);
        this.position++;
        this.expectEnd();
        this.scope.struc = nameToken.text;
        this.scope.current = nameToken.text;
        return { kind: 'struc', name: nameToken.text, column: nameToken.column };
      }
      case 'endstruc': {
        this.position++;
        this.expectEnd();
        const name = this.scope.struc;
        if (!name) throw new StatementSyntaxError(token.column, 'endstruc without a matching struc');
        this.scope.struc = undefined;
        return { kind: 'endstruc', name, column: token.column };
      }
      case 'absolute': {
        this.position++;
        if (!this.peek()) throw new StatementSyntaxError(this.endColumn(), 'absolute needs an address');
        const expression = this.expression();
        this.expectEnd();
        return { kind: 'absolute', expression, column: token.column };
      }
      case 'istruc': {
        this.position++;
        const nameToken = this.peek();
        if (!nameToken || nameToken.kind !== 'ident') throw new StatementSyntaxError(nameToken?.column ?? this.endColumn(), 'istruc needs a struc name');
        this.position++;
        this.expectEnd();
        return { kind: 'istruc', name: nameToken.text, column: token.column };
      }
      case 'at': {
        this.position++;
        if (!this.peek()) throw new StatementSyntaxError(this.endColumn(), 'at needs a field name');
        const field = this.expression();
        if (!this.peek()) return { kind: 'at', field, column: token.column };
        if (!isOp(this.peek(), ',')) this.expectEnd();
        this.position++;
        const directive = this.peek();
        const unit = directive?.kind === 'ident' ? DATA_UNITS[directive.text.toLowerCase()] : undefined;
        if (!directive || unit === undefined) throw new StatementSyntaxError(directive?.column ?? this.endColumn(), 'at FIELD, must be followed by db, dw, dd or dq');
        this.position++;
        const data = this.parseData(unit, directive) as Extract<StatementBody, { kind: 'data' }>;
        return { kind: 'at', field, data, column: token.column };
      }
      case 'iend':
        this.position++;
        this.expectEnd();
        return { kind: 'iend', column: token.column };
      case 'cpu': case 'default':
        this.position = this.tokens.length;
        return { kind: 'none' };
      case 'align': case 'alignb': {
        this.position++;
        if (!this.peek()) throw new StatementSyntaxError(this.endColumn(), `${word} needs a boundary`);
        const alignment = this.expression();
        let fill: 'nop' | 'zero' | 'reserve' = word === 'align' ? 'nop' : 'reserve';
        if (isOp(this.peek(), ',')) {
          this.position++;
          const fillWords = this.tokens.slice(this.position).map((fillToken) => fillToken.text.toLowerCase()).join(' ');
          if (fillWords === 'nop') fill = 'nop';
          else if (fillWords === 'db 0') fill = 'zero';
          else if (fillWords === 'resb 1') fill = 'reserve';
          else throw new StatementSyntaxError(this.peek()?.column ?? this.endColumn(), `${word} fill must be nop, db 0 or resb 1`);
          this.position = this.tokens.length;
        }
        this.expectEnd();
        return { kind: 'align', alignment, fill, column: token.column };
      }
      default:
        return this.parseInstruction();
    }
  }

  private parseSection(directive: Token): StatementBody {
    const nameToken = this.peek();
    if (!nameToken || nameToken.kind !== 'ident') throw new StatementSyntaxError(nameToken?.column ?? this.endColumn(), 'section needs a name');
    this.position++;
    const body: StatementBody = { kind: 'section', name: nameToken.text, column: directive.column };
    while (this.peek()) {
      const attribute = this.peek()!;
      const attributeWord = attribute.text.toLowerCase();
      this.position++;
      if (attributeWord === 'align' && isOp(this.peek(), '=')) {
        this.position++;
        const value = this.peek();
        if (value?.kind !== 'number' || value.value === undefined || value.value <= 0n || (value.value & (value.value - 1n)) !== 0n) {
          throw new StatementSyntaxError(value?.column ?? this.endColumn(), 'section alignment must be a power of two');
        }
        body.align = Number(value.value);
        this.position++;
      } else if (attributeWord === 'nobits') {
        body.nobits = true;
      } else if (attributeWord === 'progbits') {
        body.nobits = false;
      } else if (['code', 'text', 'data', 'rdata', 'bss', 'exec', 'noexec', 'write', 'nowrite', 'alloc', 'noalloc', 'private', 'public'].includes(attributeWord)) {
        // attributes that matter only for object formats
      } else {
        throw new StatementSyntaxError(attribute.column, `unknown section attribute '${attribute.text}'`);
      }
    }
    return body;
  }

  private parseData(unit: 1 | 2 | 4 | 8, directive: Token): StatementBody {
    const items: DataItem[] = [];
    if (!this.peek()) throw new StatementSyntaxError(this.endColumn(), `${directive.text} needs at least one value`);
    for (;;) {
      const token = this.peek();
      if (!token) throw new StatementSyntaxError(this.endColumn(), `expected a value after ','`);
      const after = this.peek(1);
      if (token.kind === 'string' && (!after || isOp(after, ','))) {
        items.push({ kind: 'string', bytes: token.bytes ?? [], column: token.column });
        this.position++;
      } else {
        items.push({ kind: 'expression', expression: this.expression(), column: token.column });
      }
      if (isOp(this.peek(), ',')) { this.position++; continue; }
      this.expectEnd();
      return { kind: 'data', unit, items, column: directive.column };
    }
  }

  private parseInstruction(): StatementBody {
    const prefixes: string[] = [];
    while (this.peek()?.kind === 'ident' && INSTRUCTION_PREFIXES.has(this.peek()!.text.toLowerCase()) && this.peek(1)?.kind === 'ident'
      && !isOp(this.peek(1), ':')) {
      prefixes.push(this.peek()!.text.toLowerCase());
      this.position++;
    }
    const mnemonicToken = this.peek();
    if (!mnemonicToken || mnemonicToken.kind !== 'ident') throw new StatementSyntaxError(mnemonicToken?.column ?? this.endColumn(), 'expected an instruction');
    const mnemonic = mnemonicToken.text.toLowerCase();
    if (!isMnemonic(mnemonic)) {
      if (INSTRUCTION_PREFIXES.has(mnemonic) && !this.peek(1)) {
        throw new StatementSyntaxError(mnemonicToken.column, `prefix '${mnemonicToken.text}' must be followed by an instruction on the same line`);
      }
      throw new StatementSyntaxError(mnemonicToken.column, `unknown instruction '${mnemonicToken.text}'`);
    }
    this.position++;
    const operands: OperandSyntax[] = [];
    if (this.peek()) {
      for (;;) {
        operands.push(this.parseOperand());
        if (isOp(this.peek(), ',')) { this.position++; continue; }
        this.expectEnd();
        break;
      }
    }
    return { kind: 'instruction', prefixes, mnemonic, mnemonicColumn: mnemonicToken.column, operands };
  }

  private parseOperand(): OperandSyntax {
    const start = this.peek();
    if (!start) throw new StatementSyntaxError(this.endColumn(), "expected an operand after ','");
    let size: OperandSizeKeyword | undefined;
    let strict = false;
    let distance: 'short' | 'near' | 'far' | undefined;
    for (;;) {
      const token = this.peek();
      if (token?.kind !== 'ident') break;
      const word = token.text.toLowerCase();
      if (word in SIZE_KEYWORDS) size = SIZE_KEYWORDS[word];
      else if (word === 'strict') strict = true;
      else if (word === 'short' || word === 'near' || word === 'far') distance = word;
      else break;
      this.position++;
    }
    const token = this.peek();
    if (!token) throw new StatementSyntaxError(this.endColumn(), 'expected an operand');
    // segment register then ':' then a memory reference: `fs:[0x124]`
    const register = token.kind === 'ident' ? lookupRegister(token.text) : undefined;
    const segment = segmentNameOf(token);
    if (segment && isOp(this.peek(1), ':') && isOp(this.peek(2), '[')) {
      this.position += 2;
      return this.parseMemory(size, segment, distance === 'far', start.column);
    }
    if (isOp(token, '[')) return this.parseMemory(size, undefined, distance === 'far', start.column);
    if (register && !isOp(this.peek(1), ':')) {
      this.position++;
      if (size !== undefined && register.class === 'gpr' && size !== register.size * 8) {
        throw new StatementSyntaxError(start.column, `size keyword does not match register '${token.text}'`);
      }
      return { kind: 'reg', name: token.text.toLowerCase(), column: token.column };
    }
    const expression = this.expression();
    if (isOp(this.peek(), ':')) {
      this.position++;
      const offset = this.expression();
      return size === undefined ? { kind: 'far', segment: expression, offset, column: start.column } : { kind: 'far', segment: expression, offset, size, column: start.column };
    }
    const operand: OperandSyntax = { kind: 'imm', expression, column: start.column };
    if (size !== undefined) operand.size = size;
    if (strict) operand.strict = true;
    if (distance) operand.distance = distance;
    return operand;
  }

  private parseMemory(size: OperandSizeKeyword | undefined, segment: SegmentName | undefined, far: boolean, column: number): OperandSyntax {
    const open = this.peek()!;
    const closing = this.findClosingBracket();
    if (closing < 0) throw new StatementSyntaxError(open.column, "unbalanced brackets: '[' is never closed");
    this.position++;
    let displacementSize: 8 | 16 | 32 | undefined;
    let noSplit = false;
    let addressSize: 16 | 32 | undefined;
    for (;;) {
      const token = this.peek();
      const word = token?.kind === 'ident' ? token.text.toLowerCase() : undefined;
      if (word === 'byte') displacementSize = 8;
      else if (word === 'word') displacementSize = 16;
      else if (word === 'dword') displacementSize = 32;
      else if (word === 'nosplit') noSplit = true;
      else if (word === 'a16') addressSize = 16;
      else if (word === 'a32') addressSize = 32;
      else if (word === 'abs' || word === 'rel') { /* 64-bit addressing hints: no meaning in 32-bit code */ }
      else if (segmentNameOf(token) && isOp(this.peek(1), ':')) {
        segment = segmentNameOf(token);
        this.position++;
      } else break;
      this.position++;
    }
    if (this.position >= closing) throw new StatementSyntaxError(open.column, 'empty memory reference');
    const parsed = parseExpression(this.tokens.slice(0, closing), this.position, this.qualify, true);
    if (!parsed.ok) throw new StatementSyntaxError(parsed.error.column, parsed.error.message);
    if (parsed.next < closing) {
      const stray = this.tokens[parsed.next];
      throw new StatementSyntaxError(stray.column, `unexpected '${stray.text}' inside a memory reference`);
    }
    this.position = closing + 1;
    const operand: OperandSyntax = { kind: 'mem', expression: parsed.expression, column };
    if (size !== undefined) operand.size = size;
    if (segment) operand.segment = segment;
    if (displacementSize) operand.displacementSize = displacementSize;
    if (noSplit) operand.noSplit = true;
    if (far) operand.far = true;
    if (addressSize) operand.addressSize = addressSize;
    return operand;
  }

  private findClosingBracket(): number {
    for (let index = this.position + 1; index < this.tokens.length; index++) {
      if (isOp(this.tokens[index], ']')) return index;
      if (isOp(this.tokens[index], '[')) return -1;
    }
    return -1;
  }
}
