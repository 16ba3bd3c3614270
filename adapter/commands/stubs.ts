// `ntsyscall stubs --windows VERSION --out DIR`: regenerates the ntdll stubs, the kernel Zw stubs and the
// service/argument tables of one Windows version (or all) from its syscall list, like ReactOS's nci.
import * as fs from 'fs';
import * as path from 'path';
import { GeneratedFile, bundledListName, generateStubFiles } from '../../core/nt/stub-generator';
import {
  DEFAULT_WINDOWS_VERSION, SystemService, WINDOWS_VERSIONS, WindowsVersion, defaultSyscallListDirectory,
  formatSyscallListProblem, isWindowsVersion, loadSyscallTable, parseSyscallList, syscallListPath,
} from '../../core/nt/syscall-list';
import type { CommandOutput } from '../cli';

const USAGE = `usage: ntsyscall stubs [--windows VERSION|all] [--out DIR] [--list FILE] [--check]
  --windows  the service numbering to generate (default ${DEFAULT_WINDOWS_VERSION}); one of ${WINDOWS_VERSIONS.join(', ')}, or all
  --out      the samples directory to write into: DIR/ntdll/generated/VERSION/ and DIR/kernel/generated/VERSION/
             (default: the bundled samples directory)
  --list     read the services from FILE (\`NtName ArgumentCount\` per line) instead of samples/syscalls/VERSION.lst
  --check    write nothing; exit 1 when a generated file is missing or differs from a fresh generation
`;

interface StubsArguments {
  versions: readonly WindowsVersion[];
  outputDirectory?: string;
  listFile?: string;
  check: boolean;
}

function versionsMessage(): string {
  return `valid versions: ${WINDOWS_VERSIONS.join(', ')}, all`;
}

function parseArguments(args: readonly string[]): StubsArguments | string {
  let versions: readonly WindowsVersion[] = [DEFAULT_WINDOWS_VERSION];
  let outputDirectory: string | undefined;
  let listFile: string | undefined;
  let check = false;
  for (let index = 0; index < args.length; index++) {
    const argument = args[index];
    const [option, inlineValue] = argument.startsWith('--') && argument.includes('=')
      ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)]
      : [argument, undefined];
    if (option === '--windows' || option === '--out' || option === '--list') {
      const value = inlineValue ?? args[++index];
      if (value === undefined || value === '') return `ntsyscall stubs: ${option} needs a value`;
      if (option === '--windows') {
        if (value === 'all') versions = WINDOWS_VERSIONS;
        else if (isWindowsVersion(value)) versions = [value];
        else return `ntsyscall stubs: unknown Windows version '${value}'; ${versionsMessage()}`;
      } else if (option === '--out') {
        outputDirectory = value;
      } else {
        listFile = value;
      }
    } else if (option === '--check') {
      check = true;
    } else {
      return `ntsyscall stubs: unexpected argument '${argument}'`;
    }
  }
  if (listFile !== undefined && versions.length !== 1) return 'ntsyscall stubs: --list goes with one --windows version, not all';
  return { versions, outputDirectory, listFile, check };
}

type ServicesOrProblems = { services: readonly SystemService[] } | { problems: string[] };

function readServices(version: WindowsVersion, listFile: string | undefined, listDirectory: string | undefined): ServicesOrProblems {
  if (listFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(listFile, 'utf8');
    } catch (error) {
      return { problems: [`${listFile}: cannot read the syscall list: ${(error as Error).message}`] };
    }
    const parsed = parseSyscallList(text, listFile);
    if (parsed.problems.length > 0) return { problems: parsed.problems.map(formatSyscallListProblem) };
    if (parsed.services.length === 0) return { problems: [`${listFile}: the syscall list names no service`] };
    return { services: parsed.services };
  }
  if (listDirectory === undefined) return { problems: ['cannot find samples/syscalls/ (the bundled syscall lists); give --list FILE'] };
  const loaded = loadSyscallTable(version, listDirectory);
  return loaded.ok ? { services: loaded.table.services } : { problems: loaded.problems.map(formatSyscallListProblem) };
}

/** Paths under the working directory are shown relative to it, others in full. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function writeFile(root: string, file: GeneratedFile): string | undefined {
  const target = path.join(root, file.relativePath);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.text);
    return undefined;
  } catch (error) {
    return `${target}: cannot write: ${(error as Error).message}`;
  }
}

export async function runStubsCommand(args: readonly string[], output: CommandOutput): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    output.stdout(USAGE);
    return 0;
  }
  const parsed = parseArguments(args);
  if (typeof parsed === 'string') {
    output.stderr(`${parsed}\n${USAGE}`);
    return 2;
  }
  const listDirectory = defaultSyscallListDirectory();
  const outputDirectory = parsed.outputDirectory ?? (listDirectory === undefined ? undefined : path.dirname(listDirectory));
  if (outputDirectory === undefined) {
    output.stderr('ntsyscall stubs: cannot find the bundled samples directory; give --out DIR\n');
    return 2;
  }
  let stale = 0;
  for (const version of parsed.versions) {
    const read = readServices(version, parsed.listFile, listDirectory);
    if ('problems' in read) {
      for (const problem of read.problems) output.stderr(`${problem}\n`);
      return 2;
    }
    const source = parsed.listFile ?? syscallListPath(version, listDirectory ?? '');
    const sourceName = parsed.listFile === undefined ? bundledListName(version) : path.basename(parsed.listFile);
    for (const file of generateStubFiles(read.services, version, sourceName)) {
      const target = path.join(outputDirectory, file.relativePath);
      if (parsed.check) {
        if (readIfPresent(target) !== file.text) {
          stale++;
          output.stderr(`${displayPath(target)}: stale; regenerate with ntsyscall stubs --windows ${version}\n`);
        }
        continue;
      }
      const failure = writeFile(outputDirectory, file);
      if (failure !== undefined) {
        output.stderr(`ntsyscall stubs: ${failure}\n`);
        return 1;
      }
      output.stdout(`${displayPath(target)}: ${read.services.length} services from ${displayPath(source)}\n`);
    }
  }
  if (parsed.check) {
    if (stale > 0) return 1;
    output.stdout(`generated stubs are up to date (${parsed.versions.join(', ')})\n`);
  }
  return 0;
}
