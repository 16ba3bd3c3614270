// The assembler: preprocess, parse every line once, then run passes until every label's address is
// stable, and a last pass (the encoder told `final`) that produces exactly what `nasm -f bin` writes.
// The pass that finds the addresses stable stands for that last pass when nothing in it could have
// come out differently there (no unknown symbol, no value out of range, no error).
import * as fs from 'fs';
import { AssemblyPass, MAX_IMAGE_BYTES, type ParsedLine, type PassInputs, type PassKind, type PassResult } from './assembly-pass';
import { DiagnosticSink, type Diagnostic, type SourceLocation } from './diagnostics';
import { EncodingMemo } from './encoding-memo';
import { referencedSymbols, type Expression, type SymbolValue } from './expression';
import { LineTable } from './line-table';
import { formatListing } from './listing';
import { PassRecords } from './pass-records';
import { preprocess, type PreprocessedLine } from './preprocessor';
import { computeLayout, effectiveAlignment, orderSections, sameLayout, type Layout } from './section-layout';
import { parseStatement } from './statement';

export interface AssembleInput {
  fileName: string;
  /** The entry file's text; read from disk (or through readFile) when absent. */
  source?: string;
  /** Reads an %include'd file (and the entry file when `source` is absent); undefined when it does not exist. */
  readFile?: (filePath: string) => string | undefined;
  includePaths?: string[];
  /** Values of imported names, treated as `name equ value`. */
  predefined?: Record<string, number>;
  /** Warn about externs with no predefined value (default true; the linker reports those itself). */
  warnUnlinkedExterns?: boolean;
}

export interface AssembledSection {
  name: string;
  address: number;
  size: number;
  /** The section's contents (zeros for nobits sections such as .bss, which are not in the image). */
  bytes: Uint8Array;
  nobits: boolean;
  align: number;
}

export interface AssembledSymbol {
  name: string;
  address: number;
  /** Bytes up to the next symbol in the same section, or to the section's end. */
  size: number;
  section: string;
  global: boolean;
  /** A `.local` label (its name includes the owning label: `KiFastCallEntry.copy`). */
  local: boolean;
  file: string;
  line: number;
}

export interface SymbolReference {
  name: string;
  file: string;
  line: number;
  column: number;
}

export interface AssemblyResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  /** Exactly the bytes `nasm -f bin` writes: from `origin` to the end of the last initialised section. */
  image: Uint8Array;
  origin: number;
  sections: AssembledSection[];
  symbols: AssembledSymbol[];
  /** equ constants (not addresses) by name. */
  constants: Record<string, number>;
  externs: string[];
  globals: string[];
  /** Where each `extern` name was declared (for diagnostics about imports). */
  externDeclarations: SymbolReference[];
  globalDeclarations: SymbolReference[];
  lines: LineTable;
  listing: string;
}

/** Bounds that keep bad input from hanging the assembler or exhausting memory. */
export const MAX_PASSES = 20;
export { MAX_IMAGE_BYTES, MAX_TIMES_COUNT } from './assembly-pass';
export function assemble(input: AssembleInput): AssemblyResult {
  const sink = new DiagnosticSink();
  try {
    return new Assembly(input, sink).run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    sink.error({ file: input.fileName, line: 1, column: 1 }, `internal assembler error: ${message}`);
    return emptyResult(sink.diagnostics);
  }
}

function emptyResult(diagnostics: Diagnostic[]): AssemblyResult {
  return {
    ok: false, diagnostics, image: new Uint8Array(0), origin: 0, sections: [], symbols: [], constants: {}, externs: [], globals: [],
    externDeclarations: [], globalDeclarations: [], lines: new LineTable([]), listing: '',
  };
}

function defaultReadFile(filePath: string): string | undefined {
  try {
    return fs.readFileSync(filePath, 'utf8');
  } catch {
    return undefined;
  }
}

class Assembly implements PassInputs {
  private readonly parsed: ParsedLine[] = [];
  private openStruc: (SourceLocation & { name: string }) | undefined;
  private readonly externDeclarations: SymbolReference[] = [];
  private readonly globalDeclarations: SymbolReference[] = [];
  private readonly predefined = new Map<string, number>();
  private preprocessed: PreprocessedLine[] = [];
  private encodingMemo = new EncodingMemo(0);

  constructor(private readonly input: AssembleInput, private readonly sink: DiagnosticSink) {
    for (const [name, value] of Object.entries(input.predefined ?? {})) this.predefined.set(name, value);
  }

  run(): AssemblyResult {
    const readFile = this.input.readFile ?? defaultReadFile;
    const source = this.input.source ?? readFile(this.input.fileName);
    if (source === undefined) {
      this.sink.error({ file: this.input.fileName, line: 1, column: 1 }, `cannot read '${this.input.fileName}'`);
      return emptyResult(this.sink.diagnostics);
    }
    this.preprocessed = preprocess({
      fileName: this.input.fileName, source, readFile, includePaths: this.input.includePaths ?? [], sink: this.sink,
    });
    this.parseLines();
    this.encodingMemo = new EncodingMemo(this.parsed.length);
    this.checkCircularEquates();
    const pass = this.runPasses();
    return this.buildResult(pass);
  }

  private locate(line: PreprocessedLine, column: number): SourceLocation {
    return { file: line.file, line: line.line, column };
  }

  private parseLines(): void {
    const scope = { current: '' };
    const definitions = new Map<string, SourceLocation>();
    for (const line of this.preprocessed) {
      if (line.tokens.length === 0) {
        this.parsed.push({ line });
        continue;
      }
      const outcome = parseStatement(line.tokens, scope);
      if (!outcome.ok) {
        this.sink.error(this.locate(line, outcome.error.column), outcome.error.message);
        this.parsed.push({ line });
        continue;
      }
      const statement = outcome.statement;
      this.parsed.push({ line, statement });
      if (statement.label) {
        const here = this.locate(line, statement.label.column);
        const earlier = definitions.get(statement.label.name);
        if (earlier) {
          this.sink.error(here, `label '${statement.label.written}' is already defined at ${earlier.file}:${earlier.line}`);
        } else {
          definitions.set(statement.label.name, here);
        }
      }
      const body = statement.body;
      if (body.kind === 'struc') this.openStruc = { name: body.name, ...this.locate(line, body.column) };
      if (body.kind === 'endstruc') this.openStruc = undefined;
      if (body.kind === 'struc' || body.kind === 'endstruc') {
        const name = body.kind === 'struc' ? body.name : `${body.name}_size`;
        const here = this.locate(line, body.column);
        const earlier = definitions.get(name);
        if (earlier) this.sink.error(here, `'${name}' is already defined at ${earlier.file}:${earlier.line}`);
        else definitions.set(name, here);
      }
      if (body.kind === 'extern' || body.kind === 'global') {
        for (const declared of body.names) {
          const reference = { name: declared.name, ...this.locate(line, declared.column) };
          (body.kind === 'extern' ? this.externDeclarations : this.globalDeclarations).push(reference);
        }
      }
    }
    if (this.openStruc) this.sink.error(this.openStruc, `struc ${this.openStruc.name} without a matching endstruc`);
    for (const declaration of this.externDeclarations) {
      const definedAt = definitions.get(declaration.name);
      if (definedAt) {
        this.sink.error(declaration, `'${declaration.name}' is declared extern but also defined at ${definedAt.file}:${definedAt.line}`);
      }
    }
    for (const declaration of this.input.warnUnlinkedExterns === false ? [] : this.externDeclarations) {
      if (!this.predefined.has(declaration.name) && !definitions.has(declaration.name)) {
        this.sink.warning(declaration, `extern '${declaration.name}' has no value here (link the module to resolve it); its address is taken as 0`);
      }
    }
    for (const declaration of this.globalDeclarations) {
      if (!definitions.has(declaration.name) && !this.predefined.has(declaration.name)) {
        this.sink.error(declaration, `global '${declaration.name}' is never defined in this module`);
      }
    }
  }

  /** `a equ b` / `b equ a` can never get a value: say so instead of reporting two undefined symbols. */
  private checkCircularEquates(): void {
    const equates = new Map<string, { expression: Expression; line: PreprocessedLine; column: number }>();
    for (const { line, statement } of this.parsed) {
      if (statement?.label && statement.body.kind === 'equ') {
        equates.set(statement.label.name, { expression: statement.body.expression, line, column: statement.label.column });
      }
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const reported = new Set<string>();
    const visit = (name: string, chain: string[]): void => {
      const equate = equates.get(name);
      if (!equate) return;
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        const cycle = [...chain.slice(chain.indexOf(name)), name];
        if (!reported.has(name)) {
          for (const member of cycle) reported.add(member);
          this.sink.error(this.locate(equate.line, equate.column), `circular definition: ${cycle.join(' -> ')}`);
        }
        return;
      }
      state.set(name, 'visiting');
      for (const reference of referencedSymbols(equate.expression)) visit(reference.name, [...chain, name]);
      state.set(name, 'done');
    };
    for (const name of equates.keys()) visit(name, []);
    this.circularNames = reported;
  }

  private circularNames = new Set<string>();
  get encodings(): EncodingMemo { return this.encodingMemo; }

  private runPasses(): PassResult {
    let layout: Layout = new Map();
    let values = new Map<string, SymbolValue>();
    let settled = false;
    for (let passNumber = 1; passNumber <= MAX_PASSES; passNumber++) {
      // the first pass cannot be the last (nothing to compare with): it only finds sizes
      const pass = this.runPass(passNumber === 1 ? 'sizing' : 'trial', layout, values);
      const nextLayout = computeLayout(pass.sections, pass.origin);
      const nextValues = symbolValues(pass, nextLayout);
      const stable = passNumber > 1 && sameLayout(layout, nextLayout) && sameValues(values, nextValues);
      layout = nextLayout;
      values = nextValues;
      if (stable) {
        settled = true;
        // given the settled addresses, a final pass would do exactly what this one did
        if (!pass.differsFromFinal) {
          for (const diagnostic of pass.diagnostics.diagnostics) this.sink.report(diagnostic, diagnostic.message, diagnostic.severity);
          return pass;
        }
        break;
      }
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const finalPass = this.runPass('final', layout, values);
      const finalLayout = computeLayout(finalPass.sections, finalPass.origin);
      const finalValues = symbolValues(finalPass, finalLayout);
      if (sameLayout(layout, finalLayout) && sameValues(values, finalValues)) {
        if (!settled) this.sink.error({ file: this.input.fileName, line: 1, column: 1 }, `code sizes do not settle after ${MAX_PASSES} passes`);
        for (const diagnostic of finalPass.diagnostics.diagnostics) this.sink.report(diagnostic, diagnostic.message, diagnostic.severity);
        return finalPass;
      }
      layout = finalLayout;
      values = finalValues;
      if (attempt === 2) {
        this.sink.error({ file: this.input.fileName, line: 1, column: 1 }, `code sizes do not settle after ${MAX_PASSES} passes`);
        for (const diagnostic of finalPass.diagnostics.diagnostics) this.sink.report(diagnostic, diagnostic.message, diagnostic.severity);
        return finalPass;
      }
    }
    throw new Error('unreachable');
  }

  private runPass(kind: PassKind, layout: Layout, previousValues: Map<string, SymbolValue>): PassResult {
    return new AssemblyPass(this, kind, layout, previousValues).run();
  }

  // accessors for Pass
  get lines(): readonly ParsedLine[] { return this.parsed; }
  get predefinedValues(): ReadonlyMap<string, number> { return this.predefined; }
  get externNames(): ReadonlySet<string> {
    this.externNameSet ??= new Set(this.externDeclarations.map((declaration) => declaration.name));
    return this.externNameSet;
  }

  private externNameSet: Set<string> | undefined;
  get circular(): ReadonlySet<string> { return this.circularNames; }

  private buildResult(pass: PassResult): AssemblyResult {
    const layout = computeLayout(pass.sections, pass.origin);
    const sections: AssembledSection[] = orderSections(pass.sections).map((section) => ({
      name: section.name,
      address: layout.get(section.name) ?? pass.origin,
      size: section.size,
      bytes: section.nobits ? new Uint8Array(section.size) : section.bytes.toUint8Array(),
      nobits: section.nobits,
      align: effectiveAlignment(section, section.name === '.text'),
    }));
    const progbits = sections.filter((section) => !section.nobits);
    let end = pass.origin;
    for (const section of progbits) if (section.size > 0) end = Math.max(end, section.address + section.size);
    let image = new Uint8Array(0);
    if (end - pass.origin > MAX_IMAGE_BYTES) {
      this.sink.error({ file: this.input.fileName, line: 1, column: 1 }, `the image would be ${end - pass.origin} bytes, more than the ${MAX_IMAGE_BYTES} allowed`);
    } else {
      image = new Uint8Array(Math.max(0, end - pass.origin));
      for (const section of progbits) if (section.size > 0) image.set(section.bytes, section.address - pass.origin);
    }
    const globals = new Set(this.globalDeclarations.map((declaration) => declaration.name));
    const symbols = buildSymbols(pass, layout, sections, globals, this.parsed);
    const constants: Record<string, number> = {};
    for (const [name, value] of pass.constants) if (!value.relocatable) constants[name] = Number(BigInt.asIntN(64, value.value));
    // the pass kept is a trial or final one, which keep records
    const records = pass.records ?? new PassRecords(0);
    const lines = new LineTable(records.lineEntries(this.parsed));
    const preprocessed = this.preprocessed;
    // formatted on first read: a launch never shows it, `ntsyscall asm --listing` does
    let listing: string | undefined;
    const diagnostics = sortDiagnostics(this.sink.diagnostics);
    return {
      ok: !diagnostics.some((diagnostic) => diagnostic.severity === 'error'),
      diagnostics,
      image,
      origin: pass.origin,
      sections,
      symbols,
      constants,
      externs: [...new Set(this.externDeclarations.map((declaration) => declaration.name))],
      globals: [...globals],
      externDeclarations: [...this.externDeclarations],
      globalDeclarations: [...this.globalDeclarations],
      lines,
      get listing(): string {
        listing ??= formatListing(preprocessed, records.listing());
        return listing;
      },
    };
  }
}

function symbolValues(pass: PassResult, layout: Layout): Map<string, SymbolValue> {
  const values = new Map<string, SymbolValue>();
  for (const [name, label] of pass.labels) {
    values.set(name, { value: BigInt((layout.get(label.section) ?? 0) + label.offset), relocatable: true });
  }
  for (const [name, value] of pass.constants) values.set(name, value);
  return values;
}

function sameValues(left: Map<string, SymbolValue>, right: Map<string, SymbolValue>): boolean {
  if (left.size !== right.size) return false;
  for (const [name, value] of left) {
    const other = right.get(name);
    if (!other || other.value !== value.value || other.relocatable !== value.relocatable) return false;
  }
  return true;
}

function buildSymbols(pass: PassResult, layout: Layout, sections: readonly AssembledSection[], globals: ReadonlySet<string>, parsed: readonly ParsedLine[]): AssembledSymbol[] {
  const symbols: AssembledSymbol[] = [];
  for (const [name, label] of pass.labels) {
    if (name.startsWith('..@')) continue;
    const line = parsed[label.lineIndex].line;
    symbols.push({
      name, address: (layout.get(label.section) ?? 0) + label.offset, size: 0, section: label.section, global: globals.has(name),
      local: label.local, file: line.file, line: line.line,
    });
  }
  symbols.sort((left, right) => left.address - right.address || Number(left.local) - Number(right.local));
  // walk each section backwards, remembering where the next symbol (and the next non-local one) starts
  const sectionEnds = new Map(sections.map((section) => [section.name, section.address + section.size]));
  const nextAny = new Map<string, number>();
  const nextNonLocal = new Map<string, number>();
  for (let index = symbols.length - 1; index >= 0;) {
    let groupStart = index;
    while (groupStart > 0 && symbols[groupStart - 1].address === symbols[index].address && symbols[groupStart - 1].section === symbols[index].section) groupStart--;
    for (let member = groupStart; member <= index; member++) {
      const symbol = symbols[member];
      const end = sectionEnds.get(symbol.section) ?? symbol.address;
      const next = symbol.local ? nextAny.get(symbol.section) : nextNonLocal.get(symbol.section);
      symbol.size = (next ?? end) - symbol.address;
    }
    for (let member = groupStart; member <= index; member++) {
      const symbol = symbols[member];
      nextAny.set(symbol.section, symbol.address);
      if (!symbol.local) nextNonLocal.set(symbol.section, symbol.address);
    }
    index = groupStart - 1;
  }
  return symbols;
}

/** Groups diagnostics by file (in order of first appearance), then by line and column. */
function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const diagnostic of diagnostics) if (!fileOrder.has(diagnostic.file)) fileOrder.set(diagnostic.file, fileOrder.size);
  return [...diagnostics].sort((left, right) => (fileOrder.get(left.file)! - fileOrder.get(right.file)!) || left.line - right.line || left.column - right.column);
}
