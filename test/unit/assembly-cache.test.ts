// The assembly cache (core/asm/assembly-cache.ts): a hit gives exactly what assembling gives, any change
// to any input (the entry file, an %included file, a file that would now shadow an include, imported
// values) assembles afresh, and a damaged or unwritable cache only means assembling as usual.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemble, type AssembleInput, type AssemblyResult } from '../../core/asm/assembler';
import { defaultAssemblyCache, directAssembler, FileAssemblyCache } from '../../core/asm/assembly-cache';
import { linkModules } from '../../core/asm/linker';
import { ntdllModuleSpec, ntoskrnlModuleSpec } from '../../core/nt/boot';
import { repositoryRoot } from '../support/oracle-tools';

/** Everything a launch reads from a result, as plain data. */
function observable(result: AssemblyResult): unknown {
  return {
    ok: result.ok, diagnostics: result.diagnostics, image: Array.from(result.image), origin: result.origin,
    sections: result.sections.map((section) => ({ ...section, bytes: Array.from(section.bytes) })),
    symbols: result.symbols, constants: result.constants, externs: result.externs, globals: result.globals,
    externDeclarations: result.externDeclarations, globalDeclarations: result.globalDeclarations, lines: result.lines.entries,
  };
}

function scratchFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-cache-test-'));
}

describe('assembly cache: launches reuse assembled modules only while every input is the same', () => {
  const folders: string[] = [];
  const newFolder = (): string => {
    const folder = scratchFolder();
    folders.push(folder);
    return folder;
  };
  after(() => { for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true }); });

  it('a hit gives what assembling gives, for the kernel, ntdll and a program (symbols, line tables, listing)', () => {
    const samples = path.join(repositoryRoot(), 'samples');
    const kernel = ntoskrnlModuleSpec(path.join(samples, 'kernel'), 'xp-sp3');
    const ntdll = ntdllModuleSpec(path.join(samples, 'ntdll'), 'xp-sp3');
    const inputs: AssembleInput[] = [
      { fileName: kernel.entryFile, source: kernel.source, warnUnlinkedExterns: false },
      { fileName: ntdll.entryFile, source: ntdll.source, warnUnlinkedExterns: false },
      { fileName: path.join(samples, 'programs', 'readfile.asm'), predefined: { NtReadFile: 0x7C900100, NtTerminateProcess: 0x7C900200 } },
    ];
    const cache = new FileAssemblyCache(newFolder());
    for (const input of inputs) {
      const fresh = assemble(input);
      assert.ok(fresh.ok, input.fileName);
      const first = cache.assemble(input);
      const second = cache.assemble(input);
      assert.deepStrictEqual(observable(first), observable(fresh), `${input.fileName}: the storing call`);
      assert.deepStrictEqual(observable(second), observable(fresh), `${input.fileName}: from the cache`);
      assert.strictEqual(second.listing, fresh.listing, `${input.fileName}: the listing of a cached result`);
    }
    assert.deepStrictEqual([cache.misses, cache.hits], [3, 3]);
  });

  it('a linked system from the cache is the one the assembler links', () => {
    const samples = path.join(repositoryRoot(), 'samples');
    const specs = [ntdllModuleSpec(path.join(samples, 'ntdll'), '2003-sp2'), { name: 'hello', entryFile: path.join(samples, 'programs', 'hello.asm'), mode: 'user' as const, base: 0x400000 }];
    const cache = new FileAssemblyCache(newFolder());
    const direct = linkModules(specs, { assembler: directAssembler });
    linkModules(specs, { assembler: cache });
    const cached = linkModules(specs, { assembler: cache });
    assert.ok(cache.hits >= 2, `the second link came from the cache (${cache.hits} hits)`);
    assert.deepStrictEqual(cached.modules.map((module) => [module.name, Array.from(module.image), module.symbols, module.exports]),
      direct.modules.map((module) => [module.name, Array.from(module.image), module.symbols, module.exports]));
  });

  it('an edited %include, a new file that an include search would now find, or other imported values assemble again', () => {
    const folder = newFolder();
    const sources = path.join(folder, 'src');
    const includes = path.join(folder, 'inc');
    fs.mkdirSync(sources);
    fs.mkdirSync(includes);
    const entry = path.join(sources, 'module.asm');
    fs.writeFileSync(entry, 'bits 32\norg 0x1000\n%include "values.inc"\nextern Imported\n        mov eax, VALUE\n        mov ebx, Imported\n');
    fs.writeFileSync(path.join(includes, 'values.inc'), 'VALUE equ 1\n');
    const cache = new FileAssemblyCache(path.join(folder, 'cache'));
    const input = (imported: number): AssembleInput => ({ fileName: entry, includePaths: [includes], predefined: { Imported: imported } });
    const valueOf = (result: AssemblyResult): number => result.image[1] | (result.image[2] << 8);
    assert.strictEqual(valueOf(cache.assemble(input(5))), 1);
    assert.strictEqual(valueOf(cache.assemble(input(5))), 1);
    assert.strictEqual(cache.hits, 1);
    fs.writeFileSync(path.join(includes, 'values.inc'), 'VALUE equ 2\n');
    assert.strictEqual(valueOf(cache.assemble(input(5))), 2, 'the edited include is seen');
    // The entry file's own folder is searched before the include path: a values.inc there now wins.
    fs.writeFileSync(path.join(sources, 'values.inc'), 'VALUE equ 3\n');
    assert.strictEqual(valueOf(cache.assemble(input(5))), 3, 'the shadowing include is seen');
    const other = cache.assemble(input(0x1234));
    assert.deepStrictEqual(Array.from(other.image.slice(6, 10)), [0x34, 0x12, 0, 0], 'the other import value is assembled in');
    assert.strictEqual(cache.hits, 1, 'none of these came from the cache');
    fs.writeFileSync(entry, fs.readFileSync(entry, 'utf8').replace('mov eax, VALUE', 'mov ecx, VALUE'));
    assert.strictEqual(cache.assemble(input(5)).image[0], 0xB9, 'the edited entry file is seen');
  });

  it('results with errors are not kept, and a damaged or unwritable cache only means assembling as usual', () => {
    const folder = newFolder();
    const cacheFolder = path.join(folder, 'cache');
    const cache = new FileAssemblyCache(cacheFolder);
    const bad: AssembleInput = { fileName: path.join(folder, 'bad.asm'), source: 'bits 32\n        movl eax, 1\n' };
    assert.strictEqual(cache.assemble(bad).ok, false);
    assert.strictEqual(cache.assemble(bad).ok, false);
    assert.strictEqual(cache.hits, 0, 'an assembly with errors is never served from the cache');
    const good: AssembleInput = { fileName: path.join(folder, 'good.asm'), source: 'bits 32\norg 0x1000\n        mov eax, 1\n' };
    cache.assemble(good);
    for (const name of fs.readdirSync(cacheFolder)) fs.writeFileSync(path.join(cacheFolder, name), '{ damaged');
    assert.deepStrictEqual(observable(cache.assemble(good)), observable(assemble(good)));
    const blocked = path.join(folder, 'a-file');
    fs.writeFileSync(blocked, '');
    const unwritable = new FileAssemblyCache(path.join(blocked, 'cache'));
    assert.deepStrictEqual(observable(unwritable.assemble(good)), observable(assemble(good)));
    assert.deepStrictEqual(observable(unwritable.assemble(good)), observable(assemble(good)));
  });

  it('NTSYSCALL_ASSEMBLY_CACHE chooses the folder or turns the cache off; by default it lives under the user cache folder', () => {
    assert.strictEqual(defaultAssemblyCache({ NTSYSCALL_ASSEMBLY_CACHE: 'off' }), directAssembler);
    const named = defaultAssemblyCache({ NTSYSCALL_ASSEMBLY_CACHE: '/some/where' });
    assert.ok(named instanceof FileAssemblyCache && named.directory === path.resolve('/some/where'));
    const xdg = defaultAssemblyCache({ XDG_CACHE_HOME: '/xdg/cache' });
    assert.ok(xdg instanceof FileAssemblyCache && xdg.directory === path.join('/xdg/cache', 'nt-syscall-debugger', 'assembly'));
  });
});
