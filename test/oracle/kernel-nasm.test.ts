// The kernel module against two references: NASM (our assembler must produce the same image from
// ntoskrnl.asm and its %includes) and Windows itself (KiSystemService's opening bytes are the ones a
// disassembly of a real NT 5.x ntoskrnl shows).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemble } from '../../core/asm/assembler';
import { ntdllModuleSpec, ntoskrnlModuleSpec } from '../../core/nt/boot';
import { WINDOWS_VERSIONS } from '../../core/nt/syscall-list';
import { nasmAssemble, repositoryRoot, requireOracle } from '../support/oracle-tools';

const KERNEL_DIRECTORY = path.join(repositoryRoot(), 'samples', 'kernel');
const KERNEL_ENTRY = path.join(KERNEL_DIRECTORY, 'ntoskrnl.asm');

/**
 * `u nt!KiSystemService` on an NT 5.x x86 kernel, through `mov [esi+140h], bl` (published WinDbg and
 * IDA listings): push 0 / push ebp / push ebx / push esi / push edi / push fs / mov ebx, 30h /
 * mov fs, bx / push dword fs:[0] / mov dword fs:[0], -1 / mov esi, fs:[124h] / push dword [esi+140h] /
 * sub esp, 48h / mov ebx, [esp+6Ch] / and ebx, 1 / mov [esi+140h], bl.
 */
const WINDOWS_KI_SYSTEM_SERVICE_PROLOGUE =
  '6a00' + '55' + '53' + '56' + '57' + '0fa0' + 'bb30000000' + '668ee3' + '64ff3500000000' +
  '64c70500000000ffffffff' + '648b3524010000' + 'ffb640010000' + '83ec48' + '8b5c246c' + '83e301' + '889e40010000';

describe('ntoskrnl against nasm and Windows', () => {
  const ours = assemble({ fileName: KERNEL_ENTRY });

  it('assembles without diagnostics', () => {
    assert.deepStrictEqual(ours.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'), []);
    assert.strictEqual(ours.origin, 0x804D7000);
  });

  it('is byte-identical to nasm -f bin, %includes and generated tables included', function () {
    const nasm = requireOracle('nasm', 'apt-get install nasm', 'ntoskrnl against NASM');
    if (!nasm) return this.skip();
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-kernel-'));
    try {
      const output = path.join(directory, 'ntoskrnl.bin');
      execFileSync(nasm, ['-f', 'bin', '-I', `${KERNEL_DIRECTORY}${path.sep}`, '-o', output, KERNEL_ENTRY], { stdio: ['ignore', 'pipe', 'pipe'] });
      const expected = fs.readFileSync(output);
      assert.strictEqual(ours.image.length, expected.length);
      const firstDifference = ours.image.findIndex((byte, index) => byte !== expected[index]);
      assert.strictEqual(firstDifference, -1, `first difference at 0x${(ours.origin + firstDifference).toString(16)}`);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  for (const version of WINDOWS_VERSIONS) {
    it(`ntdll with ${version}'s stubs and the kernel's user-mode entry points is byte-identical to nasm`, function () {
      const nasm = requireOracle('nasm', 'apt-get install nasm', 'ntdll against NASM');
      if (!nasm) return this.skip();
      const ntdllDirectory = path.join(repositoryRoot(), 'samples', 'ntdll');
      const spec = ntdllModuleSpec(ntdllDirectory, version);
      const source = spec.source ?? fs.readFileSync(spec.entryFile, 'utf8');
      const ours = assemble({ fileName: spec.entryFile, source });
      assert.deepStrictEqual(ours.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'), []);
      assert.ok(ours.globals.includes('KiUserExceptionDispatcher') && ours.globals.includes('KiUserCallbackDispatcher'));
      const expected = nasmAssemble(nasm, source, ['-I', `${ntdllDirectory}${path.sep}`]);
      assert.strictEqual(Buffer.from(ours.image).toString('hex'), expected.toString('hex'));
    });
  }

  for (const version of WINDOWS_VERSIONS.filter((candidate) => candidate !== 'xp-sp3')) {
    it(`with ${version}'s service numbering it is byte-identical to nasm too`, function () {
      const nasm = requireOracle('nasm', 'apt-get install nasm', 'ntoskrnl against NASM');
      if (!nasm) return this.skip();
      const spec = ntoskrnlModuleSpec(KERNEL_DIRECTORY, version);
      const versioned = assemble({ fileName: spec.entryFile, source: spec.source });
      assert.deepStrictEqual(versioned.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'), []);
      const expected = nasmAssemble(nasm, spec.source ?? '', ['-I', `${KERNEL_DIRECTORY}${path.sep}`]);
      assert.ok(Buffer.from(versioned.image).equals(expected), `${version}: our image differs from nasm's`);
    });
  }

  it('opens KiSystemService with the bytes of Windows\' own KiSystemService', () => {
    const entry = ours.symbols.find((symbol) => symbol.name === 'KiSystemService');
    assert.ok(entry);
    const offset = entry.address - ours.origin;
    const length = WINDOWS_KI_SYSTEM_SERVICE_PROLOGUE.length / 2;
    assert.strictEqual(Buffer.from(ours.image.subarray(offset, offset + length)).toString('hex'), WINDOWS_KI_SYSTEM_SERVICE_PROLOGUE);
  });
});
