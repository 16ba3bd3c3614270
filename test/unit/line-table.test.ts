// Line tables for every sample: each source line holding an instruction maps to its address, the address
// maps back to that line, and the decoder reads exactly one instruction of the recorded size there.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { assemble } from '../../core/asm/assembler';
import { LineTable } from '../../core/asm/line-table';
import { isMnemonic } from '../../core/asm/mnemonics';
import { decodeBytes } from '../../core/isa/decoder';
import { repositoryRoot } from '../support/oracle-tools';

function findAssemblySources(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return findAssemblySources(full);
    return entry.name.endsWith('.asm') ? [full] : [];
  }).sort();
}

/**
 * 1-based numbers of the lines whose statement is one instruction assembled once: lines inside %macro,
 * %rep and %if blocks are left out (they may be assembled many times or not at all).
 */
function instructionLines(source: string): number[] {
  const numbers: number[] = [];
  let blockDepth = 0;
  source.split('\n').forEach((text, index) => {
    const code = text.replace(/;.*$/, '').replace(/^\s*[A-Za-z_.?@$][\w.?@$#~]*:/, '').trim();
    const directive = /^%(\w+)/.exec(code)?.[1]?.toLowerCase();
    if (directive && /^(macro|imacro|rep|if\w*)$/.test(directive)) blockDepth++;
    if (directive && /^(endmacro|endm|endrep|endif)$/.test(directive)) blockDepth = Math.max(0, blockDepth - 1);
    if (blockDepth > 0 || directive) return;
    const words = code.split(/[\s,]+/).filter((word) => word.length > 0);
    const mnemonic = words.find((word) => !['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'o16', 'o32', 'a16', 'a32'].includes(word.toLowerCase()));
    if (mnemonic && isMnemonic(mnemonic) && !/^times\b/i.test(code)) numbers.push(index + 1);
  });
  return numbers;
}

describe('line tables of the samples', () => {
  const files = findAssemblySources(path.join(repositoryRoot(), 'samples'));

  it('there are samples to check', () => assert.ok(files.length >= 3));

  for (const file of files) {
    it(`${path.relative(repositoryRoot(), file)}: every instruction line maps to its address and back`, () => {
      const result = assemble({ fileName: file });
      assert.deepStrictEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
      const text = result.sections.find((section) => section.name === '.text')!;
      // the entry file and every file it includes that produced code
      const sourceFiles = [...new Set([file, ...result.lines.files()])];
      let instructionLineCount = 0;
      for (const sourceFile of sourceFiles) {
        const lines = instructionLines(fs.readFileSync(sourceFile, 'utf8'));
        instructionLineCount += lines.length;
        for (const line of lines) {
          const where = `${path.basename(sourceFile)}:${line}`;
          const addresses = result.lines.addressesOfLine(sourceFile, line);
          assert.strictEqual(addresses.length, 1, `${where} should hold exactly one instruction`);
          const back = result.lines.lookupAddress(addresses[0]);
          assert.deepStrictEqual(back && [back.file, back.line, back.start, back.kind], [sourceFile, line, addresses[0], 'instruction'], where);
          const entry = result.lines.entries.find((candidate) => candidate.address === addresses[0])!;
          if (addresses[0] >= text.address && addresses[0] < text.address + text.size) {
            const decoded = decodeBytes(text.bytes, addresses[0] - text.address, addresses[0], 32);
            assert.ok(decoded.ok, `${where}: ${decoded.ok ? '' : decoded.message}`);
            assert.strictEqual(decoded.instruction.length, entry.size, `${where}: decoded length`);
          }
          for (let inside = 1; inside < entry.size; inside++) assert.strictEqual(result.lines.lookupAddress(addresses[0] + inside)?.line, line);
        }
      }
      // a module may keep its code in %included files (the kernel does), but it must hold some
      assert.ok(instructionLineCount > 0, 'the module holds instructions');
      // and the other way: every instruction entry belongs to a line that holds an instruction (or invokes a macro)
      for (const entry of result.lines.entries.filter((candidate) => candidate.kind === 'instruction')) {
        const sourceLine = fs.readFileSync(entry.file, 'utf8').split('\n')[entry.line - 1] ?? '';
        assert.ok(sourceLine.replace(/;.*$/, '').trim().length > 0, `0x${entry.address.toString(16)} maps to ${entry.file}:${entry.line}, an empty line`);
      }
    });
  }

  it('finds lines by absolute or relative file names and answers undefined between entries', () => {
    const table = new LineTable([
      { address: 0x1000, size: 2, file: 'a.asm', line: 3, kind: 'instruction' },
      { address: 0x1004, size: 1, file: 'a.asm', line: 5, kind: 'instruction' },
      { address: 0x1002, size: 1, file: 'a.asm', line: 4, kind: 'data' },
    ]);
    assert.deepStrictEqual(table.addressesOfLine(path.resolve('a.asm'), 5), [0x1004]);
    assert.strictEqual(table.lookupAddress(0x1003), undefined);
    assert.strictEqual(table.lookupAddress(0x1002)?.kind, 'data');
    assert.deepStrictEqual(table.relocated(0x10).addressesOfLine('a.asm', 3), [0x1010]);
  });
});
