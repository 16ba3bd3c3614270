// Links modules: assembles each on its own, resolves every module's externs against the globals of the
// other modules of the same mode (user with user, kernel with kernel), and reassembles with the imports
// as equ values until no address moves.
import { type AssembledSection, type AssemblyResult } from './assembler';
import { directAssembler, type Assembler } from './assembly-cache';
import { DiagnosticSink, type Diagnostic } from './diagnostics';
import type { LineTable, SourceLine } from './line-table';
import { formatSymbolOffset, qualifiedSymbolName, type ModuleMode, type ModuleSpec } from './module';

export const MAX_LINK_ROUNDS = 10;

export interface LinkedSymbol {
  /** The name inside its module ('KiFastSystemCall', 'KiFastCallEntry.copy' for a local label). */
  name: string;
  /** WinDbg's name: 'ntdll!KiFastSystemCall'. */
  qualifiedName: string;
  module: string;
  address: number;
  size: number;
  section: string;
  global: boolean;
  local: boolean;
  file: string;
  line: number;
}

export interface LinkedModule {
  name: string;
  mode: ModuleMode;
  base: number;
  entryFile: string;
  /** The bytes loaded at `base` (what `nasm -f bin` writes for this module). */
  image: Uint8Array;
  /** First address past the module, .bss included. */
  end: number;
  sections: AssembledSection[];
  symbols: LinkedSymbol[];
  /** Imported name -> address, as given to the assembler. */
  imports: Record<string, number>;
  /** Exported (global) name -> address. */
  exports: Record<string, number>;
  lines: LineTable;
  listing: string;
  assembly: AssemblyResult;
}

export interface LinkOptions {
  readFile?: (filePath: string) => string | undefined;
  includePaths?: string[];
  /** What assembles each module (default: the assembler itself; a launch passes its cache). */
  assembler?: Assembler;
}

export interface LinkResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  modules: LinkedModule[];
  /** `module!Name+0xNN` for an address inside a module, undefined outside every module. */
  symbolize(address: number): string | undefined;
  /** A symbol by `module!Name`, or by a bare name when only one module defines it. */
  findSymbol(name: string): LinkedSymbol | undefined;
  /** The module an address falls in. */
  moduleAt(address: number): LinkedModule | undefined;
  /** The source line that produced the byte at `address`. */
  lineOf(address: number): (SourceLine & { start: number }) | undefined;
  /** Every address where (file, line)'s code starts, over all modules. */
  addressesOf(file: string, line: number): number[];
}

export function linkModules(specs: readonly ModuleSpec[], options: LinkOptions = {}): LinkResult {
  try {
    return linkOrThrow(specs, options);
  } catch (error) {
    // never throw out of the library: an internal failure is one more diagnostic
    const message = error instanceof Error ? error.message : String(error);
    return makeLinkResult([], [{ file: specs[0]?.entryFile ?? '', line: 1, column: 1, message: `internal linker error: ${message}`, severity: 'error' }]);
  }
}

function linkOrThrow(specs: readonly ModuleSpec[], options: LinkOptions): LinkResult {
  const sink = new DiagnosticSink();
  const seenNames = new Set<string>();
  for (const spec of specs) {
    if (seenNames.has(spec.name)) sink.error({ file: spec.entryFile, line: 1, column: 1 }, `two modules are named '${spec.name}'`);
    seenNames.add(spec.name);
  }
  let imports = new Map<string, Record<string, number>>(specs.map((spec) => [spec.name, {}]));
  let assemblies: AssemblyResult[] = [];
  /** The imports each module's current assembly was made with: the same imports give the same assembly. */
  let assembledWith: (Record<string, number> | undefined)[] = specs.map(() => undefined);
  for (let round = 0; round < MAX_LINK_ROUNDS; round++) {
    assemblies = specs.map((spec, index) => {
      const predefined = imports.get(spec.name)!;
      const previous = assembledWith[index];
      if (previous !== undefined && sameRecord(previous, predefined)) return assemblies[index];
      return (options.assembler ?? directAssembler).assemble({
        fileName: spec.entryFile, source: spec.source, readFile: options.readFile, includePaths: options.includePaths,
        predefined, warnUnlinkedExterns: false,
      });
    });
    assembledWith = specs.map((spec) => imports.get(spec.name));
    const next = resolveImports(specs, assemblies, undefined);
    const settled = specs.every((spec) => sameRecord(imports.get(spec.name)!, next.get(spec.name)!));
    imports = next;
    // settled: every module was assembled with the imports it resolves to, so another round would change nothing
    if (settled) break;
    if (round === MAX_LINK_ROUNDS - 1) sink.error({ file: specs[0]?.entryFile ?? '', line: 1, column: 1 }, `module addresses do not settle after ${MAX_LINK_ROUNDS} rounds`);
  }
  // report what could not be resolved, at the extern lines
  resolveImports(specs, assemblies, sink);
  const modules = specs.map((spec, index) => buildModule(spec, assemblies[index], imports.get(spec.name) ?? {}, sink));
  const diagnostics = [...assemblies.flatMap((assembly) => assembly.diagnostics), ...sink.diagnostics];
  return makeLinkResult(modules, diagnostics);
}

function exportsOf(assembly: AssemblyResult): Map<string, number> {
  const exported = new Map<string, number>();
  const addresses = new Map<string, number>();
  // the first symbol of a name, as a search from the start would find it
  for (const symbol of assembly.symbols) if (!addresses.has(symbol.name)) addresses.set(symbol.name, symbol.address);
  for (const name of assembly.globals) {
    const address = addresses.get(name);
    if (address !== undefined) exported.set(name, address);
    else if (name in assembly.constants) exported.set(name, assembly.constants[name] >>> 0);
  }
  return exported;
}

function resolveImports(specs: readonly ModuleSpec[], assemblies: readonly AssemblyResult[], sink: DiagnosticSink | undefined): Map<string, Record<string, number>> {
  const exported = assemblies.map(exportsOf);
  const resolved = new Map<string, Record<string, number>>();
  specs.forEach((spec, index) => {
    const values: Record<string, number> = {};
    for (const declaration of assemblies[index].externDeclarations) {
      const providers = specs
        .map((other, otherIndex) => ({ other, address: exported[otherIndex].get(declaration.name) }))
        .filter((candidate, otherIndex) => otherIndex !== index && candidate.address !== undefined);
      const sameMode = providers.filter((candidate) => candidate.other.mode === spec.mode);
      if (sameMode.length >= 1) {
        values[declaration.name] = sameMode[0].address!;
        if (sameMode.length > 1) {
          sink?.error(declaration, `'${declaration.name}' is exported by more than one ${spec.mode}-mode module (${sameMode.map((candidate) => candidate.other.name).join(', ')})`);
        }
      } else if (providers.length > 0) {
        const other = providers[0].other;
        sink?.error(declaration, `'${declaration.name}' is exported by ${other.mode}-mode module '${other.name}'; ${spec.mode}-mode module '${spec.name}' cannot import it`);
      } else {
        sink?.error(declaration, `unresolved external '${declaration.name}': no ${spec.mode}-mode module exports it`);
      }
    }
    resolved.set(spec.name, values);
  });
  return resolved;
}

function sameRecord(left: Record<string, number>, right: Record<string, number>): boolean {
  const leftKeys = Object.keys(left);
  return leftKeys.length === Object.keys(right).length && leftKeys.every((key) => left[key] === right[key]);
}

function buildModule(spec: ModuleSpec, assembly: AssemblyResult, imports: Record<string, number>, sink: DiagnosticSink): LinkedModule {
  if (assembly.ok && assembly.origin !== spec.base) {
    sink.error({ file: spec.entryFile, line: 1, column: 1 },
      `module '${spec.name}' is loaded at 0x${spec.base.toString(16)} but its org is 0x${assembly.origin.toString(16)}`);
  }
  const end = assembly.sections.reduce((furthest, section) => Math.max(furthest, section.address + section.size), spec.base);
  const exportsRecord: Record<string, number> = {};
  for (const [name, address] of exportsOf(assembly)) exportsRecord[name] = address;
  return {
    name: spec.name, mode: spec.mode, base: spec.base, entryFile: spec.entryFile, image: assembly.image, end,
    sections: assembly.sections,
    symbols: assembly.symbols.map((symbol) => ({
      name: symbol.name, address: symbol.address, size: symbol.size, section: symbol.section, global: symbol.global, local: symbol.local,
      file: symbol.file, line: symbol.line, module: spec.name, qualifiedName: qualifiedSymbolName(spec.name, symbol.name),
    })),
    imports, exports: exportsRecord, lines: assembly.lines, get listing(): string { return assembly.listing; }, assembly,
  };
}

function makeLinkResult(modules: LinkedModule[], diagnostics: Diagnostic[]): LinkResult {
  const moduleAt = (address: number): LinkedModule | undefined =>
    modules.find((module) => address >= module.base && address < Math.max(module.end, module.base + module.image.length));
  return {
    ok: !diagnostics.some((diagnostic) => diagnostic.severity === 'error'),
    diagnostics,
    modules,
    moduleAt,
    symbolize(address: number): string | undefined {
      const module = moduleAt(address >>> 0);
      if (!module) return undefined;
      let best: LinkedSymbol | undefined;
      for (const symbol of module.symbols) {
        if (symbol.local || symbol.address > address) continue;
        if (!best || symbol.address > best.address) best = symbol;
      }
      return best ? formatSymbolOffset(module.name, best.name, address - best.address) : formatSymbolOffset(module.name, undefined, address - module.base);
    },
    findSymbol(name: string): LinkedSymbol | undefined {
      const bang = name.indexOf('!');
      if (bang >= 0) {
        const module = modules.find((candidate) => candidate.name.toLowerCase() === name.slice(0, bang).toLowerCase());
        return module?.symbols.find((symbol) => symbol.name === name.slice(bang + 1));
      }
      const matches = modules.flatMap((module) => module.symbols.filter((symbol) => symbol.name === name));
      return matches.length === 1 ? matches[0] : undefined;
    },
    lineOf(address: number) {
      const module = moduleAt(address >>> 0);
      const found = module?.lines.lookupAddress(address >>> 0);
      return found ? { file: found.file, line: found.line, start: found.start } : undefined;
    },
    addressesOf(file: string, line: number): number[] {
      return modules.flatMap((module) => module.lines.addressesOfLine(file, line)).sort((left, right) => left - right);
    },
  };
}
