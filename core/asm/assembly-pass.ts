// One pass over every parsed statement: labels get addresses from the previous pass's layout, sections
// fill with bytes, and on the final pass (or a trial pass that may stand for it) every problem becomes a
// diagnostic.
import { ByteBuffer } from './byte-buffer';
import { DiagnosticSink, type SourceLocation } from './diagnostics';
import { encodeInstruction } from './encoder';
import type { EncodingMemo } from './encoding-memo';
import { evaluateExpression, isConstantExpression, referencedSymbols, type EvaluationContext, type Expression, type SymbolValue, type Value } from './expression';
import type { EncodeRequest, MemoryOperand, ParsedOperand } from './operand';
import { PassRecords } from './pass-records';
import type { PreprocessedLine } from './preprocessor';
import { registerNamed } from './register-lookup';
import type { Layout, SectionBuild } from './section-layout';
import type { DataItem, OperandSyntax, Statement, StatementBody } from './statement';

/** Bounds that keep bad input from exhausting memory. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
export const MAX_TIMES_COUNT = 16 * 1024 * 1024;

export interface ParsedLine {
  line: PreprocessedLine;
  statement?: Statement;
}

export interface PassResult {
  sections: SectionBuild[];
  labels: Map<string, { section: string; offset: number; lineIndex: number; local: boolean }>;
  constants: Map<string, SymbolValue>;
  origin: number;
  diagnostics: DiagnosticSink;
  /** The line table's and the listing's records (not kept by a sizing pass). */
  records: PassRecords | undefined;
  /**
   * A trial pass met something a final pass treats differently (an unknown symbol, a value out of range,
   * an error): with the same addresses the final pass could produce something else.
   */
  differsFromFinal: boolean;
}

/**
 * 'sizing': an earlier pass, for sizes and addresses only. 'trial': an earlier pass that also keeps what a
 * final pass keeps (diagnostics, line table, listing) and notes whether a final pass would have done
 * anything differently; once the addresses it was given turn out settled, and it did not, it stands for
 * the final pass. 'final': every problem is reported, and an unknown symbol is one.
 */
export type PassKind = 'sizing' | 'trial' | 'final';

/** What a pass needs from the whole assembly. */
export interface PassInputs {
  readonly lines: readonly ParsedLine[];
  readonly predefinedValues: ReadonlyMap<string, number>;
  readonly externNames: ReadonlySet<string>;
  /** Names in a circular equ chain (already reported). */
  readonly circular: ReadonlySet<string>;
  /** The encoder's answers in the previous passes, by line. */
  readonly encodings: EncodingMemo;
}

/** One pass over every statement with the addresses the previous pass found. */
export class AssemblyPass {
  private readonly sections = new Map<string, SectionBuild>();
  private current: SectionBuild;
  private bits: 16 | 32 = 16;
  private origin: number | undefined;
  private originLocation: SourceLocation | undefined;
  private readonly labels = new Map<string, { section: string; offset: number; lineIndex: number; local: boolean }>();
  private readonly constants = new Map<string, SymbolValue>();
  private readonly diagnostics = new DiagnosticSink();
  private line!: PreprocessedLine;
  private lineIndex = 0;
  private critical = false;
  /** Inside struc or after `absolute`: addresses counted from `start`, nothing assembled. */
  private absolute: { start: number; size: number } | undefined;
  private sectionBeforeStruc: SectionBuild | undefined;
  /** Inside istruc: the struc's name and where the instance starts in the current section. */
  private instance: { name: string; start: number } | undefined;

  private readonly final: boolean;
  /** Diagnostics, line table and listing are kept (final and trial passes). */
  private readonly recording: boolean;
  private readonly records: PassRecords | undefined;
  private differsFromFinal = false;

  constructor(private readonly assembly: PassInputs, kind: PassKind, private readonly layout: Layout,
    private readonly previousValues: Map<string, SymbolValue>) {
    this.final = kind === 'final';
    this.recording = kind !== 'sizing';
    this.records = this.recording ? new PassRecords(assembly.lines.length) : undefined;
    this.current = this.section('.text');
    this.context = this.evaluationContext(this.final, true);
    this.criticalContext = this.evaluationContext(false, false);
  }

  run(): PassResult {
    const lines = this.assembly.lines;
    for (let index = 0; index < lines.length; index++) {
      const { line, statement } = lines[index];
      if (!statement) continue;
      this.line = line;
      this.lineIndex = index;
      this.execute(statement, index);
    }
    return {
      sections: [...this.sections.values()], labels: this.labels, constants: this.constants, origin: this.origin ?? 0,
      diagnostics: this.diagnostics, records: this.records, differsFromFinal: this.differsFromFinal,
    };
  }

  private section(name: string): SectionBuild {
    let section = this.sections.get(name);
    if (!section) {
      section = { name, nobits: name === '.bss', align: undefined, bytes: new ByteBuffer(), size: 0 };
      this.sections.set(name, section);
    }
    return section;
  }

  private error(column: number, message: string): void {
    if (!this.recording) return;
    this.diagnostics.error({ file: this.line.file, line: this.line.line, column }, message);
    this.differsFromFinal = true;
  }

  private warning(column: number, message: string): void {
    if (this.recording) this.diagnostics.warning({ file: this.line.file, line: this.line.line, column }, message);
  }

  private sectionStart(section: SectionBuild): number {
    return this.layout.get(section.name) ?? this.origin ?? 0;
  }

  private here(): number {
    if (this.absolute) return this.absolute.start + this.absolute.size;
    return this.sectionStart(this.current) + this.current.size;
  }

  /**
   * What expressions see: `$` and `$$` are read when an expression uses them, from where the pass is.
   * `strict`: where a final pass would call an unknown symbol an error (not in counts that must be known early).
   */
  private evaluationContext(final: boolean, strict: boolean): EvaluationContext {
    const lookup = (name: string): SymbolValue | undefined => {
      const found = this.lookup(name);
      if (found === undefined && strict) this.differsFromFinal = true;
      return found;
    };
    const here = (): bigint => BigInt(this.here());
    const sectionStart = (): bigint => BigInt(this.absolute ? this.absolute.start : this.sectionStart(this.current));
    return {
      lookup,
      get here(): bigint { return here(); },
      get sectionStart(): bigint { return sectionStart(); },
      final,
    };
  }

  private readonly context: EvaluationContext;
  /** For counts that must be known where they are written: an unknown symbol is not an error yet. */
  private readonly criticalContext: EvaluationContext;

  private lookup(name: string): SymbolValue | undefined {
    const label = this.labels.get(name);
    if (label) {
      const section = this.sections.get(label.section);
      return { value: BigInt((section ? this.sectionStart(section) : 0) + label.offset), relocatable: true };
    }
    const constant = this.constants.get(name);
    if (constant) return constant;
    // already reported as a circular definition: do not report every use of it again
    if (this.assembly.circular.has(name)) return { value: 0n, relocatable: false };
    // a critical expression (times, resb, align) may not look ahead, as in nasm: that could never settle
    const previous = this.critical ? undefined : this.previousValues.get(name);
    if (previous) return previous;
    const predefined = this.assembly.predefinedValues.get(name);
    if (predefined !== undefined) return { value: BigInt(predefined), relocatable: false };
    // an import not linked yet: an address to come, so encode it as one
    if (this.assembly.externNames.has(name)) return { value: 0n, relocatable: true };
    return undefined;
  }

  private evaluate(expression: Expression): Value | undefined {
    const outcome = evaluateExpression(expression, this.context);
    if (!outcome.ok) {
      this.error(outcome.error.column, outcome.error.message);
      return undefined;
    }
    if (outcome.value.registers && outcome.value.registers.size > 0) {
      this.error(expression.column, 'a register cannot be used here');
      return undefined;
    }
    if (!this.isSimple(outcome.value, expression.column)) return undefined;
    return outcome.value;
  }

  /** nasm's "not simple or relocatable": at most one label address, added or subtracted, may remain. */
  private isSimple(value: Value, column: number): boolean {
    if (Math.abs(value.relocatable) <= 1) return true;
    this.error(column, 'the expression is neither a number nor one label\'s address (label * 2, label + label?)');
    return false;
  }

  /** A count that must be known now (times, resb): forward references are not allowed, as in NASM. */
  private evaluateCount(expression: Expression, what: string, column: number, maximum = MAX_TIMES_COUNT): number | undefined {
    this.critical = true;
    const outcome = evaluateExpression(expression, this.criticalContext);
    this.critical = false;
    if (!outcome.ok) {
      this.error(outcome.error.column, outcome.error.message);
      return undefined;
    }
    const value = outcome.value;
    if (value.registers && value.registers.size > 0) {
      this.error(column, `a register cannot be used in the ${what}`);
      return undefined;
    }
    if (value.unresolved) {
      for (const reference of referencedSymbols(expression)) {
        if (this.labels.has(reference.name) || this.constants.has(reference.name) || this.assembly.predefinedValues.has(reference.name)) continue;
        this.error(reference.column, this.previousValues.has(reference.name)
          ? `'${reference.name}' is defined after this line, but the ${what} must be known where it is written`
          : `symbol '${reference.name}' is not defined`);
        return undefined;
      }
      this.error(column, `the ${what} cannot be computed here`);
      return undefined;
    }
    if (value.value < 0n) {
      this.error(column, `the ${what} is negative (${value.value})`);
      return undefined;
    }
    if (value.value > BigInt(maximum)) {
      this.error(column, `the ${what} ${value.value} is too large (at most ${maximum})`);
      return undefined;
    }
    return Number(value.value);
  }

  private execute(statement: Statement, lineIndex: number): void {
    const body = statement.body;
    if (statement.label) {
      if (body.kind === 'equ') {
        if (this.assembly.circular.has(statement.label.name)) return;
        const value = this.evaluate(body.expression);
        if (value) this.constants.set(statement.label.name, { value: value.value, relocatable: value.relocatable !== 0 });
        else if (!this.assembly.circular.has(statement.label.name)) this.constants.set(statement.label.name, { value: 0n, relocatable: false });
        if (value && !value.unresolved) this.records?.recordEqu(lineIndex, Number(BigInt.asUintN(32, value.value)));
        return;
      }
      if (this.absolute) this.constants.set(statement.label.name, { value: BigInt(this.here()), relocatable: false });
      else this.labels.set(statement.label.name, { section: this.current.name, offset: this.current.size, lineIndex, local: statement.label.local });
    }
    let repeat = 1;
    if (statement.times) {
      const count = this.evaluateCount(statement.times.count, 'times count', statement.times.column);
      repeat = count ?? 0;
    }
    if (this.absolute) {
      this.executeAbsolute(body, repeat);
      return;
    }
    const startAddress = this.here();
    const startSize = this.current.size;
    const produced = this.executeBody(body, repeat);
    if (!produced) return;
    const size = this.current.size - startSize;
    if (this.records) {
      this.records.recordListing(lineIndex, startAddress, produced.bytes, produced.reserved, repeat > 1 ? repeat : undefined);
      if (produced.bytes && size > 0 && (body.kind === 'instruction' || body.kind === 'data' || body.kind === 'align' || body.kind === 'at' || body.kind === 'iend')) {
        this.records.recordLineEntry(lineIndex, size, body.kind === 'instruction' ? 'instruction' : 'data');
      }
    }
  }

  private structureSize(name: string, column: number): number | undefined {
    const size = this.constants.get(`${name}_size`);
    if (!size) {
      this.error(column, `'${name}' is not a struc declared before this line`);
      return undefined;
    }
    return Number(size.value);
  }

  /** Statements inside struc/absolute space: only reservations and layout directives mean something. */
  private executeAbsolute(body: StatementBody, count: number): void {
    const space = this.absolute!;
    switch (body.kind) {
      case 'reserve': {
        const reserved = this.evaluateCount(body.count, 'reservation count', body.column);
        if (reserved !== undefined) space.size += reserved * body.unit * count;
        return;
      }
      case 'align': {
        const alignment = this.evaluateCount(body.alignment, 'alignment', body.column);
        if (alignment === undefined || alignment === 0 || (alignment & (alignment - 1)) !== 0) {
          if (alignment !== undefined) this.error(body.column, `alignment ${alignment} is not a power of two`);
          return;
        }
        space.size += (alignment - (space.size % alignment)) % alignment;
        return;
      }
      case 'endstruc':
        this.constants.set(`${body.name}_size`, { value: BigInt(space.size), relocatable: false });
        this.absolute = undefined;
        if (this.sectionBeforeStruc) this.current = this.sectionBeforeStruc;
        this.sectionBeforeStruc = undefined;
        return;
      case 'section':
        this.absolute = undefined;
        this.executeBody(body, 1);
        return;
      case 'absolute': case 'bits': case 'global': case 'extern': case 'none': case 'equ':
        this.executeBody(body, 1);
        return;
      case 'struc':
        this.error(body.column, 'struc inside struc or absolute space');
        return;
      case 'istruc': case 'at': case 'iend':
        this.error(body.column, `${body.kind} inside struc or absolute space`);
        return;
      case 'data': case 'instruction':
        this.error(body.kind === 'data' ? body.column : body.mnemonicColumn, 'no code or data can be assembled inside struc or absolute space (use resb/resw/resd)');
        return;
      case 'org':
        this.executeBody(body, 1);
        return;
    }
  }

  /** Emits one statement's bytes `repeat` times; returns what the listing shows. */
  private executeBody(body: StatementBody, repeat: number): { bytes?: number[]; reserved?: number } | undefined {
    switch (body.kind) {
      case 'none': case 'global': case 'extern': case 'equ':
        return undefined;
      case 'bits':
        this.bits = body.bits;
        return undefined;
      case 'org': {
        const value = this.evaluate(body.expression);
        if (!value) return undefined;
        if (value.unresolved || value.relocatable !== 0) {
          this.error(body.column, 'org needs a constant address');
          return undefined;
        }
        const origin = Number(BigInt.asUintN(32, value.value));
        if (this.origin !== undefined && this.origin !== origin) {
          this.error(body.column, `org given twice (first ${hex(this.origin)} at ${this.originLocation?.file}:${this.originLocation?.line})`);
          return undefined;
        }
        this.origin = origin;
        this.originLocation = { file: this.line.file, line: this.line.line, column: body.column };
        return undefined;
      }
      case 'istruc':
        if (this.instance) this.error(body.column, `istruc ${body.name} inside istruc ${this.instance.name}: close it with iend first`);
        this.instance = { name: body.name, start: this.current.size };
        return undefined;
      case 'at': case 'iend': {
        if (!this.instance) {
          this.error(body.column, `${body.kind} outside istruc`);
          return undefined;
        }
        const target = body.kind === 'at' ? body.field : undefined;
        const offset = target ? this.evaluateCount(target, 'field offset', body.column) : this.structureSize(this.instance.name, body.column);
        if (offset === undefined) return undefined;
        const padding = offset - (this.current.size - this.instance.start);
        if (padding < 0) {
          this.error(body.column, body.kind === 'at' ? 'fields of an istruc must be given in order, without overlap' : `the istruc data is larger than ${this.instance.name}_size`);
          return undefined;
        }
        const bytes: number[] = new Array<number>(padding).fill(0);
        if (body.kind === 'at' && body.data) bytes.push(...this.dataBytes(body.data.items, body.data.unit));
        if (body.kind === 'iend') this.instance = undefined;
        if (this.current.nobits) return this.reserve(bytes.length);
        return this.emit(bytes, 1);
      }
      case 'struc':
        this.sectionBeforeStruc = this.current;
        this.absolute = { start: 0, size: 0 };
        this.constants.set(body.name, { value: 0n, relocatable: false });
        return undefined;
      case 'endstruc':
        this.error(body.column, 'endstruc outside a struc');
        return undefined;
      case 'absolute': {
        const start = this.evaluateCount(body.expression, 'absolute address', body.column, 0xffffffff);
        if (start !== undefined) this.absolute = { start, size: 0 };
        return undefined;
      }
      case 'section': {
        const existed = this.sections.has(body.name);
        this.current = this.section(body.name);
        if (!existed || body.nobits !== undefined) this.current.nobits = body.nobits ?? this.current.nobits;
        if (body.align !== undefined) this.current.align = body.align;
        return undefined;
      }
      case 'align': {
        const alignment = this.evaluateCount(body.alignment, 'alignment', body.column);
        if (alignment === undefined) return undefined;
        if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
          this.error(body.column, `alignment ${alignment} is not a power of two`);
          return undefined;
        }
        // nasm's align macro also raises the section's own alignment (sectalign)
        this.current.align = Math.max(this.current.align ?? 0, alignment);
        const padding = (alignment - (this.current.size % alignment)) % alignment;
        if (body.fill === 'reserve' || this.current.nobits) return this.reserve(padding);
        const fill = body.fill === 'nop' ? 0x90 : 0;
        this.current.bytes.fill(fill, padding);
        this.current.size += padding;
        return { bytes: new Array<number>(padding).fill(fill) };
      }
      case 'reserve': {
        const count = this.evaluateCount(body.count, `${['resb', 'resw', '', 'resd', '', '', '', 'resq'][body.unit - 1]} count`, body.column);
        if (count === undefined) return undefined;
        if (!this.current.nobits) this.warning(body.column, `uninitialized space declared in ${this.current.name} section: zeroing`);
        return this.reserve(count * body.unit * repeat);
      }
      case 'data': {
        const bytes = this.dataBytes(body.items, body.unit);
        if (this.current.nobits) {
          this.warning(body.column, `initialised data in the nobits section ${this.current.name} is ignored`);
          return this.reserve(bytes.length * repeat);
        }
        return this.emit(bytes, repeat);
      }
      case 'instruction': {
        const bytes = this.encode(body);
        if (!bytes) return undefined;
        if (this.current.nobits) {
          this.warning(body.mnemonicColumn, `code in the nobits section ${this.current.name} is ignored`);
          return this.reserve(bytes.length * repeat);
        }
        return this.emit(bytes, repeat);
      }
    }
  }

  private reserve(count: number): { reserved: number } | undefined {
    if (this.current.size + count > MAX_IMAGE_BYTES) {
      this.error(1, `section ${this.current.name} would grow beyond ${MAX_IMAGE_BYTES} bytes`);
      return undefined;
    }
    if (!this.current.nobits) this.current.bytes.fill(0, count);
    this.current.size += count;
    return { reserved: count };
  }

  private emit(bytes: number[], repeat: number): { bytes: number[] } | undefined {
    if (this.current.size + bytes.length * repeat > MAX_IMAGE_BYTES) {
      this.error(1, `section ${this.current.name} would grow beyond ${MAX_IMAGE_BYTES} bytes`);
      return undefined;
    }
    for (let repetition = 0; repetition < repeat; repetition++) this.current.bytes.append(bytes);
    this.current.size += bytes.length * repeat;
    return { bytes };
  }

  private dataBytes(items: readonly DataItem[], unit: 1 | 2 | 4 | 8): number[] {
    const bytes: number[] = [];
    for (const item of items) {
      if (item.kind === 'string') {
        const text = item.bytes;
        bytes.push(...text);
        // strings in dw/dd are padded with zeros to a whole number of units
        const remainder = text.length % unit;
        if (remainder !== 0) for (let index = remainder; index < unit; index++) bytes.push(0);
        continue;
      }
      const value = this.evaluate(item.expression);
      const number = value?.value ?? 0n;
      if (value && unit < 8) {
        const limit = (1n << BigInt(unit * 8)) - 1n;
        if (number > limit || number < -limit) this.warning(item.column, `${['byte', 'word', '', 'dword'][unit - 1]} data exceeds bounds`);
      }
      const truncated = BigInt.asUintN(unit * 8, number);
      for (let index = 0; index < unit; index++) bytes.push(Number((truncated >> BigInt(index * 8)) & 0xffn));
    }
    return bytes;
  }

  private encode(body: Extract<StatementBody, { kind: 'instruction' }>): number[] | undefined {
    const encodings = this.assembly.encodings;
    let operands = encodings.invariantOperands(this.lineIndex);
    if (operands === undefined) {
      const evaluated: ParsedOperand[] = [];
      for (const syntax of body.operands) {
        const operand = this.operand(syntax);
        if (!operand) return this.final ? undefined : [];
        evaluated.push(operand);
      }
      // operands with no symbol, `$` or `$$` in them come out the same in every pass: evaluate them once
      if (body.operands.every(isPassInvariant)) encodings.rememberInvariantOperands(this.lineIndex, evaluated);
      operands = evaluated;
    }
    const request: EncodeRequest = {
      mnemonic: body.mnemonic, prefixes: body.prefixes, operands, bits: this.bits, address: this.here() >>> 0, final: this.final,
    };
    let result = this.assembly.encodings.recall(this.lineIndex, request);
    if (result === undefined) {
      result = encodeInstruction(request);
      this.assembly.encodings.remember(this.lineIndex, request, result);
    }
    if (result.ok && result.provisional) this.differsFromFinal = true;
    if (!result.ok) {
      const column = result.operandIndex !== undefined && body.operands[result.operandIndex] ? body.operands[result.operandIndex].column : body.mnemonicColumn;
      this.error(column, result.message);
      return this.final ? undefined : [];
    }
    return result.bytes;
  }

  private operand(syntax: OperandSyntax): ParsedOperand | undefined {
    switch (syntax.kind) {
      case 'reg':
        return { kind: 'reg', name: syntax.name };
      case 'imm': {
        const value = this.evaluate(syntax.expression);
        if (!value) return undefined;
        const operand: ParsedOperand = { kind: 'imm', value: Number(value.value) };
        if (syntax.size !== undefined) operand.size = syntax.size;
        if (syntax.strict) operand.strict = true;
        if (syntax.distance) operand.distance = syntax.distance;
        // nasm is optimistic about a value it does not know yet: no address, so the short forms may be tried
        if (value.unresolved) operand.unresolved = true;
        else if (value.relocatable !== 0) operand.isAddress = true;
        return operand;
      }
      case 'far': {
        const segment = this.evaluate(syntax.segment);
        const offset = this.evaluate(syntax.offset);
        if (!segment || !offset) return undefined;
        const operand: ParsedOperand = { kind: 'far', segment: Number(BigInt.asUintN(32, segment.value)), offset: Number(BigInt.asUintN(32, offset.value)) };
        if (syntax.size !== undefined) operand.size = syntax.size;
        if (segment.unresolved || offset.unresolved) operand.unresolved = true;
        return operand;
      }
      case 'mem':
        return this.memoryOperand(syntax);
    }
  }

  private memoryOperand(syntax: Extract<OperandSyntax, { kind: 'mem' }>): MemoryOperand | undefined {
    const outcome = evaluateExpression(syntax.expression, this.context);
    if (!outcome.ok) {
      this.error(outcome.error.column, outcome.error.message);
      return undefined;
    }
    const value = outcome.value;
    if (!this.isSimple(value, syntax.column)) return undefined;
    const registers = [...(value.registers ?? new Map<string, bigint>()).entries()];
    const operand: MemoryOperand = { kind: 'mem', displacement: Number(BigInt.asIntN(32, value.value)) };
    let addressSize: 16 | 32 | undefined;
    for (const [name] of registers) {
      const register = registerNamed(name);
      const size = register?.class === 'gpr' && register.size !== 1 ? (register.size === 2 ? 16 : 32) : undefined;
      if (size === undefined) {
        this.error(syntax.column, `register '${name}' cannot be used in a memory address`);
        return undefined;
      }
      if (addressSize !== undefined && addressSize !== size) {
        this.error(syntax.column, 'a memory address cannot mix 16-bit and 32-bit registers');
        return undefined;
      }
      addressSize = size;
    }
    // `ebx*1` is an index when something else could be the base, or when nosplit asks for it (nasm's rule)
    const writtenScaled = value.scaledRegisters ?? new Set<string>();
    const plainCount = registers.filter(([name, coefficient]) => coefficient === 1n && !writtenScaled.has(name)).length;
    const indexByHint = (name: string, coefficient: bigint): boolean => coefficient === 1n && writtenScaled.has(name) && (plainCount > 0 || syntax.noSplit === true);
    const plain = registers.filter(([name, coefficient]) => coefficient === 1n && !indexByHint(name, coefficient)).map(([name]) => name);
    const scaled = registers.filter(([name, coefficient]) => coefficient !== 1n || indexByHint(name, coefficient));
    let base: string | undefined;
    let index: string | undefined;
    let scale: 1 | 2 | 4 | 8 = 1;
    if (scaled.length > 1 || plain.length > 2 || (scaled.length === 1 && plain.length > 1)) {
      this.error(syntax.column, 'invalid memory address: too many registers');
      return undefined;
    }
    if (scaled.length === 1) {
      const [name, coefficient] = scaled[0];
      if (coefficient === 1n || coefficient === 2n || coefficient === 4n || coefficient === 8n) {
        index = name;
        scale = Number(coefficient) as 1 | 2 | 4 | 8;
        base = plain[0];
      } else if ((coefficient === 3n || coefficient === 5n || coefficient === 9n) && plain.length === 0) {
        // eax*5 is eax + eax*4
        base = name;
        index = name;
        scale = Number(coefficient - 1n) as 2 | 4 | 8;
      } else {
        this.error(syntax.column, `invalid memory address: scale ${coefficient} (use 1, 2, 4 or 8)`);
        return undefined;
      }
    } else {
      base = plain[0];
      index = plain[1];
      // esp cannot be an index: [eax+esp] is encoded as [esp+eax]
      if (index === 'esp') [base, index] = [index, base];
    }
    if (base) operand.base = base;
    if (index) {
      operand.index = index;
      operand.scale = scale;
    }
    if (addressSize ?? syntax.addressSize) operand.addressSize = addressSize ?? syntax.addressSize;
    if (syntax.size !== undefined) operand.size = syntax.size;
    if (syntax.far) operand.far = true;
    if (syntax.segment) operand.segment = syntax.segment;
    if (syntax.displacementSize) operand.displacementSize = syntax.displacementSize;
    else if (value.unresolved && !this.final && (base || index)) {
      // nasm assumes a full-width displacement while a symbol in it is unknown (its first pass), then shrinks it
      operand.displacementSize = (addressSize ?? syntax.addressSize ?? this.bits) === 16 ? 16 : 32;
    }
    if (value.relocatable !== 0 && !value.unresolved) operand.isAddress = true;
    if (syntax.noSplit) operand.noSplit = true;
    if (value.unresolved) operand.unresolved = true;
    return operand;
  }
}

/** The operand's value cannot change from pass to pass: it names no symbol, `$` or `$$`. */
function isPassInvariant(syntax: OperandSyntax): boolean {
  switch (syntax.kind) {
    case 'reg': return true;
    case 'imm': case 'mem': return isConstantExpression(syntax.expression);
    case 'far': return isConstantExpression(syntax.segment) && isConstantExpression(syntax.offset);
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).toUpperCase()}`;
}
