// Symbols and line tables of every loaded module, over the kernel-mode and user-mode links: names for
// addresses (`nt!KiSystemService+0x1a`), addresses for names and for source lines, and the source files.
import * as path from 'path';
import type { LinkedModule, LinkedSymbol, LinkResult } from '../../core/asm/linker';

export interface SourceLocation {
  file: string;
  line: number;
  /** Where this line's code starts. */
  start: number;
}

export interface ResolvedLine {
  /** The line that really holds code: the requested one or the nearest one below it. */
  line: number;
  addresses: number[];
}

/** How far below a requested line a breakpoint may move to find code. */
const MAX_LINE_MOVE = 200;
const MAX_REMEMBERED_NAMES = 100_000;

export class SymbolIndex {
  readonly modules: readonly LinkedModule[];
  private readonly names = new Map<number, string | undefined>();

  constructor(private readonly links: readonly LinkResult[]) {
    this.modules = links.flatMap((link) => link.modules);
  }

  /** `module!Name+0xNN`, or undefined outside every module (remembered: the symbols never change). */
  symbolize(address: number): string | undefined {
    const linear = address >>> 0;
    if (this.names.has(linear)) return this.names.get(linear);
    let found: string | undefined;
    for (const link of this.links) {
      found = link.symbolize(linear);
      if (found !== undefined) break;
    }
    if (this.names.size > MAX_REMEMBERED_NAMES) this.names.clear();
    this.names.set(linear, found);
    return found;
  }

  /** By `module!Name` (module case-insensitive) or a bare name that one module defines. */
  findSymbol(name: string): LinkedSymbol | undefined {
    const trimmed = name.trim();
    const bang = trimmed.indexOf('!');
    if (bang >= 0) {
      const moduleName = trimmed.slice(0, bang).toLowerCase();
      const symbolName = trimmed.slice(bang + 1);
      const module = this.modules.find((candidate) => candidate.name.toLowerCase() === moduleName);
      return module?.symbols.find((symbol) => symbol.name === symbolName)
        ?? module?.symbols.find((symbol) => symbol.name.toLowerCase() === symbolName.toLowerCase());
    }
    const exact = this.modules.flatMap((module) => module.symbols.filter((symbol) => symbol.name === trimmed));
    if (exact.length >= 1) return exact.find((symbol) => symbol.global) ?? exact[0];
    return undefined;
  }

  symbolNames(): string[] {
    return this.modules.flatMap((module) => module.symbols.filter((symbol) => !symbol.local).map((symbol) => symbol.qualifiedName));
  }

  /** The function symbol (non-local) at or below the address in its module. */
  functionAt(address: number): LinkedSymbol | undefined {
    const module = this.moduleAt(address);
    if (!module) return undefined;
    let best: LinkedSymbol | undefined;
    for (const symbol of module.symbols) {
      if (symbol.local || symbol.address > address) continue;
      if (!best || symbol.address > best.address) best = symbol;
    }
    return best;
  }

  moduleAt(address: number): LinkedModule | undefined {
    const linear = address >>> 0;
    return this.modules.find((module) => linear >= module.base && linear < Math.max(module.end, module.base + module.image.length));
  }

  lineOf(address: number): SourceLocation | undefined {
    const module = this.moduleAt(address);
    const found = module?.lines.lookupAddress(address >>> 0);
    return found && found.kind === 'instruction' ? { file: found.file, line: found.line, start: found.start } : undefined;
  }

  /** Code addresses of (file, line), moving down to the nearest line with code. */
  resolveLine(file: string, line: number): ResolvedLine | undefined {
    for (let candidate = line; candidate < line + MAX_LINE_MOVE; candidate++) {
      const addresses = this.modules.flatMap((module) => module.lines.addressesOfLine(file, candidate)
        .filter((address) => module.lines.lookupAddress(address)?.kind === 'instruction'));
      if (addresses.length > 0) return { line: candidate, addresses: [...new Set(addresses)].sort((a, b) => a - b) };
    }
    return undefined;
  }

  /** Every source file that produced bytes, absolute. */
  sourceFiles(): string[] {
    return [...new Set(this.modules.flatMap((module) => module.lines.files().map((file) => path.resolve(file))))];
  }

  /** Instruction starts the line tables know in [start, end): safe places to begin disassembling. */
  instructionStartsBetween(start: number, end: number): number[] {
    const starts: number[] = [];
    for (const module of this.modules) {
      for (const entry of module.lines.entries) {
        if (entry.kind === 'instruction' && entry.address >= start && entry.address < end) starts.push(entry.address);
      }
    }
    return starts.sort((a, b) => a - b);
  }
}
