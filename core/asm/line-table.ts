// The line table both ways: address -> the source line that produced the byte, and
// (file, line) -> every address where that line's code starts (a macro line may appear many times).
import * as path from 'path';

export interface LineTableEntry {
  address: number;
  /** Bytes produced (all repetitions of a `times` line together). */
  size: number;
  file: string;
  line: number;
  kind: 'instruction' | 'data';
}

export interface SourceLine {
  file: string;
  line: number;
}

export class LineTable {
  /** Sorted by address. */
  readonly entries: readonly LineTableEntry[];
  /** (file, line) -> addresses, built on the first question: a launch that sets no breakpoint never asks. */
  private byLine: Map<string, number[]> | undefined;

  constructor(entries: readonly LineTableEntry[]) {
    this.entries = entries.filter((entry) => entry.size > 0).sort((left, right) => left.address - right.address);
  }

  private static key(resolvedFile: string, line: number): string {
    return `${resolvedFile}:${line}`;
  }

  private lineIndex(): Map<string, number[]> {
    if (this.byLine) return this.byLine;
    const byLine = new Map<string, number[]>();
    const resolvedFiles = new Map<string, string>();
    for (const entry of this.entries) {
      let resolved = resolvedFiles.get(entry.file);
      if (resolved === undefined) {
        resolved = path.resolve(entry.file);
        resolvedFiles.set(entry.file, resolved);
      }
      const key = LineTable.key(resolved, entry.line);
      const addresses = byLine.get(key);
      if (addresses) addresses.push(entry.address);
      else byLine.set(key, [entry.address]);
    }
    this.byLine = byLine;
    return byLine;
  }

  /** The line whose code or data covers `address`, with the address where that line's bytes start. */
  lookupAddress(address: number): (SourceLine & { start: number; kind: LineTableEntry['kind'] }) | undefined {
    let low = 0;
    let high = this.entries.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const entry = this.entries[middle];
      if (address < entry.address) high = middle - 1;
      else if (address >= entry.address + entry.size) low = middle + 1;
      else return { file: entry.file, line: entry.line, start: entry.address, kind: entry.kind };
    }
    return undefined;
  }

  /** Every address where code or data of (file, line) starts, ascending; empty when the line holds none. */
  addressesOfLine(file: string, line: number): number[] {
    return [...(this.lineIndex().get(LineTable.key(path.resolve(file), line)) ?? [])];
  }

  /** The files that contributed bytes. */
  files(): string[] {
    return [...new Set(this.entries.map((entry) => entry.file))];
  }

  /** A copy whose addresses are moved by `delta` (a module loaded elsewhere than assembled). */
  relocated(delta: number): LineTable {
    return new LineTable(this.entries.map((entry) => ({ ...entry, address: (entry.address + delta) >>> 0 })));
  }
}
