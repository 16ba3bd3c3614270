// NASM's preprocessor subset: %define/%idefine/%xdefine/%undef/%assign, %include, %macro/%endmacro with
// %0..%9 and %%local labels, %rep/%endrep, %if/%ifdef/%ifndef/%elif/%else/%endif, %error/%warning.
// Every output line keeps the file:line a person wrote (a macro's lines map to the invoking line).
import * as path from 'path';
import type { DiagnosticSink, SourceLocation } from './diagnostics';
import { evaluateExpression, parseExpression } from './expression';
import { tokenizeLine, type Token } from './lexer';

/** Bounds that keep bad input from hanging the assembler. */
export const MAX_INCLUDE_DEPTH = 32;
export const MAX_MACRO_DEPTH = 64;
export const MAX_EXPANDED_LINES = 200_000;
export const MAX_DEFINE_EXPANSIONS = 100_000;

export interface PreprocessedLine {
  /** Tokens after %define expansion; empty for lines the preprocessor consumed (shown in listings only). */
  tokens: Token[];
  /** Where the line comes from for diagnostics and line tables (the invoking line for macro output). */
  file: string;
  line: number;
  /** The text shown in a listing, and the line number and nesting level shown beside it. */
  listingText: string;
  listingLine: number;
  listingDepth: number;
  /** Produced by a macro expansion. */
  fromMacro: boolean;
}

export interface PreprocessOptions {
  fileName: string;
  source: string;
  readFile: (filePath: string) => string | undefined;
  includePaths: readonly string[];
  sink: DiagnosticSink;
}

interface SingleLineMacro {
  parameters?: string[];
  body: Token[];
}

interface MultiLineMacro {
  name: string;
  minimumParameters: number;
  maximumParameters: number;
  /** The last parameter takes the rest of the line, commas included (`%macro name 1+`). */
  greedy: boolean;
  /** Default values of the optional parameters, in order. */
  defaults?: Token[][];
  body: RawLine[];
}

interface RawLine {
  tokens: Token[];
  text: string;
  file: string;
  line: number;
  listingLine: number;
  listingDepth: number;
  fromMacro: boolean;
}

interface ConditionalFrame {
  /** Lines in the current branch are assembled. */
  active: boolean;
  /** Some branch of this %if was already taken. */
  taken: boolean;
  /** The enclosing branch is active. */
  parentActive: boolean;
  location: SourceLocation;
  sawElse: boolean;
}

/** A block being recorded (%macro ... %endmacro or %rep ... %endrep) instead of assembled. */
interface Recording {
  kind: 'macro' | 'rep';
  nesting: number;
  lines: RawLine[];
  location: SourceLocation;
  macro?: MultiLineMacro;
  repeatCount?: number;
}

export function preprocess(options: PreprocessOptions): PreprocessedLine[] {
  const preprocessor = new Preprocessor(options);
  preprocessor.run();
  return preprocessor.output;
}

class Preprocessor {
  readonly output: PreprocessedLine[] = [];
  private readonly defines = new Map<string, SingleLineMacro>();
  private readonly caseInsensitiveDefines = new Map<string, SingleLineMacro>();
  private readonly macros = new Map<string, MultiLineMacro>();
  private readonly caseInsensitiveMacros = new Map<string, MultiLineMacro>();
  private readonly conditionals: ConditionalFrame[] = [];
  private recording: Recording | undefined;
  private readonly includeStack: string[] = [];
  private uniqueMacroId = 0;
  private expandedLines = 0;
  private defineExpansions = 0;
  private stopped = false;

  constructor(private readonly options: PreprocessOptions) {}

  private get sink(): DiagnosticSink {
    return this.options.sink;
  }

  run(): void {
    this.processFile(this.options.fileName, this.options.source, 0);
    if (this.recording) {
      const what = this.recording.kind === 'macro' ? "%macro without a matching %endmacro" : '%rep without a matching %endrep';
      this.sink.error(this.recording.location, what);
    }
    for (const frame of this.conditionals) this.sink.error(frame.location, '%if without a matching %endif');
  }

  private get active(): boolean {
    return this.conditionals.length === 0 || this.conditionals[this.conditionals.length - 1].active;
  }

  private processFile(fileName: string, source: string, depth: number): void {
    this.includeStack.push(path.resolve(fileName));
    const conditionalDepth = this.conditionals.length;
    const lines = source.split('\n');
    for (let index = 0; index < lines.length && !this.stopped; index++) {
      const written = lines[index];
      const text = written.endsWith('\r') ? written.slice(0, -1) : written;
      const lexed = tokenizeLine(text);
      const raw: RawLine = { tokens: lexed.tokens, text, file: fileName, line: index + 1, listingLine: index + 1, listingDepth: depth, fromMacro: false };
      const willBeAssembled = this.active || this.isConditionalDirective(lexed.tokens);
      if (willBeAssembled) for (const error of lexed.errors) this.sink.error({ file: fileName, line: index + 1, column: error.column }, error.message);
      // a line that does not even tokenize is reported once, not again by the parser
      if (lexed.errors.length > 0 && willBeAssembled && !this.isConditionalDirective(lexed.tokens)) raw.tokens = [];
      this.processLine(raw, 0);
    }
    if (this.conditionals.length > conditionalDepth && depth > 0) {
      for (const frame of this.conditionals.splice(conditionalDepth)) this.sink.error(frame.location, '%if without a matching %endif');
    }
    this.includeStack.pop();
  }

  private isConditionalDirective(tokens: readonly Token[]): boolean {
    const first = tokens[0];
    return first?.kind === 'percent' && /^%(if|elif|else|endif)/i.test(first.text);
  }

  private emit(raw: RawLine, tokens: Token[]): void {
    this.output.push({
      tokens, file: raw.file, line: raw.line, listingText: raw.text, listingLine: raw.listingLine,
      listingDepth: raw.listingDepth, fromMacro: raw.fromMacro,
    });
  }

  private location(raw: RawLine, column: number): SourceLocation {
    return { file: raw.file, line: raw.line, column };
  }

  /** Handles one line: record it, obey a directive, expand a macro, or pass it on. */
  private processLine(raw: RawLine, macroDepth: number): void {
    if (this.stopped) return;
    if (++this.expandedLines > MAX_EXPANDED_LINES) {
      this.sink.error(this.location(raw, 1), `more than ${MAX_EXPANDED_LINES} lines after macro expansion; stopping`);
      this.stopped = true;
      return;
    }
    const tokens = raw.tokens;
    const first = tokens[0];
    const directive = first?.kind === 'percent' ? first.text.toLowerCase() : undefined;

    if (this.recording) {
      this.record(raw, directive);
      return;
    }
    if (directive && this.handleConditional(raw, directive)) {
      this.emit(raw, []);
      return;
    }
    if (!this.active) {
      this.emit(raw, []);
      return;
    }
    if (directive && this.handleDirective(raw, directive, macroDepth)) return;

    // a multi-line macro invocation, possibly after a label (`here: pushm eax, ebx`)
    let macroNameIndex = 0;
    if (first?.kind === 'ident' && tokens[1]?.kind === 'op' && tokens[1].text === ':' && tokens[2]?.kind === 'ident' && this.findMacro(tokens[2].text)) {
      macroNameIndex = 2;
    }
    const nameToken = tokens[macroNameIndex];
    const macro = nameToken?.kind === 'ident' ? this.findMacro(nameToken.text) : undefined;
    if (macro && nameToken) {
      if (macroNameIndex === 2) this.emit(raw, tokens.slice(0, 2));
      else this.emit(raw, []);
      this.invokeMacro(macro, raw, macroNameIndex, macroDepth);
      return;
    }
    this.emit(raw, this.pasteTokens(this.expandDefines(tokens, raw, new Set(), 0), raw));
  }

  private findMacro(name: string): MultiLineMacro | undefined {
    const macro = this.macros.get(name);
    if (macro !== undefined || this.caseInsensitiveMacros.size === 0) return macro;
    return this.caseInsensitiveMacros.get(name.toLowerCase());
  }

  private record(raw: RawLine, directive: string | undefined): void {
    const recording = this.recording!;
    const opens = recording.kind === 'macro' ? ['%macro', '%imacro'] : ['%rep'];
    const closes = recording.kind === 'macro' ? ['%endmacro', '%endm'] : ['%endrep'];
    if (directive && opens.includes(directive)) recording.nesting++;
    if (directive && closes.includes(directive)) {
      if (recording.nesting === 0) {
        this.recording = undefined;
        this.emit(raw, []);
        if (recording.kind === 'macro' && recording.macro) {
          recording.macro.body = recording.lines;
        } else {
          this.replay(recording);
        }
        return;
      }
      recording.nesting--;
    }
    recording.lines.push(raw);
    this.emit(raw, []);
  }

  private replay(recording: Recording): void {
    const count = recording.repeatCount ?? 0;
    for (let repetition = 0; repetition < count && !this.stopped; repetition++) {
      for (const line of recording.lines) {
        if (line.tokens[0]?.kind === 'percent' && line.tokens[0].text.toLowerCase() === '%exitrep') return;
        this.processLine({ ...line, listingDepth: line.listingDepth + 1 }, 0);
      }
    }
  }

  private handleConditional(raw: RawLine, directive: string): boolean {
    const tokens = raw.tokens;
    const here = this.location(raw, tokens[0].column);
    const top = this.conditionals[this.conditionals.length - 1];
    switch (directive) {
      case '%if': case '%ifdef': case '%ifndef': case '%ifmacro': case '%ifnmacro': case '%ifidn': case '%ifnidn': case '%ifidni': case '%ifnidni': {
        const parentActive = this.active;
        const value = parentActive ? this.evaluateCondition(raw, directive) : false;
        this.conditionals.push({ active: parentActive && value, taken: value, parentActive, location: here, sawElse: false });
        return true;
      }
      case '%elif': case '%elifdef': case '%elifndef': {
        if (!top) { this.sink.error(here, `${directive} without a matching %if`); return true; }
        if (top.sawElse) this.sink.error(here, `${directive} after %else`);
        if (top.taken || !top.parentActive) {
          top.active = false;
        } else {
          const value = this.evaluateCondition(raw, directive.replace('%elif', '%if'));
          top.active = value;
          top.taken = value;
        }
        return true;
      }
      case '%else':
        if (!top) { this.sink.error(here, '%else without a matching %if'); return true; }
        if (top.sawElse) this.sink.error(here, '%else given twice for one %if');
        top.sawElse = true;
        top.active = top.parentActive && !top.taken;
        top.taken = true;
        return true;
      case '%endif':
        if (!top) { this.sink.error(here, '%endif without a matching %if'); return true; }
        this.conditionals.pop();
        return true;
      default:
        return false;
    }
  }

  private evaluateCondition(raw: RawLine, directive: string): boolean {
    const tokens = raw.tokens;
    const directiveToken = tokens[0];
    const rest = tokens.slice(1);
    const endColumn = directiveToken.column + directiveToken.text.length;
    if (directive === '%ifdef' || directive === '%ifndef') {
      const name = rest[0];
      if (!name || name.kind !== 'ident') {
        this.sink.error(this.location(raw, name?.column ?? endColumn), `${directive} needs a macro name`);
        return false;
      }
      const defined = this.defines.has(name.text) || this.caseInsensitiveDefines.has(name.text.toLowerCase());
      return directive === '%ifdef' ? defined : !defined;
    }
    if (directive === '%ifmacro' || directive === '%ifnmacro') {
      const name = rest[0];
      const defined = name?.kind === 'ident' && this.findMacro(name.text) !== undefined;
      return directive === '%ifmacro' ? defined : !defined;
    }
    if (directive.startsWith('%ifidn') || directive.startsWith('%ifnidn')) {
      const expanded = this.expandDefines(rest, raw, new Set(), 0);
      const comma = expanded.findIndex((token) => token.kind === 'op' && token.text === ',');
      if (comma < 0) {
        this.sink.error(this.location(raw, directiveToken.column), `${directive} needs two texts separated by a comma`);
        return false;
      }
      const left = expanded.slice(0, comma).map((token) => token.text).join(' ');
      const right = expanded.slice(comma + 1).map((token) => token.text).join(' ');
      const insensitive = directive.endsWith('i');
      const same = insensitive ? left.toLowerCase() === right.toLowerCase() : left === right;
      return directive.startsWith('%ifn') ? !same : same;
    }
    const expanded = this.expandDefines(rest, raw, new Set(), 0);
    if (expanded.length === 0) {
      this.sink.error(this.location(raw, endColumn), `${directive} needs an expression`);
      return false;
    }
    const value = this.evaluateNumber(expanded, raw);
    return value !== undefined && value !== 0n;
  }

  /** Evaluates a preprocessor expression: numbers and macros only, no labels. */
  private evaluateNumber(tokens: readonly Token[], raw: RawLine): bigint | undefined {
    const parsed = parseExpression(tokens, 0, (name) => name);
    if (!parsed.ok) {
      this.sink.error(this.location(raw, parsed.error.column), parsed.error.message);
      return undefined;
    }
    if (parsed.next < tokens.length) {
      this.sink.error(this.location(raw, tokens[parsed.next].column), `unexpected '${tokens[parsed.next].text}' after the expression`);
      return undefined;
    }
    const evaluated = evaluateExpression(parsed.expression, { lookup: () => undefined, final: true });
    if (!evaluated.ok) {
      this.sink.error(this.location(raw, evaluated.error.column), `${evaluated.error.message} (preprocessor expressions see only numbers and %define'd names)`);
      return undefined;
    }
    return evaluated.value.value;
  }

  private handleDirective(raw: RawLine, directive: string, macroDepth: number): boolean {
    const tokens = raw.tokens;
    const here = this.location(raw, tokens[0].column);
    const afterDirective = tokens[0].column + tokens[0].text.length;
    switch (directive) {
      case '%define': case '%idefine': case '%xdefine': case '%xidefine': {
        this.emit(raw, []);
        const name = tokens[1];
        if (!name || name.kind !== 'ident') {
          this.sink.error(this.location(raw, name?.column ?? afterDirective), `${directive} needs a macro name`);
          return true;
        }
        let bodyStart = 2;
        let parameters: string[] | undefined;
        // `NAME(` with no space before the parenthesis: a macro with parameters
        const open = tokens[2];
        if (open?.kind === 'op' && open.text === '(' && open.column === name.column + name.text.length) {
          parameters = [];
          let index = 3;
          while (index < tokens.length && !(tokens[index].kind === 'op' && tokens[index].text === ')')) {
            if (tokens[index].kind === 'ident') parameters.push(tokens[index].text);
            else if (!(tokens[index].kind === 'op' && tokens[index].text === ',')) {
              this.sink.error(this.location(raw, tokens[index].column), `bad parameter list in ${directive}`);
              return true;
            }
            index++;
          }
          if (index >= tokens.length) {
            this.sink.error(this.location(raw, open.column), "unbalanced parentheses: '(' is never closed");
            return true;
          }
          bodyStart = index + 1;
        }
        let body = tokens.slice(bodyStart);
        if (directive.startsWith('%x')) body = this.expandDefines(body, raw, new Set(), 0);
        const definition: SingleLineMacro = { parameters, body };
        if (directive === '%idefine' || directive === '%xidefine') this.caseInsensitiveDefines.set(name.text.toLowerCase(), definition);
        else this.defines.set(name.text, definition);
        return true;
      }
      case '%undef': {
        this.emit(raw, []);
        const name = tokens[1];
        if (!name || name.kind !== 'ident') {
          this.sink.error(this.location(raw, name?.column ?? afterDirective), '%undef needs a macro name');
          return true;
        }
        this.defines.delete(name.text);
        this.caseInsensitiveDefines.delete(name.text.toLowerCase());
        return true;
      }
      case '%assign': case '%iassign': {
        this.emit(raw, []);
        const name = tokens[1];
        if (!name || name.kind !== 'ident') {
          this.sink.error(this.location(raw, name?.column ?? afterDirective), `${directive} needs a macro name`);
          return true;
        }
        const expanded = this.expandDefines(tokens.slice(2), raw, new Set(), 0);
        if (expanded.length === 0) {
          this.sink.error(this.location(raw, name.column + name.text.length), `${directive} needs a value`);
          return true;
        }
        const value = this.evaluateNumber(expanded, raw);
        if (value === undefined) return true;
        const body: Token[] = [{ kind: 'number', text: value.toString(), column: name.column, value }];
        if (value < 0n) {
          body[0] = { kind: 'number', text: (-value).toString(), column: name.column, value: -value };
          body.unshift({ kind: 'op', text: '-', column: name.column });
        }
        if (directive === '%iassign') this.caseInsensitiveDefines.set(name.text.toLowerCase(), { body });
        else this.defines.set(name.text, { body });
        return true;
      }
      case '%include':
        this.emit(raw, []);
        this.include(raw);
        return true;
      case '%macro': case '%imacro':
        this.emit(raw, []);
        this.beginMacro(raw, directive === '%imacro');
        return true;
      case '%endmacro': case '%endm':
        this.emit(raw, []);
        this.sink.error(here, `${directive} without a matching %macro`);
        return true;
      case '%rep': {
        this.emit(raw, []);
        const expanded = this.expandDefines(tokens.slice(1), raw, new Set(), 0);
        let count = 0;
        if (expanded.length === 0) {
          this.sink.error(this.location(raw, afterDirective), '%rep needs a count');
        } else {
          const value = this.evaluateNumber(expanded, raw);
          if (value !== undefined) {
            if (value < 0n || value > 1_000_000n) this.sink.error(this.location(raw, expanded[0].column), `%rep count ${value} is out of range (0 to 1000000)`);
            else count = Number(value);
          }
        }
        this.recording = { kind: 'rep', nesting: 0, lines: [], location: here, repeatCount: count };
        return true;
      }
      case '%endrep':
        this.emit(raw, []);
        this.sink.error(here, '%endrep without a matching %rep');
        return true;
      case '%exitrep':
        this.emit(raw, []);
        return true;
      case '%error': case '%fatal': case '%warning': {
        this.emit(raw, []);
        const message = raw.text.slice(afterDirective - 1).trim().replace(/^["'](.*)["']$/, '$1') || directive.slice(1);
        if (directive === '%warning') this.sink.warning(here, message);
        else this.sink.error(here, message);
        if (directive === '%fatal') this.stopped = true;
        return true;
      }
      default:
        if (/^%\d+$/.test(directive) || directive.startsWith('%%')) return false;
        this.emit(raw, []);
        this.sink.error(here, `unknown preprocessor directive '${tokens[0].text}'`);
        return true;
    }
  }

  private include(raw: RawLine): void {
    const tokens = raw.tokens;
    const nameToken = tokens[1];
    if (!nameToken || nameToken.kind !== 'string') {
      this.sink.error(this.location(raw, nameToken?.column ?? tokens[0].column + tokens[0].text.length), '%include needs a file name in quotes');
      return;
    }
    const requested = new TextDecoder().decode(Uint8Array.from(nameToken.bytes ?? []));
    const here = this.location(raw, nameToken.column);
    if (this.includeStack.length > MAX_INCLUDE_DEPTH) {
      this.sink.error(here, `%include nested more than ${MAX_INCLUDE_DEPTH} deep`);
      return;
    }
    const candidates = path.isAbsolute(requested)
      ? [requested]
      : [path.join(path.dirname(raw.file), requested), ...this.options.includePaths.map((directory) => path.join(directory, requested)), requested];
    for (const candidate of candidates) {
      const source = this.options.readFile(candidate);
      if (source === undefined) continue;
      if (this.includeStack.includes(path.resolve(candidate))) {
        this.sink.error(here, `recursive %include of '${requested}' (it is already being included)`);
        return;
      }
      this.processFile(candidate, source, this.includeStack.length);
      return;
    }
    const places = [...new Set(candidates.map((candidate) => path.dirname(candidate)))];
    this.sink.error(here, `%include file '${requested}' not found (looked in ${places.join(', ')})`);
  }

  private beginMacro(raw: RawLine, caseInsensitive: boolean): void {
    const tokens = raw.tokens;
    const here = this.location(raw, tokens[0].column);
    const nameToken = tokens[1];
    const macro: MultiLineMacro = { name: nameToken?.text ?? '', minimumParameters: 0, maximumParameters: 0, greedy: false, body: [] };
    this.recording = { kind: 'macro', nesting: 0, lines: [], location: here, macro };
    if (!nameToken || nameToken.kind !== 'ident') {
      this.sink.error(this.location(raw, nameToken?.column ?? tokens[0].column + tokens[0].text.length), '%macro needs a name');
      return;
    }
    const countToken = tokens[2];
    if (countToken) {
      if (countToken.kind !== 'number') {
        this.sink.error(this.location(raw, countToken.column), `%macro ${nameToken.text}: expected a parameter count, found '${countToken.text}'`);
      } else {
        macro.minimumParameters = Number(countToken.value ?? 0n);
        macro.maximumParameters = macro.minimumParameters;
        let cursor = 3;
        const isOperator = (index: number, text: string): boolean => tokens[index]?.kind === 'op' && tokens[index].text === text;
        if (isOperator(cursor, '-')) {
          const upper = tokens[cursor + 1];
          if (upper?.kind === 'op' && upper.text === '*') macro.maximumParameters = Number.POSITIVE_INFINITY;
          else if (upper?.kind === 'number') macro.maximumParameters = Number(upper.value ?? 0n);
          else this.sink.error(this.location(raw, upper?.column ?? tokens[cursor].column + 1), `%macro ${nameToken.text}: bad parameter range`);
          cursor += 2;
        }
        if (isOperator(cursor, '+')) { macro.greedy = true; cursor++; }
        if (tokens[cursor]?.kind === 'ident' && tokens[cursor].text.toLowerCase() === '.nolist') cursor++;
        // `%macro name 1-3 4, 5`: values for the optional parameters
        if (cursor < tokens.length) macro.defaults = splitOnCommas(tokens.slice(cursor));
      }
    }
    if (caseInsensitive) this.caseInsensitiveMacros.set(nameToken.text.toLowerCase(), macro);
    else this.macros.set(nameToken.text, macro);
  }

  private invokeMacro(macro: MultiLineMacro, raw: RawLine, nameIndex: number, macroDepth: number): void {
    const nameToken = raw.tokens[nameIndex];
    const here = this.location(raw, nameToken.column);
    if (macroDepth >= MAX_MACRO_DEPTH) {
      this.sink.error(here, `macro '${macro.name}' nested more than ${MAX_MACRO_DEPTH} deep (does it call itself?)`);
      return;
    }
    const argumentTokens = this.expandDefines(raw.tokens.slice(nameIndex + 1), raw, new Set(), 0);
    const parameters = splitMacroArguments(argumentTokens, macro);
    const count = parameters.length;
    if (count < macro.minimumParameters || count > macro.maximumParameters && !macro.greedy) {
      const expected = macro.minimumParameters === macro.maximumParameters ? `${macro.minimumParameters}` : `${macro.minimumParameters} to ${macro.maximumParameters}`;
      this.sink.error(here, `macro '${macro.name}' takes ${expected} parameter${expected === '1' ? '' : 's'}, given ${count}`);
      return;
    }
    for (let index = count; index < Math.min(macro.maximumParameters, macro.minimumParameters + (macro.defaults?.length ?? 0)); index++) {
      parameters.push(macro.defaults?.[index - macro.minimumParameters] ?? []);
    }
    const uniqueId = ++this.uniqueMacroId;
    for (const bodyLine of macro.body) {
      const substituted: Token[] = [];
      for (const token of bodyLine.tokens) {
        if (token.kind === 'percent') {
          if (/^%\d+$/.test(token.text)) {
            const number = Number(token.text.slice(1));
            if (number === 0) substituted.push({ kind: 'number', text: String(parameters.length), column: nameToken.column, value: BigInt(parameters.length) });
            else substituted.push(...(parameters[number - 1] ?? []));
            continue;
          }
          if (token.text.startsWith('%%')) {
            substituted.push({ kind: 'ident', text: `..@${uniqueId}.${token.text.slice(2)}`, column: nameToken.column });
            continue;
          }
        }
        substituted.push({ ...token, column: nameToken.column });
      }
      this.processLine({
        tokens: substituted, text: bodyLine.text, file: raw.file, line: raw.line,
        listingLine: bodyLine.listingLine, listingDepth: raw.listingDepth + 1, fromMacro: true,
      }, macroDepth + 1);
    }
  }

  /** `a %+ b` joins the texts of its neighbours into one token (`KiTrap %+ 0` -> `KiTrap0`). */
  private pasteTokens(tokens: Token[], raw: RawLine): Token[] {
    if (!tokens.some((token) => token.kind === 'percent' && token.text === '%+')) return tokens;
    const result: Token[] = [];
    for (let index = 0; index < tokens.length; index++) {
      const token = tokens[index];
      if (!(token.kind === 'percent' && token.text === '%+')) {
        result.push(token);
        continue;
      }
      const left = result.pop();
      const right = tokens[index + 1];
      if (!left || !right) {
        this.sink.error(this.location(raw, token.column), "'%+' needs a token on each side");
        continue;
      }
      const joined = tokenizeLine(`${left.text}${right.text}`);
      if (joined.errors.length > 0 || joined.tokens.length !== 1) {
        this.sink.error(this.location(raw, token.column), `'${left.text}' %+ '${right.text}' does not make one token`);
        result.push(left);
      } else {
        result.push({ ...joined.tokens[0], column: left.column });
      }
      index++;
    }
    return result;
  }

  /** Replaces %define'd names, recursively, never re-expanding a name inside its own expansion. */
  private expandDefines(tokens: readonly Token[], raw: RawLine, expanding: Set<string>, depth: number): Token[] {
    if (this.defines.size === 0 && this.caseInsensitiveDefines.size === 0) return [...tokens];
    const result: Token[] = [];
    for (let index = 0; index < tokens.length; index++) {
      const token = tokens[index];
      if (token.kind !== 'ident') { result.push(token); continue; }
      const exact = this.defines.get(token.text);
      if (exact === undefined && this.caseInsensitiveDefines.size === 0) { result.push(token); continue; }
      const key = exact !== undefined ? token.text : token.text.toLowerCase();
      const definition = exact ?? this.caseInsensitiveDefines.get(key);
      if (!definition || expanding.has(key)) { result.push(token); continue; }
      if (++this.defineExpansions > MAX_DEFINE_EXPANSIONS || depth > MAX_MACRO_DEPTH) {
        this.sink.error(this.location(raw, token.column), `expansion of '${token.text}' is too deep or too long`);
        this.stopped = true;
        return result;
      }
      let body = definition.body;
      if (definition.parameters) {
        const open = tokens[index + 1];
        if (!(open?.kind === 'op' && open.text === '(')) { result.push(token); continue; }
        const argumentsFound: Token[][] = [[]];
        let nesting = 0;
        let end = index + 2;
        for (; end < tokens.length; end++) {
          const inner = tokens[end];
          if (inner.kind === 'op' && inner.text === '(') nesting++;
          if (inner.kind === 'op' && inner.text === ')') {
            if (nesting === 0) break;
            nesting--;
          }
          if (inner.kind === 'op' && inner.text === ',' && nesting === 0) argumentsFound.push([]);
          else argumentsFound[argumentsFound.length - 1].push(inner);
        }
        if (end >= tokens.length) {
          this.sink.error(this.location(raw, open.column), "unbalanced parentheses: '(' is never closed");
          result.push(token);
          continue;
        }
        const parameters = definition.parameters;
        if (argumentsFound.length !== parameters.length && !(parameters.length === 0 && argumentsFound.length === 1 && argumentsFound[0].length === 0)) {
          this.sink.error(this.location(raw, token.column), `'${token.text}' takes ${parameters.length} argument(s), given ${argumentsFound.length}`);
        }
        body = definition.body.flatMap((bodyToken) => {
          const parameterIndex = bodyToken.kind === 'ident' ? parameters.indexOf(bodyToken.text) : -1;
          return parameterIndex >= 0 ? argumentsFound[parameterIndex] ?? [] : [bodyToken];
        });
        index = end;
      }
      const placed = body.map((bodyToken) => ({ ...bodyToken, column: token.column }));
      const nested = new Set(expanding);
      nested.add(key);
      result.push(...this.expandDefines(placed, raw, nested, depth + 1));
    }
    return result;
  }
}

/** Splits a macro call's arguments at top-level commas; `{a, b}` keeps a comma inside one argument. */
function splitMacroArguments(tokens: readonly Token[], macro: MultiLineMacro): Token[][] {
  if (tokens.length === 0) return [];
  const parts: Token[][] = [[]];
  let braces = 0;
  for (const token of tokens) {
    const isComma = token.kind === 'op' && token.text === ',';
    if (token.kind === 'op' && token.text === '{') { braces++; if (braces === 1) continue; }
    if (token.kind === 'op' && token.text === '}') { braces--; if (braces === 0) continue; }
    const greedyLast = macro.greedy && parts.length >= Math.max(macro.minimumParameters, 1);
    if (isComma && braces === 0 && !greedyLast) parts.push([]);
    else parts[parts.length - 1].push(token);
  }
  return parts;
}

function splitOnCommas(tokens: readonly Token[]): Token[][] {
  const parts: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'op' && token.text === ',') parts.push([]);
    else parts[parts.length - 1].push(token);
  }
  return parts;
}
