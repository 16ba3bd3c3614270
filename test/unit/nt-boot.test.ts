// The model's loader refuses what it cannot load with an NtBootError a person can act on: a missing
// module or export, images that overlap each other or the kernel's fixed structures.
import * as assert from 'assert';
import * as path from 'path';
import { linkModules, type LinkedModule } from '../../core/asm/linker';
import { bootNtMachine, NtBootError } from '../../core/nt/boot';
import { NTDLL_BASE } from '../../core/nt/memory-map';
import { repositoryRoot } from '../support/oracle-tools';

const NTDLL = `
        bits 32
        org 0x7C900000
        global KiFastSystemCall
        global KiFastSystemCallRet
        global KiIntSystemCall
KiIntSystemCall:
        lea edx, [esp+8]
        int 0x2E
        ret
KiFastSystemCall:
        mov edx, esp
        sysenter
KiFastSystemCallRet:
        ret
`;

function module(name: string, mode: 'user' | 'kernel', base: number, source: string): LinkedModule {
  const file = path.join(repositoryRoot(), 'samples', mode === 'kernel' ? 'kernel' : 'programs', `${name}.asm`);
  const link = linkModules([{ name, entryFile: file, mode, base, source }]);
  assert.deepStrictEqual(link.diagnostics.filter((d) => d.severity === 'error'), []);
  return link.modules[0];
}

function tinyImage(name: string, mode: 'user' | 'kernel', base: number): LinkedModule {
  return module(name, mode, base, `bits 32\norg 0x${base.toString(16)}\nglobal KiSystemStartup\nKiSystemStartup:\n  hlt\n  times 0x1800 db 0\n`);
}

function bootError(modules: LinkedModule[]): string {
  try {
    bootNtMachine({ modules, userEntry: 0x400000 });
  } catch (error) {
    assert.ok(error instanceof NtBootError, String(error));
    return error.message;
  }
  assert.fail('the boot should have been refused');
}

describe('NT model: the loader refuses what it cannot load', () => {
  const ntdll = module('ntdll', 'user', NTDLL_BASE, NTDLL);
  const kernel = tinyImage('nt', 'kernel', 0x804D7000);

  it('boots with nt and ntdll', () => {
    const booted = bootNtMachine({ modules: [kernel, ntdll, tinyImage('program', 'user', 0x400000)], userEntry: 0x400000 });
    assert.strictEqual(booted.machine.registers().eip, 0x804D7000);
    assert.strictEqual(booted.machine.registers().cr3, 0x39000);
  });

  it('needs nt, ntdll and ntdll\'s system-call entry points', () => {
    assert.match(bootError([ntdll]), /a module named 'nt'/);
    assert.match(bootError([kernel]), /a module named 'ntdll'/);
    const bare = module('ntdll', 'user', NTDLL_BASE, 'bits 32\norg 0x7C900000\nnop\n');
    assert.match(bootError([kernel, bare]), /'ntdll' does not export 'KiFastSystemCall'/);
  });

  it('refuses a driver over the kernel or over the GDT/IDT/TSS, and a program over the user stack', () => {
    assert.match(bootError([kernel, ntdll, tinyImage('driver', 'kernel', 0x804D8000)]), /'driver' .* overlaps module 'nt'/);
    assert.match(bootError([kernel, ntdll, tinyImage('driver', 'kernel', 0x80040000)]), /overlaps the GDT, IDT, boot block and TSS/);
    assert.match(bootError([kernel, ntdll, tinyImage('driver', 'kernel', 0x90000000)]), /outside 0x80000000-0x80800000/);
    assert.match(bootError([kernel, ntdll, tinyImage('program', 'user', 0x0012F000)]), /the user stack at 0x12f000 overlaps module 'program'/);
  });
});
