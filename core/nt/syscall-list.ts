// The system-service lists per Windows version (samples/syscalls/<version>.lst): parsing, lookup by
// name or number. The format is ReactOS's sysfuncs.lst: `NtName ArgumentCount`, one per line, in
// service-number order; `;` or `#` starts a comment.
import * as fs from 'fs';
import * as path from 'path';

export const WINDOWS_VERSIONS = ['nt4-sp6', 'win2k-sp4', 'xp-sp3', '2003-sp2', 'vista-sp2', '7-sp1'] as const;
export type WindowsVersion = (typeof WINDOWS_VERSIONS)[number];
export const DEFAULT_WINDOWS_VERSION: WindowsVersion = 'xp-sp3';

/** How ntdll's stubs enter the kernel, and how ntoskrnl's Zw stubs reach KiSystemService. */
export type StubShape =
  /** NT 4.0 and 2000: `lea edx, [esp+4]` / `int 2Eh` in every stub, user and kernel. */
  | 'int2e'
  /** XP SP2 and later (to 7): `call dword [7FFE0300h]`; Zw stubs fake an int 2Eh frame and call KiSystemService. */
  | 'shared-user-data';

export interface WindowsVersionInfo {
  readonly version: WindowsVersion;
  readonly displayName: string;
  readonly stubShape: StubShape;
}

const VERSION_INFO: Readonly<Record<WindowsVersion, WindowsVersionInfo>> = {
  'nt4-sp6': { version: 'nt4-sp6', displayName: 'Windows NT 4.0 SP6', stubShape: 'int2e' },
  'win2k-sp4': { version: 'win2k-sp4', displayName: 'Windows 2000 SP4', stubShape: 'int2e' },
  'xp-sp3': { version: 'xp-sp3', displayName: 'Windows XP SP3', stubShape: 'shared-user-data' },
  '2003-sp2': { version: '2003-sp2', displayName: 'Windows Server 2003 SP2', stubShape: 'shared-user-data' },
  'vista-sp2': { version: 'vista-sp2', displayName: 'Windows Vista SP2', stubShape: 'shared-user-data' },
  '7-sp1': { version: '7-sp1', displayName: 'Windows 7 SP1', stubShape: 'shared-user-data' },
};

export function isWindowsVersion(text: string): text is WindowsVersion {
  return (WINDOWS_VERSIONS as readonly string[]).includes(text);
}

export function windowsVersionInfo(version: WindowsVersion): WindowsVersionInfo {
  return VERSION_INFO[version];
}

/** One entry of KiServiceTable. */
export interface SystemService {
  readonly name: string;
  readonly number: number;
  /** 4-byte stack arguments; KiArgumentTable holds 4 * argumentCount bytes. */
  readonly argumentCount: number;
  /** The comment on the service's line (where its argument count comes from, when not the 2003 SP1 list). */
  readonly note?: string;
}

export interface SyscallListProblem {
  readonly fileName: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface ParsedSyscallList {
  readonly services: readonly SystemService[];
  readonly problems: readonly SyscallListProblem[];
}

export function formatSyscallListProblem(problem: SyscallListProblem): string {
  return `${problem.fileName}:${problem.line}:${problem.column}: ${problem.message}`;
}

/** The stdcall limit: KiArgumentTable entries are bytes, so at most 63 dword arguments fit. */
const MAX_ARGUMENT_COUNT = 63;
const SERVICE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses a list; never throws — every malformed line becomes a problem with its position. */
export function parseSyscallList(text: string, fileName: string): ParsedSyscallList {
  const services: SystemService[] = [];
  const problems: SyscallListProblem[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const commentAt = rawLine.search(/[;#]/);
    const body = commentAt < 0 ? rawLine : rawLine.slice(0, commentAt);
    const note = commentAt < 0 ? undefined : rawLine.slice(commentAt + 1).trim() || undefined;
    if (body.trim() === '') return;
    const column = body.length - body.trimStart().length + 1;
    const problem = (message: string, at = column): void => { problems.push({ fileName, line, column: at, message }); };
    const fields = body.trim().split(/\s+/);
    if (fields.length !== 2) {
      problem(`expected 'NtName ArgumentCount', found ${fields.length} field${fields.length === 1 ? '' : 's'}`);
      return;
    }
    const [name, countText] = fields;
    const countColumn = body.indexOf(countText, column - 1 + name.length) + 1;
    if (!SERVICE_NAME.test(name)) { problem(`'${name}' is not a service name`); return; }
    if (!/^\d+$/.test(countText)) { problem(`argument count '${countText}' is not a decimal number`, countColumn); return; }
    const argumentCount = Number(countText);
    if (argumentCount > MAX_ARGUMENT_COUNT) {
      problem(`argument count ${argumentCount} does not fit KiArgumentTable (at most ${MAX_ARGUMENT_COUNT})`, countColumn);
      return;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) { problem(`'${name}' is listed twice (first on line ${earlier})`); return; }
    seen.set(name, line);
    services.push({ name, number: services.length, argumentCount, ...(note === undefined ? {} : { note }) });
  });
  return { services, problems };
}

/** A version's services with lookups by name (Nt or Zw prefix) and by number. */
export class SyscallTable {
  private readonly byName = new Map<string, SystemService>();

  constructor(readonly version: WindowsVersion, readonly services: readonly SystemService[]) {
    for (const service of services) this.byName.set(service.name, service);
  }

  /** The service called `name`; `ZwXxx` finds `NtXxx` (same number, kernel-mode entry). */
  serviceNamed(name: string): SystemService | undefined {
    return this.byName.get(name) ?? (name.startsWith('Zw') ? this.byName.get(`Nt${name.slice(2)}`) : undefined);
  }

  numberOf(name: string): number | undefined {
    return this.serviceNamed(name)?.number;
  }

  serviceAt(number: number): SystemService | undefined {
    return this.services[number];
  }

  get count(): number {
    return this.services.length;
  }
}

/** samples/syscalls/, found by walking up from this file (out/ or a bundle) and from the working directory. */
export function defaultSyscallListDirectory(): string | undefined {
  for (const start of [__dirname, process.cwd()]) {
    let directory = path.resolve(start);
    for (;;) {
      const candidate = path.join(directory, 'samples', 'syscalls');
      if (fs.existsSync(path.join(candidate, `${DEFAULT_WINDOWS_VERSION}.lst`))) return candidate;
      const parent = path.dirname(directory);
      if (parent === directory) break;
      directory = parent;
    }
  }
  return undefined;
}

export function syscallListPath(version: WindowsVersion, listDirectory: string): string {
  return path.join(listDirectory, `${version}.lst`);
}

export type LoadedSyscallTable =
  | { readonly ok: true; readonly table: SyscallTable }
  | { readonly ok: false; readonly problems: readonly SyscallListProblem[] };

/** Reads and parses one version's list; I/O and format errors come back as problems. */
export function loadSyscallTable(version: WindowsVersion, listDirectory: string): LoadedSyscallTable {
  const fileName = syscallListPath(version, listDirectory);
  let text: string;
  try {
    text = fs.readFileSync(fileName, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ fileName, line: 1, column: 1, message: `cannot read the syscall list: ${(error as Error).message}` }] };
  }
  const parsed = parseSyscallList(text, fileName);
  if (parsed.problems.length > 0) return { ok: false, problems: parsed.problems };
  if (parsed.services.length === 0) return { ok: false, problems: [{ fileName, line: 1, column: 1, message: 'the syscall list names no service' }] };
  return { ok: true, table: new SyscallTable(version, parsed.services) };
}

const tableCache = new Map<string, SyscallTable>();

/** The bundled table of `version` (cached); throws when the bundled list is missing or malformed. */
export function bundledSyscallTable(version: WindowsVersion): SyscallTable {
  const directory = defaultSyscallListDirectory();
  if (directory === undefined) throw new Error('cannot find samples/syscalls/ (the bundled syscall lists)');
  const key = syscallListPath(version, directory);
  const cached = tableCache.get(key);
  if (cached) return cached;
  const loaded = loadSyscallTable(version, directory);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatSyscallListProblem).join('\n'));
  tableCache.set(key, loaded.table);
  return loaded.table;
}

/** The service number of `name` (NtXxx or ZwXxx) in `version`, or undefined when that version lacks it. */
export function numberOf(name: string, version: WindowsVersion = DEFAULT_WINDOWS_VERSION): number | undefined {
  return bundledSyscallTable(version).numberOf(name);
}
