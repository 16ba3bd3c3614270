// The syscall lists and the stub generator: numbers against the public reference table, the stub shapes
// each Windows version really had (checked in NASM's bytes), the service and argument tables, the
// checked-in generated files (stale check) and the `ntsyscall stubs` command.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemble } from '../../core/asm/assembler';
import { formatDiagnostic } from '../../core/asm/diagnostics';
import { generateStubFiles, ntdllStubsPath, serviceTablePath, unimplementedServicesPath, zwStubsPath } from '../../core/nt/stub-generator';
import {
  SystemService, WINDOWS_VERSIONS, WindowsVersion, formatSyscallListProblem, loadSyscallTable, numberOf,
  parseSyscallList, windowsVersionInfo,
} from '../../core/nt/syscall-list';
import { runStubsCommand } from '../../adapter/commands/stubs';
import { nasmAssemble, repositoryRoot, requireOracle } from '../support/oracle-tools';

const samplesDirectory = path.join(repositoryRoot(), 'samples');
const listDirectory = path.join(samplesDirectory, 'syscalls');
const referenceDataDirectory = path.join(repositoryRoot(), '..', 'shared', 'data');

/** The reference table's column for each version (nt-syscalls-x86.csv). */
const REFERENCE_COLUMN: Readonly<Record<WindowsVersion, string>> = {
  'nt4-sp6': 'Windows NT 4.0 (SP6)',
  'win2k-sp4': 'Windows 2000 (SP4)',
  'xp-sp3': 'Windows XP (SP3)',
  '2003-sp2': 'Windows Server 2003 (SP2)',
  'vista-sp2': 'Windows Vista (SP2)',
  '7-sp1': 'Windows 7 (SP1)',
};

function servicesOf(version: WindowsVersion): readonly SystemService[] {
  const loaded = loadSyscallTable(version, listDirectory);
  if (!loaded.ok) assert.fail(loaded.problems.map(formatSyscallListProblem).join('\n'));
  return loaded.table.services;
}

function service(version: WindowsVersion, name: string): SystemService {
  const found = servicesOf(version).find((candidate) => candidate.name === name);
  assert.ok(found, `${name} is in the ${version} list`);
  return found;
}

function generatedText(relativePath: string, version: WindowsVersion): string {
  const file = generateStubFiles(servicesOf(version), version).find((candidate) => candidate.relativePath === relativePath);
  assert.ok(file, `${relativePath} is generated`);
  return file.text;
}

/** Writes include files next to a wrapper in a scratch directory; returns the wrapper's path. */
function scratchWrapper(directory: string, wrapper: string, includes: Readonly<Record<string, string>>): string {
  for (const [name, text] of Object.entries(includes)) fs.writeFileSync(path.join(directory, name), text);
  const wrapperPath = path.join(directory, 'wrapper.asm');
  fs.writeFileSync(wrapperPath, wrapper);
  return wrapperPath;
}

async function withScratchDirectoryAsync(body: (directory: string) => Promise<void>): Promise<void> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-stubs-'));
  try {
    await body(directory);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

function withScratchDirectory<T>(body: (directory: string) => T): T {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-stubs-'));
  try {
    return body(directory);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

/** Assembles a wrapper with nasm (and, when it is there, checks the project's assembler agrees byte for byte). */
function assembleWrapper(nasm: string, wrapper: string, includes: Readonly<Record<string, string>>): Buffer {
  return withScratchDirectory((directory) => {
    const wrapperPath = scratchWrapper(directory, wrapper, includes);
    const bytes = nasmAssemble(nasm, wrapper, ['-I', `${directory}${path.sep}`]);
    const ours = assemble({ fileName: wrapperPath, includePaths: [directory] });
    assert.deepStrictEqual(ours.diagnostics.filter((diagnostic) => diagnostic.severity === 'error').map(formatDiagnostic), []);
    assert.ok(Buffer.from(ours.image).equals(bytes), 'the project\'s assembler produces the same bytes as nasm');
    return bytes;
  });
}

/** Reads the byte sequence at `offset`, failing with the service's name when it differs. */
function expectBytes(image: Buffer, offset: number, expected: readonly number[], what: string): number {
  const actual = [...image.subarray(offset, offset + expected.length)];
  assert.deepStrictEqual(actual, [...expected], `${what} at offset 0x${offset.toString(16)}`);
  return offset + expected.length;
}

function dword(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** `ret 4*n` is C2 imm16; a stub without arguments ends in C3. */
function returnBytes(argumentCount: number): number[] {
  return argumentCount === 0 ? [0xc3] : [0xc2, (4 * argumentCount) & 0xff, (4 * argumentCount) >>> 8];
}

describe('syscall lists (samples/syscalls)', () => {
  for (const version of WINDOWS_VERSIONS) {
    it(`${version}: parses cleanly, numbers services from 0 in order, names each once`, () => {
      const services = servicesOf(version);
      assert.ok(services.length > 200, `${version} lists ${services.length} services`);
      services.forEach((entry, index) => assert.strictEqual(entry.number, index));
      assert.strictEqual(new Set(services.map((entry) => entry.name)).size, services.length);
      for (const entry of services) assert.match(entry.name, /^Nt[A-Z]/);
    });
  }

  it('has the numbers NT-MODEL.md gives for the common services in all six versions', () => {
    const expected: ReadonlyArray<[string, number, readonly number[]]> = [
      ['NtClose', 1, [0x0f, 0x18, 0x19, 0x1b, 0x30, 0x32]],
      ['NtCreateFile', 11, [0x17, 0x20, 0x25, 0x27, 0x3c, 0x42]],
      ['NtQuerySystemInformation', 4, [0x7c, 0x97, 0xad, 0xb5, 0xf8, 0x105]],
      ['NtReadFile', 9, [0x86, 0xa1, 0xb7, 0xbf, 0x102, 0x111]],
      ['NtWriteFile', 9, [0xc8, 0xed, 0x112, 0x11c, 0x163, 0x18c]],
    ];
    for (const [name, argumentCount, numbers] of expected) {
      WINDOWS_VERSIONS.forEach((version, index) => {
        assert.strictEqual(service(version, name).number, numbers[index], `${name} in ${version}`);
        assert.strictEqual(service(version, name).argumentCount, argumentCount, `${name}'s arguments in ${version}`);
      });
    }
  });

  it('answers numberOf for Nt and Zw names, and undefined where a version lacks the service', () => {
    assert.strictEqual(numberOf('NtReadFile', 'xp-sp3'), 0xb7);
    assert.strictEqual(numberOf('NtReadFile', 'win2k-sp4'), 0xa1);
    assert.strictEqual(numberOf('NtReadFile', 'nt4-sp6'), 0x86);
    assert.strictEqual(numberOf('ZwReadFile', 'xp-sp3'), 0xb7);
    assert.strictEqual(numberOf('NtReadFile'), 0xb7, 'xp-sp3 is the default');
    assert.strictEqual(numberOf('NtCreateUserProcess', 'xp-sp3'), undefined);
    assert.strictEqual(numberOf('NtCreateUserProcess', '7-sp1'), servicesOf('7-sp1').findIndex((entry) => entry.name === 'NtCreateUserProcess'));
    assert.strictEqual(numberOf('NtNoSuchService', 'xp-sp3'), undefined);
  });

  it('equals the public reference table (../shared/data/nt-syscalls-x86.csv) for all six versions', function () {
    const csvPath = path.join(referenceDataDirectory, 'nt-syscalls-x86.csv');
    if (!fs.existsSync(csvPath)) {
      console.log(`SKIPPED: syscall numbers against the reference table: ${csvPath} is not present`);
      this.skip();
    }
    const [headerLine, ...rows] = fs.readFileSync(csvPath, 'utf8').split(/\r?\n/).filter((line) => line.trim() !== '');
    const header = headerLine.split(',');
    for (const version of WINDOWS_VERSIONS) {
      const column = header.indexOf(REFERENCE_COLUMN[version]);
      assert.ok(column > 0, `the reference table has a column '${REFERENCE_COLUMN[version]}'`);
      const reference = new Map<string, number>();
      for (const row of rows) {
        const cells = row.split(',');
        if (cells[column]?.trim()) reference.set(cells[0], Number.parseInt(cells[column], 16));
      }
      const ours = new Map(servicesOf(version).map((entry) => [entry.name, entry.number]));
      assert.deepStrictEqual(
        [...ours].sort((a, b) => a[1] - b[1]),
        [...reference].sort((a, b) => a[1] - b[1]),
        `${version} equals the reference column`,
      );
    }
  });

  it('takes argument counts from the 2003 SP1 list (../shared/data/sysfuncs-2003sp1.lst), any other count says why', function () {
    const listPath = path.join(referenceDataDirectory, 'sysfuncs-2003sp1.lst');
    if (!fs.existsSync(listPath)) {
      console.log(`SKIPPED: argument counts against the 2003 SP1 list: ${listPath} is not present`);
      this.skip();
    }
    const reference = parseSyscallList(fs.readFileSync(listPath, 'utf8'), listPath);
    assert.deepStrictEqual(reference.problems, []);
    const counts = new Map(reference.services.map((entry) => [entry.name, entry.argumentCount]));
    for (const version of WINDOWS_VERSIONS) {
      for (const entry of servicesOf(version)) {
        const fromReference = counts.get(entry.name);
        if (fromReference === undefined || fromReference !== entry.argumentCount) {
          assert.ok(entry.note, `${version} ${entry.name} ${entry.argumentCount}: not the 2003 SP1 count (${fromReference}), so its line must say where it comes from`);
        }
      }
    }
    // 2003 SP2 has exactly the 2003 SP1 services, in the same order
    assert.deepStrictEqual(servicesOf('2003-sp2').map((entry) => entry.name), reference.services.map((entry) => entry.name));
  });

  it('reports malformed lines with file:line:col instead of throwing', () => {
    const parsed = parseSyscallList('NtClose 1\nNtReadFile nine\n  NtClose 1\nNtOne 1 2\nNtBig 99\n; a comment\n', 'bad.lst');
    assert.deepStrictEqual(parsed.services.map((entry) => entry.name), ['NtClose']);
    assert.deepStrictEqual(parsed.problems.map(formatSyscallListProblem), [
      "bad.lst:2:12: argument count 'nine' is not a decimal number",
      "bad.lst:3:3: 'NtClose' is listed twice (first on line 1)",
      "bad.lst:4:1: expected 'NtName ArgumentCount', found 3 fields",
      'bad.lst:5:7: argument count 99 does not fit KiArgumentTable (at most 63)',
    ]);
  });
});

describe('stub generator', () => {
  let nasm: string | undefined;
  before(() => { nasm = requireOracle('nasm', 'apt-get install nasm', 'generated stubs assembled by NASM'); });

  for (const version of WINDOWS_VERSIONS) {
    it(`${version}: checked-in generated files equal a fresh generation (stale check)`, () => {
      for (const file of generateStubFiles(servicesOf(version), version)) {
        const checkedIn = path.join(samplesDirectory, file.relativePath);
        assert.ok(fs.existsSync(checkedIn), `${file.relativePath} is checked in; run ntsyscall stubs --windows ${version}`);
        assert.ok(fs.readFileSync(checkedIn, 'utf8') === file.text, `${file.relativePath} is stale; run ntsyscall stubs --windows ${version}`);
      }
    });
  }

  for (const version of WINDOWS_VERSIONS) {
    const int2e = windowsVersionInfo(version).stubShape === 'int2e';
    it(`${version}: ntdll stubs are ${int2e ? 'mov eax, N / lea edx, [esp+4] / int 2Eh' : 'mov eax, N / mov edx, 7FFE0300h / call dword [edx]'} / ret 4*n`, function () {
      if (!nasm) this.skip();
      const services = servicesOf(version);
      const image = assembleWrapper(nasm, 'bits 32\norg 0x7C900000\n%include "nt-stubs.inc"\n', { 'nt-stubs.inc': generatedText(ntdllStubsPath(version), version) });
      let offset = 0;
      for (const entry of services) {
        const body = int2e
          ? [0x8d, 0x54, 0x24, 0x04, 0xcd, 0x2e]
          : [0xba, 0x00, 0x03, 0xfe, 0x7f, 0xff, 0x12];
        offset = expectBytes(image, offset, [0xb8, ...dword(entry.number), ...body, ...returnBytes(entry.argumentCount)], entry.name);
      }
      assert.strictEqual(offset, image.length, 'nothing but the stubs');
    });

    it(`${version}: kernel Zw stubs ${int2e ? 'execute int 2Eh' : 'fake the int 2Eh frame (pushfd / push 8) and call KiSystemService'}`, function () {
      if (!nasm) this.skip();
      const origin = 0x804d7000;
      const image = assembleWrapper(nasm, `bits 32\norg 0x${origin.toString(16)}\nKiSystemService:\n        ret\n%include "zw-stubs.inc"\n`,
        { 'zw-stubs.inc': generatedText(zwStubsPath(version), version) });
      let offset = 1;
      for (const entry of servicesOf(version)) {
        const name = `Zw${entry.name.slice(2)}`;
        offset = expectBytes(image, offset, [0xb8, ...dword(entry.number), 0x8d, 0x54, 0x24, 0x04], name);
        if (int2e) {
          offset = expectBytes(image, offset, [0xcd, 0x2e], name);
        } else {
          offset = expectBytes(image, offset, [0x9c, 0x6a, 0x08, 0xe8], name);
          const target = origin + offset + 4 + image.readInt32LE(offset);
          assert.strictEqual(target >>> 0, origin, `${name} calls KiSystemService`);
          offset += 4;
        }
        offset = expectBytes(image, offset, returnBytes(entry.argumentCount), name);
      }
      assert.strictEqual(offset, image.length);
    });

    it(`${version}: KiServiceTable points every index at its handler, KiArgumentTable holds 4*argc bytes`, function () {
      if (!nasm) this.skip();
      const services = servicesOf(version);
      const origin = 0x804d7000;
      const implemented = 'NtReadFile';
      // a kernel implementing one service itself: the rest come from unimplemented-services.inc
      const wrapper = [
        'bits 32', `org 0x${origin.toString(16)}`,
        'dd KiServiceTable, KiServiceLimit, KiArgumentTable, KI_SERVICE_LIMIT',
        `%define IMPLEMENTED_${implemented}`,
        `${implemented}:`, '        mov eax, 0x12345678', '        ret 4*9',
        '%include "unimplemented-services.inc"',
        '%include "service-table.inc"', '',
      ].join('\n');
      const image = assembleWrapper(nasm, wrapper, {
        'unimplemented-services.inc': generatedText(unimplementedServicesPath(version), version),
        'service-table.inc': generatedText(serviceTablePath(version), version),
      });
      const at = (address: number): number => address - origin;
      const [tableAddress, limitAddress, argumentsAddress, limitConstant] = [0, 4, 8, 12].map((offset) => image.readUInt32LE(offset));
      assert.strictEqual(tableAddress % 4, 0, 'KiServiceTable is dword-aligned');
      assert.strictEqual(limitConstant, services.length);
      assert.strictEqual(image.readUInt32LE(at(limitAddress)), services.length, 'KiServiceLimit');
      assert.strictEqual(limitAddress, tableAddress + 4 * services.length, 'KiServiceLimit follows the table');
      const handlers = new Set<number>();
      for (const entry of services) {
        const handler = image.readUInt32LE(at(tableAddress) + 4 * entry.number);
        handlers.add(handler);
        if (entry.name === implemented) {
          expectBytes(image, at(handler), [0xb8, ...dword(0x12345678)], `${entry.name}, the kernel's own`);
        } else {
          expectBytes(image, at(handler), [0xb8, ...dword(0xc0000002), ...returnBytes(entry.argumentCount)], `${entry.name} (STATUS_NOT_IMPLEMENTED)`);
        }
        assert.strictEqual(image[at(argumentsAddress) + entry.number], 4 * entry.argumentCount, `${entry.name}'s argument bytes`);
      }
      assert.strictEqual(handlers.size, services.length, 'every index has a handler of its own');
      assert.strictEqual(image.length, at(argumentsAddress) + services.length, 'KiArgumentTable ends the image');
    });
  }
});

describe('ntsyscall stubs', () => {
  function capture(): { stdout: string[]; stderr: string[]; output: { stdout: (text: string) => void; stderr: (text: string) => void } } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, output: { stdout: (text) => { stdout.push(text); }, stderr: (text) => { stderr.push(text); } } };
  }

  it('rejects an unknown version with exit status 2 and lists the valid ones', async () => {
    const run = capture();
    assert.strictEqual(await runStubsCommand(['--windows', 'xp-sp2'], run.output), 2);
    const message = run.stderr.join('');
    assert.match(message, /unknown Windows version 'xp-sp2'/);
    for (const version of WINDOWS_VERSIONS) assert.ok(message.includes(version), `the message lists ${version}`);
  });

  it('writes the four files of a version into --out DIR, as generated', async () => {
    await withScratchDirectoryAsync(async (directory) => {
      const run = capture();
      assert.strictEqual(await runStubsCommand(['--windows', 'win2k-sp4', '--out', directory], run.output), 0, run.stderr.join(''));
      const files = generateStubFiles(servicesOf('win2k-sp4'), 'win2k-sp4');
      assert.strictEqual(files.length, 4);
      for (const file of files) assert.strictEqual(fs.readFileSync(path.join(directory, file.relativePath), 'utf8'), file.text);
      assert.strictEqual(await runStubsCommand(['--windows', 'win2k-sp4', '--out', directory, '--check'], capture().output), 0);
      fs.appendFileSync(path.join(directory, files[0].relativePath), '; edited by hand\n');
      const stale = capture();
      assert.strictEqual(await runStubsCommand(['--windows', 'win2k-sp4', '--out', directory, '--check'], stale.output), 1);
      assert.match(stale.stderr.join(''), /nt-stubs\.inc: stale/);
    });
  });

  it('reads a custom list with --list and reports its bad lines as file:line:col', async () => {
    await withScratchDirectoryAsync(async (directory) => {
      const listPath = path.join(directory, 'mine.lst');
      fs.writeFileSync(listPath, 'NtFirst 2\nNtSecond x\n');
      const run = capture();
      assert.strictEqual(await runStubsCommand(['--windows', 'xp-sp3', '--list', listPath, '--out', directory], run.output), 2);
      assert.ok(run.stderr.join('').includes(`${listPath}:2:10: argument count 'x' is not a decimal number`), run.stderr.join(''));
      fs.writeFileSync(listPath, 'NtFirst 2\nNtSecond 0 ; no arguments\n');
      assert.strictEqual(await runStubsCommand(['--windows', 'xp-sp3', '--list', listPath, '--out', directory], capture().output), 0);
      const stubs = fs.readFileSync(path.join(directory, ntdllStubsPath('xp-sp3')), 'utf8');
      assert.match(stubs, /from mine\.lst: do not edit/);
      assert.match(stubs, /NtSecond: +; 0x001, 0 arguments\n {8}mov eax, 0x001\n {8}mov edx, 0x7FFE0300\n {8}call dword \[edx\]\n {8}ret\n/);
    });
  });
});
