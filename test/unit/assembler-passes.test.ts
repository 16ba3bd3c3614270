// Passes over a program whose sizes take several passes to settle. The pass that finds the addresses
// settled stands for the final pass when nothing in it could come out differently there; it must leave
// exactly what a final pass leaves: the bytes, each warning once, the listing and the line table. A
// program with an error still gets a final pass, and each error once.
import * as assert from 'assert';
import { assemble } from '../../core/asm/assembler';
import { formatDiagnostic } from '../../core/asm/diagnostics';
import { linkModules } from '../../core/asm/linker';

const SETTLING = [
  'bits 32',
  'org 0x401000',
  'start:  jmp later',
  '        times 100 nop',
  'later:  resb 2',
  '        jz start',
  '        mov eax, [data]',
  '        ret',
  'data:   dd later - start',
  '',
].join('\n');

describe('assembler passes', () => {
  it('settles forward references and keeps what the final pass keeps', () => {
    const result = assemble({ fileName: 't.asm', source: SETTLING });
    // bytes as `nasm -f bin` writes them
    const expected = Buffer.from(`eb64${'90'.repeat(100)}00007496a170104000c366000000`, 'hex');
    assert.strictEqual(Buffer.from(result.image).toString('hex'), expected.toString('hex'));
    assert.deepStrictEqual(result.diagnostics.map(formatDiagnostic), ['t.asm:5:9: warning: uninitialized space declared in .text section: zeroing']);
    assert.deepStrictEqual(result.lines.entries.map((entry) => [entry.address, entry.size, entry.line, entry.kind]), [
      [0x401000, 2, 3, 'instruction'], [0x401002, 100, 4, 'instruction'], [0x401068, 2, 6, 'instruction'],
      [0x40106a, 5, 7, 'instruction'], [0x40106f, 1, 8, 'instruction'], [0x401070, 4, 9, 'data'],
    ]);
    const listing = result.listing.split('\n');
    assert.deepStrictEqual(listing.slice(2, 9).map((row) => row.slice(0, 36).trimEnd()), [
      '     3 00401000 EB64',
      '     4 00401002 90<rep 64h>',
      '     5 00401066 ????',
      '     6 00401068 7496',
      '     7 0040106A A170104000',
      '     8 0040106F C3',
      '     9 00401070 66000000',
    ]);
    assert.strictEqual(result.listing, result.listing, 'the listing is formatted once');
  });

  it('reports each error once, where a final pass finds it', () => {
    const result = assemble({ fileName: 'e.asm', source: `${SETTLING}        jmp nowhere\n        mov al, 300\n        times 30 nop\n        loop start\n` });
    assert.deepStrictEqual(result.diagnostics.map(formatDiagnostic), [
      'e.asm:5:9: warning: uninitialized space declared in .text section: zeroing',
      "e.asm:10:13: symbol 'nowhere' is not defined",
      'e.asm:11:17: immediate 0x12c does not fit in a byte',
      'e.asm:13:14: short jump out of range (target 0x401000 is -148 bytes away)',
    ]);
    assert.strictEqual(result.ok, false);
  });

  it('links without assembling a module again when its imports did not change', () => {
    const sources: Record<string, string> = {
      'lib.asm': 'bits 32\norg 0x10000000\nglobal Helper\nHelper: mov eax, 7\n ret\n',
      'app.asm': 'bits 32\norg 0x400000\nextern Helper\nglobal start\nstart: call Helper\n jmp start\n',
    };
    const reads = new Map<string, number>();
    const readFile = (file: string): string | undefined => {
      reads.set(file, (reads.get(file) ?? 0) + 1);
      return sources[file];
    };
    const linked = linkModules([
      { name: 'lib', entryFile: 'lib.asm', mode: 'user', base: 0x10000000 },
      { name: 'app', entryFile: 'app.asm', mode: 'user', base: 0x400000 },
    ], { readFile });
    assert.deepStrictEqual(linked.diagnostics, []);
    // lib imports nothing: once; app: once without its import, once with it
    assert.deepStrictEqual([reads.get('lib.asm'), reads.get('app.asm')], [1, 2]);
    const app = linked.modules[1];
    const displacement = Buffer.from(app.image).readInt32LE(1);
    assert.strictEqual(app.base + 5 + displacement, linked.findSymbol('lib!Helper')?.address);
  });
});
