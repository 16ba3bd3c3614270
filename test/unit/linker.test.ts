// Modules and linking: imports resolved against the same mode only, addresses stable, WinDbg-style
// symbols with sizes, and symbolize() as `module!Name+0xNN`.
import * as assert from 'assert';
import * as path from 'path';
import { linkModules } from '../../core/asm/linker';
import type { ModuleSpec } from '../../core/asm/module';
import { repositoryRoot } from '../support/oracle-tools';

const NTDLL_BASE = 0x7c900000;

function sample(relative: string): string {
  return path.join(repositoryRoot(), 'samples', relative);
}

function samplesLink(): ReturnType<typeof linkModules> {
  return linkModules([
    { name: 'ntdll', entryFile: sample('ntdll/ntdll.asm'), mode: 'user', base: NTDLL_BASE },
    { name: 'readfile', entryFile: sample('programs/readfile.asm'), mode: 'user', base: 0x400000 },
  ]);
}

describe('module linker', () => {
  it('links the readfile program against ntdll', () => {
    const linked = samplesLink();
    assert.deepStrictEqual(linked.diagnostics, []);
    const [ntdll, readfile] = linked.modules;
    assert.strictEqual(readfile.imports.NtReadFile, ntdll.exports.NtReadFile);
    assert.strictEqual(readfile.imports.NtTerminateProcess, ntdll.exports.NtTerminateProcess);
    // the call's rel32 lands on the stub: find `call` (E8) and decode its target
    const image = readfile.image;
    const callOffset = image.indexOf(0xe8);
    const displacement = Buffer.from(image).readInt32LE(callOffset + 1);
    assert.strictEqual((readfile.base + callOffset + 5 + displacement) >>> 0, ntdll.exports.NtReadFile);
  });

  it('names symbols the WinDbg way, with sizes up to the next symbol', () => {
    const linked = samplesLink();
    const stub = linked.findSymbol('ntdll!NtReadFile');
    assert.ok(stub);
    assert.strictEqual(stub.qualifiedName, 'ntdll!NtReadFile');
    assert.strictEqual(stub.size, 15, 'mov eax (5) + mov edx (5) + call [edx] (2) + ret 24h (3)');
    assert.strictEqual(linked.findSymbol('KiFastSystemCallRet')?.size, 1);
    assert.strictEqual(linked.symbolize(stub.address), 'ntdll!NtReadFile');
    assert.strictEqual(linked.symbolize(stub.address + 0xa), 'ntdll!NtReadFile+0xa');
    assert.strictEqual(linked.symbolize(0x12345678), undefined);
  });

  it('maps addresses to source lines across modules and back', () => {
    const linked = samplesLink();
    const stub = linked.findSymbol('ntdll!KiFastSystemCall')!;
    const line = linked.lineOf(stub.address + 2);
    assert.ok(line);
    assert.strictEqual(path.basename(line.file), 'ntdll.asm');
    assert.deepStrictEqual(linked.addressesOf(line.file, line.line), [line.start]);
    assert.strictEqual(line.start, stub.address + 2, 'sysenter follows the 2-byte mov edx, esp');
  });

  it('does not let a user module import from a kernel module', () => {
    const files: Record<string, string> = {
      'nt.asm': 'bits 32\norg 0x804d7000\nglobal KiSystemService\nKiSystemService: iretd\n',
      'app.asm': 'bits 32\norg 0x400000\n    extern KiSystemService\ncall KiSystemService\n',
    };
    const readFile = (file: string): string | undefined => files[file];
    const specs: ModuleSpec[] = [
      { name: 'nt', entryFile: 'nt.asm', mode: 'kernel', base: 0x804d7000 },
      { name: 'app', entryFile: 'app.asm', mode: 'user', base: 0x400000 },
    ];
    const linked = linkModules(specs, { readFile });
    assert.strictEqual(linked.ok, false);
    assert.deepStrictEqual(linked.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`), [
      "app.asm:3:12: 'KiSystemService' is exported by kernel-mode module 'nt'; user-mode module 'app' cannot import it",
    ]);
  });

  it('reports an import nobody exports, an org that disagrees with the base, and duplicate exporters', () => {
    const files: Record<string, string> = {
      'a.asm': 'org 0x1000\nglobal f\nf: ret\n',
      'b.asm': 'org 0x2000\nglobal f\nf: ret\n',
      'c.asm': 'org 0x3000\nextern f, g\ncall f\ncall g\n',
    };
    const linked = linkModules([
      { name: 'a', entryFile: 'a.asm', mode: 'user', base: 0x1000 },
      { name: 'b', entryFile: 'b.asm', mode: 'user', base: 0x2000 },
      { name: 'c', entryFile: 'c.asm', mode: 'user', base: 0x4000 },
    ], { readFile: (file) => files[file] });
    assert.deepStrictEqual(linked.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`), [
      "c.asm:2:8: 'f' is exported by more than one user-mode module (a, b)",
      "c.asm:2:11: unresolved external 'g': no user-mode module exports it",
      "c.asm:1:1: module 'c' is loaded at 0x4000 but its org is 0x3000",
    ]);
  });

  it('reassembles until addresses are stable when import values change code size', () => {
    // `push SMALL` becomes push imm8 once the linker supplies the (small, absolute) value
    const files: Record<string, string> = {
      'lib.asm': 'bits 32\norg 0x10\nglobal tiny\ntiny equ 5\nglobal after\nnop\nafter: ret\n',
      'user.asm': 'bits 32\norg 0x1000\nextern tiny, after\npush tiny\nglobal here\nhere: call after\n',
    };
    const linked = linkModules([
      { name: 'lib', entryFile: 'lib.asm', mode: 'user', base: 0x10 },
      { name: 'user', entryFile: 'user.asm', mode: 'user', base: 0x1000 },
    ], { readFile: (file) => files[file] });
    assert.deepStrictEqual(linked.diagnostics, []);
    const user = linked.modules[1];
    assert.deepStrictEqual(user.imports, { tiny: 5, after: 0x11 });
    assert.strictEqual(Buffer.from(user.image).toString('hex'), '6a05' + 'e8' + Buffer.from(Int32Array.of(0x11 - 0x1007).buffer).toString('hex'));
    assert.strictEqual(user.exports.here, 0x1002);
  });
});
