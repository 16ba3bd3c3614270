// Expressions with NASM's semantics: number forms, operators, precedence, $ and $$, labels and local
// labels. Each case's bytes were produced by nasm 2.16; when nasm is installed the test re-checks them.
import * as assert from 'assert';
import { assemble } from '../../core/asm/assembler';
import { findExecutable, nasmAssemble } from '../support/oracle-tools';

interface ByteCase {
  name: string;
  lines: string[];
  /** What `nasm -f bin` writes for these lines. */
  nasm: string;
}

const CASES: ByteCase[] = [
  { name: "hexadecimal forms", lines: ["dd 0x10, 10h, 0h10, $1f, 0xdead_beef"], nasm: '1000000010000000100000001f000000efbeadde' },
  { name: "binary, octal and decimal forms", lines: ["dd 0b101, 101b, 0y11, 17q, 17o, 0o17, 0q17, 0d10, 0t10, 10d, 1_000"], nasm: '0500000005000000030000000f0000000f0000000f0000000f0000000a0000000a0000000a000000e8030000' },
  { name: "prefix and suffix both present: the larger radix wins", lines: ["dd 0bh, 0b1h, 0dh, 0d10"], nasm: '0b000000b10000000d0000000a000000' },
  { name: "character constants are little-endian", lines: ["dd 'a', 'ab', 'abcd'","dw 'xy'"], nasm: '6100000061620000616263647879' },
  { name: "unsigned and signed division and remainder", lines: ["dd 7/2, -7/2, -7//2, 7 % 3, -7 % 3, -7 %% 3"], nasm: '03000000fcfffffffdffffff0100000000000000ffffffff' },
  { name: "shifts are 64-bit, >> logical, >>> arithmetic", lines: ["dd 1<<33>>2, -1>>60, -8>>>1, 1<<31"], nasm: '000000800f000000fcffffff00000080' },
  { name: "bitwise operators and precedence", lines: ["dd 7 & 3 | 8 ^ 1, ~0, 1 + 2 * 3, (1 + 2) * 3, -(-5), +4"], nasm: '0b000000ffffffff07000000090000000500000004000000' },
  { name: "comparisons and logical operators", lines: ["dd 3 < 4, -1 < 0, 2 == 2, 2 != 2, 1 <> 2, 5 >= 5, 4 > 5, 4 <= 3","dd !5, !0, 1 && 0, 1 || 0, 1 ^^ 1"], nasm: '01000000010000000100000000000000010000000100000000000000000000000000000001000000000000000100000000000000' },
  { name: "conditional operator", lines: ["dd 1 ? 2 : 3, 0 ? 2 : 3"], nasm: '0200000003000000' },
  { name: "64-bit intermediate values wrap when stored", lines: ["dd (0xFFFFFFFF + 1) >> 1, 0xFFFFFFFF * 2"], nasm: '00000080feffffff' },
  { name: "$ and $$ inside a section", lines: ["org 0x100","nop","here: dd $, $$, $ - $$, here - $$"], nasm: '9001010000000100000100000001000000' },
  { name: "labels, local labels and full local names", lines: ["bits 32","first:",".x: dd .x, first.x, second.x","second:",".x: dd .x, first.x","dd first.x - second.x"], nasm: '00000000000000000c0000000c00000000000000f4ffffff' },
  { name: "equ does not open a new local-label scope", lines: ["a:","x equ 5",".l:","dd a.l, x"], nasm: '0000000005000000' },
  { name: "equ constants defined after their use", lines: ["bits 32","dd y","y equ x * 2 + z","x equ 10","z equ 3"], nasm: '17000000' },
];

describe('assembler expressions', () => {
  const nasm = findExecutable('nasm');
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const source = `${testCase.lines.join('\n')}\n`;
      if (nasm) assert.strictEqual(nasmAssemble(nasm, source).toString('hex'), testCase.nasm, 'the recorded bytes are nasm\'s');
      const result = assemble({ fileName: 'expressions.asm', source });
      assert.deepStrictEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
      assert.strictEqual(Buffer.from(result.image).toString('hex'), testCase.nasm);
    });
  }

  it('reports division by zero at the operator', () => {
    const result = assemble({ fileName: 'div.asm', source: 'dd 1 / 0\n' });
    assert.strictEqual(result.ok, false);
    assert.deepStrictEqual(result.diagnostics.map((d) => [d.line, d.column, d.message]), [[1, 6, 'division by zero']]);
  });

  it('reports a bad number at its first character', () => {
    const result = assemble({ fileName: 'num.asm', source: 'dd 1, 0x12g\n' });
    assert.deepStrictEqual(result.diagnostics.map((d) => [d.line, d.column, d.message]), [[1, 7, "invalid number '0x12g'"]]);
  });

  it('reports unbalanced parentheses at the opening one', () => {
    const result = assemble({ fileName: 'paren.asm', source: 'dd (1 + (2 * 3)\ndd 1 + 2)\n' });
    assert.deepStrictEqual(result.diagnostics.map((d) => [d.line, d.column, d.message]), [
      [1, 4, "unbalanced parentheses: '(' is never closed"],
      [2, 9, "unbalanced parentheses: unexpected ')'"],
    ]);
  });
});
