// Every module under samples/ assembled by us must be byte-identical to `nasm -f bin` given the module's
// imports as `equ`s (their values from our linker; nasm's bin format has no externs, so the extern lines
// are blanked).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { assemble } from '../../core/asm/assembler';
import { linkModules } from '../../core/asm/linker';
import type { ModuleMode, ModuleSpec } from '../../core/asm/module';
import { nasmAssemble, repositoryRoot, requireOracle } from '../support/oracle-tools';

/** Every .asm file under a folder (include files are .inc and are assembled through their includers). */
function findAssemblySources(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return findAssemblySources(full);
    return entry.name.endsWith('.asm') ? [full] : [];
  }).sort();
}

/** Kernel and drivers are kernel mode; ntdll and programs are user mode. */
function modeOf(file: string, samples: string): ModuleMode {
  const top = path.relative(samples, file).split(path.sep)[0];
  return top === 'kernel' || top === 'drivers' ? 'kernel' : 'user';
}

/** The modules a sample links against: the system modules (kernel/, ntdll/) of its own mode. */
function isSystemModule(file: string, samples: string): boolean {
  const top = path.relative(samples, file).split(path.sep)[0];
  return top === 'kernel' || top === 'ntdll';
}

function specOf(file: string, samples: string): ModuleSpec {
  const origin = assemble({ fileName: file }).origin;
  const name = path.basename(file, '.asm');
  return { name: name === 'ntoskrnl' ? 'nt' : name, entryFile: file, mode: modeOf(file, samples), base: origin };
}

describe('samples against nasm -f bin', () => {
  const samples = path.join(repositoryRoot(), 'samples');
  const files = findAssemblySources(samples);

  it('finds the sample modules', () => {
    assert.ok(files.length >= 3, `only ${files.length} .asm files under samples/`);
  });

  for (const file of files) {
    const relative = path.relative(samples, file);
    it(`${relative} assembles byte-identically to nasm`, function () {
      const spec = specOf(file, samples);
      const partners = files.filter((other) => other !== file && isSystemModule(other, samples) && modeOf(other, samples) === spec.mode)
        .map((other) => specOf(other, samples));
      const linked = linkModules([spec, ...partners]);
      const module = linked.modules[0];
      const problems = linked.diagnostics.filter((d) => d.severity === 'error' && d.file === file);
      assert.deepStrictEqual(problems, [], `our assembler or linker rejected ${relative}`);
      const nasm = requireOracle('nasm', 'apt-get install nasm', 'samples against NASM');
      if (!nasm) return this.skip();
      const imports = Object.entries(module.imports).map(([name, address]) => `${name} equ 0x${address.toString(16)}`);
      const source = fs.readFileSync(file, 'utf8').split('\n').map((line) => (/^\s*extern\s/i.test(line) ? '' : line));
      const expected = nasmAssemble(nasm, [...imports, ...source].join('\n'), ['-I', `${path.dirname(file)}${path.sep}`]);
      assert.strictEqual(Buffer.from(module.image).toString('hex'), expected.toString('hex'));
    });
  }
});
