// Assembled modules kept on disk between launches, keyed by everything the result depends on: the
// assembler's own code, the entry file's name and text, every file it %included (by content), the include
// paths and the predefined (imported) values. A launch whose sources did not change loads the kernel and
// ntdll in milliseconds instead of assembling them again; any change to any input assembles afresh.
// Anything wrong with the cache (unwritable folder, a damaged entry) only means assembling as usual.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemble, type AssembledSection, type AssembledSymbol, type AssembleInput, type AssemblyResult, type SymbolReference } from './assembler';
import type { Diagnostic } from './diagnostics';
import { LineTable, type LineTableEntry } from './line-table';

/** Something that assembles: the assembler itself, or a cache in front of it. */
export interface Assembler {
  assemble(input: AssembleInput): AssemblyResult;
}

export const directAssembler: Assembler = { assemble };

/** Bumped when the stored shape changes (the assembler's code is part of the key anyway). */
const ENTRY_FORMAT = 1;
/** Entries kept; the least recently used beyond this are removed when a new one is stored. */
const MAX_ENTRIES = 256;

interface StoredSection { name: string; address: number; size: number; bytes: string; nobits: boolean; align: number }

interface StoredEntry {
  format: number;
  /**
   * Every file the assembly asked for (the entry file too, unless its text was given) and its content
   * hash, or '' for one that did not exist then (an %include search that a new file would now answer).
   */
  files: [string, string][];
  ok: boolean;
  diagnostics: Diagnostic[];
  image: string;
  origin: number;
  sections: StoredSection[];
  symbols: AssembledSymbol[];
  constants: Record<string, number>;
  externs: string[];
  globals: string[];
  externDeclarations: SymbolReference[];
  globalDeclarations: SymbolReference[];
  /** Line table rows as [address, size, file index, line, 1 for data]. */
  lineFiles: string[];
  lines: [number, number, number, number, number][];
}

function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let assemblerIdentity: string | undefined;

/**
 * A hash of the code that assembles: the compiled files of core/asm and core/isa when they lie side by
 * side (out/), or the one bundle file this code is part of (dist/). A rebuilt assembler misses every entry.
 */
function identityOfAssembler(): string {
  if (assemblerIdentity !== undefined) return assemblerIdentity;
  const hash = createHash('sha256');
  const isaFolder = path.join(__dirname, '..', 'isa');
  if (fs.existsSync(path.join(__dirname, 'assembler.js')) && fs.existsSync(isaFolder)) {
    for (const folder of [__dirname, isaFolder]) {
      for (const name of fs.readdirSync(folder).filter((file) => file.endsWith('.js')).sort()) {
        hash.update(name).update(fs.readFileSync(path.join(folder, name)));
      }
    }
  } else {
    hash.update(fs.readFileSync(__filename));
  }
  assemblerIdentity = hash.digest('hex');
  return assemblerIdentity;
}

function defaultReadFile(filePath: string): string | undefined {
  try {
    return fs.readFileSync(filePath, 'utf8');
  } catch {
    return undefined;
  }
}

/** An Assembler that answers from entries in `directory` when every input is unchanged. */
export class FileAssemblyCache implements Assembler {
  /** Results served from disk and assemblies run, for tests and the bench. */
  hits = 0;
  misses = 0;

  constructor(readonly directory: string) {}

  assemble(input: AssembleInput): AssemblyResult {
    const key = this.keyOf(input);
    const readFile = input.readFile ?? defaultReadFile;
    const cached = key === undefined ? undefined : this.load(key, input, readFile);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const filesRead = new Map<string, string | undefined>();
    const recordingRead = (filePath: string): string | undefined => {
      const text = readFile(filePath);
      filesRead.set(filePath, text);
      return text;
    };
    const result = assemble({ ...input, readFile: recordingRead });
    if (key !== undefined && result.ok) this.store(key, result, filesRead);
    return result;
  }

  private keyOf(input: AssembleInput): string | undefined {
    try {
      const predefined = Object.entries(input.predefined ?? {}).sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
      return hashText(JSON.stringify({
        format: ENTRY_FORMAT, assembler: identityOfAssembler(), file: path.resolve(input.fileName),
        source: input.source === undefined ? null : hashText(input.source), includePaths: input.includePaths ?? [],
        predefined, warnUnlinkedExterns: input.warnUnlinkedExterns ?? true,
      }));
    } catch {
      return undefined;
    }
  }

  private entryPath(key: string): string {
    return path.join(this.directory, `${key}.json`);
  }

  private load(key: string, input: AssembleInput, readFile: (filePath: string) => string | undefined): AssemblyResult | undefined {
    let entry: StoredEntry;
    try {
      entry = JSON.parse(fs.readFileSync(this.entryPath(key), 'utf8')) as StoredEntry;
    } catch {
      return undefined;
    }
    if (entry.format !== ENTRY_FORMAT || !Array.isArray(entry.files)) return undefined;
    for (const [filePath, contentHash] of entry.files) {
      const text = readFile(filePath);
      if (text === undefined ? contentHash !== '' : hashText(text) !== contentHash) return undefined;
    }
    try {
      // Marks the entry as recently used, for the pruning in store().
      const now = new Date();
      fs.utimesSync(this.entryPath(key), now, now);
    } catch {
      // a read-only cache still serves
    }
    return restoreResult(entry, input);
  }

  private store(key: string, result: AssemblyResult, filesRead: ReadonlyMap<string, string | undefined>): void {
    try {
      fs.mkdirSync(this.directory, { recursive: true });
      const entry = storedEntryOf(result, filesRead);
      const target = this.entryPath(key);
      const temporary = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, JSON.stringify(entry));
      fs.renameSync(temporary, target);   // atomic: a concurrent launch sees the old entry or the new one
      this.prune();
    } catch {
      // no cache this time
    }
  }

  private prune(): void {
    const entries = fs.readdirSync(this.directory).filter((name) => name.endsWith('.json'));
    if (entries.length <= MAX_ENTRIES) return;
    const byAge = entries
      .map((name) => ({ name, used: fs.statSync(path.join(this.directory, name)).mtimeMs }))
      .sort((left, right) => left.used - right.used);
    for (const { name } of byAge.slice(0, entries.length - MAX_ENTRIES)) fs.rmSync(path.join(this.directory, name), { force: true });
  }
}

function storedEntryOf(result: AssemblyResult, filesRead: ReadonlyMap<string, string | undefined>): StoredEntry {
  const lineFiles: string[] = [];
  const fileIndex = new Map<string, number>();
  const lines = result.lines.entries.map((row: LineTableEntry): [number, number, number, number, number] => {
    let index = fileIndex.get(row.file);
    if (index === undefined) {
      index = lineFiles.length;
      fileIndex.set(row.file, index);
      lineFiles.push(row.file);
    }
    return [row.address, row.size, index, row.line, row.kind === 'data' ? 1 : 0];
  });
  return {
    format: ENTRY_FORMAT,
    files: [...filesRead].map(([filePath, text]) => [filePath, text === undefined ? '' : hashText(text)]),
    ok: result.ok,
    diagnostics: result.diagnostics,
    image: Buffer.from(result.image).toString('base64'),
    origin: result.origin,
    sections: result.sections.map((section) => ({
      name: section.name, address: section.address, size: section.size, nobits: section.nobits, align: section.align,
      bytes: section.nobits ? '' : Buffer.from(section.bytes).toString('base64'),
    })),
    symbols: result.symbols,
    constants: result.constants,
    externs: result.externs,
    globals: result.globals,
    externDeclarations: result.externDeclarations,
    globalDeclarations: result.globalDeclarations,
    lineFiles,
    lines,
  };
}

function bytesOf(base64: string): Uint8Array {
  const buffer = Buffer.from(base64, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).slice();
}

function restoreResult(entry: StoredEntry, input: AssembleInput): AssemblyResult {
  const sections: AssembledSection[] = entry.sections.map((section) => ({
    name: section.name, address: section.address, size: section.size, nobits: section.nobits, align: section.align,
    bytes: section.nobits ? new Uint8Array(section.size) : bytesOf(section.bytes),
  }));
  const lines = new LineTable(entry.lines.map(([address, size, file, line, data]) => ({
    address, size, file: entry.lineFiles[file], line, kind: data === 1 ? 'data' : 'instruction',
  })));
  let listing: string | undefined;
  return {
    ok: entry.ok,
    diagnostics: entry.diagnostics,
    image: bytesOf(entry.image),
    origin: entry.origin,
    sections,
    symbols: entry.symbols,
    constants: entry.constants,
    externs: entry.externs,
    globals: entry.globals,
    externDeclarations: entry.externDeclarations,
    globalDeclarations: entry.globalDeclarations,
    lines,
    // The listing is not stored (a launch never shows it): asked for, the module is assembled again.
    get listing(): string {
      listing ??= assemble(input).listing;
      return listing;
    },
  };
}

/**
 * The cache a launch uses: NTSYSCALL_ASSEMBLY_CACHE names its folder, or is `off`; by default a folder
 * under the user's cache directory ($XDG_CACHE_HOME or ~/.cache). Undefined when there is nowhere to keep it.
 */
export function defaultAssemblyCache(environment: NodeJS.ProcessEnv = process.env): Assembler {
  const setting = environment.NTSYSCALL_ASSEMBLY_CACHE;
  if (setting === 'off') return directAssembler;
  if (setting !== undefined && setting !== '') return new FileAssemblyCache(path.resolve(setting));
  const base = environment.XDG_CACHE_HOME || (os.homedir() ? path.join(os.homedir(), '.cache') : '');
  if (base === '') return directAssembler;
  return new FileAssemblyCache(path.join(base, 'nt-syscall-debugger', 'assembly'));
}
