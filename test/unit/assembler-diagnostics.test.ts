// Bad input: every problem is a diagnostic `file:line:col: message` pointing at the offending token,
// all of them collected in one run; the assembler never throws and never hangs.
import * as assert from 'assert';
import { assemble } from '../../core/asm/assembler';
import { formatDiagnostic } from '../../core/asm/diagnostics';

/** Assembles and returns the formatted errors (warnings left out). */
function errorsOf(source: string, fileName = 'test.asm'): string[] {
  const result = assemble({ fileName, source });
  assert.strictEqual(result.ok, result.diagnostics.every((d) => d.severity !== 'error'));
  return result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

describe('assembler diagnostics', () => {
  it('points at an unknown mnemonic', () => {
    const lines = Array.from({ length: 11 }, () => '        nop');
    lines.push('        movl eax, 1');
    assert.deepStrictEqual(errorsOf(`${lines.join('\n')}\n`, 'readfile.asm'), ["readfile.asm:12:9: unknown instruction 'movl'"]);
  });

  it('reports a wrong operand combination with the encoder\'s message', () => {
    const errors = errorsOf('bits 32\nmov eax, bl\nadd eax, ecx, edx\n');
    assert.strictEqual(errors.length, 2);
    assert.match(errors[0], /^test\.asm:2:1: .*mov/);
    assert.match(errors[1], /^test\.asm:3:1: .*add/);
  });

  it('reports an immediate out of range at the operand', () => {
    const errors = errorsOf('bits 32\nmov al, 300\nint 256\n');
    assert.strictEqual(errors.length, 2, errors.join('\n'));
    assert.match(errors[0], /^test\.asm:2:9: /);
    assert.match(errors[1], /^test\.asm:3:5: /);
  });

  it('reports an undefined label where it is used', () => {
    assert.deepStrictEqual(errorsOf('bits 32\n  jmp nowhere\n  dd 1 + .missing\n'), [
      "test.asm:2:7: symbol 'nowhere' is not defined",
      "test.asm:3:10: symbol '.missing' is not defined",
    ]);
  });

  it('reports a duplicate label and where the first one is', () => {
    assert.deepStrictEqual(errorsOf('a: nop\nb: nop\n  a: nop\n'), ["test.asm:3:3: label 'a' is already defined at test.asm:1"]);
  });

  it('reports an unterminated string once, at its quote', () => {
    assert.deepStrictEqual(errorsOf('db "abc\ndb \'x\n'), [
      'test.asm:1:4: unterminated string (missing closing ")',
      "test.asm:2:4: unterminated string (missing closing ')",
    ]);
  });

  it('reports %include not found at the file name', () => {
    const errors = errorsOf('nop\n%include "missing.inc"\n');
    assert.strictEqual(errors.length, 1);
    assert.match(errors[0], /^test\.asm:2:10: %include file 'missing\.inc' not found/);
  });

  it('reports a circular equ once', () => {
    assert.deepStrictEqual(errorsOf('a equ b + 1\nb equ c\nc equ a\ndd a\n'), ['test.asm:1:1: circular definition: a -> b -> c -> a']);
  });

  it('reports a short jump out of range at the operand', () => {
    const errors = errorsOf('bits 32\njmp short target\ntimes 200 nop\ntarget: ret\n');
    assert.strictEqual(errors.length, 1);
    assert.match(errors[0], /^test\.asm:2:5: .*out of range/);
  });

  it('reports bad numbers, brackets and parentheses', () => {
    assert.deepStrictEqual(errorsOf('bits 32\ndd 12x3\nmov eax, [ebx+4\nmov eax, (1+2\nmov eax, ebx]\n'), [
      "test.asm:2:4: invalid number '12x3'",
      "test.asm:3:10: unbalanced brackets: '[' is never closed",
      "test.asm:4:10: unbalanced parentheses: '(' is never closed",
      "test.asm:5:13: unbalanced brackets: unexpected ']'",
    ]);
  });

  it('rejects invalid effective addresses', () => {
    assert.deepStrictEqual(errorsOf('bits 32\nmov eax, [ebx*3+ecx]\nmov eax, [eax+ebx+ecx]\nmov eax, [al]\nmov eax, [eax+bx]\n'), [
      'test.asm:2:10: invalid memory address: scale 3 (use 1, 2, 4 or 8)',
      'test.asm:3:10: invalid memory address: too many registers',
      "test.asm:4:10: register 'al' cannot be used in a memory address",
      'test.asm:5:10: a memory address cannot mix 16-bit and 32-bit registers',
    ]);
  });

  it('requires times and resb counts to be known where they are written', () => {
    assert.deepStrictEqual(errorsOf('resb later\nlater:\ntimes -1 nop\ntimes 100000000 db 0\n'), [
      "test.asm:1:6: 'later' is defined after this line, but the resb count must be known where it is written",
      'test.asm:3:1: the times count is negative (-1)',
      'test.asm:4:1: the times count 100000000 is too large (at most 16777216)',
    ]);
  });

  it('checks global, extern and org declarations', () => {
    assert.deepStrictEqual(errorsOf('org 1\norg 2\nglobal nothere\nextern x\nx: nop\n'), [
      'test.asm:2:1: org given twice (first 0x1 at test.asm:1)',
      "test.asm:3:8: global 'nothere' is never defined in this module",
      "test.asm:4:8: 'x' is declared extern but also defined at test.asm:5",
    ]);
  });

  it('checks struc, istruc and absolute blocks', () => {
    assert.deepStrictEqual(errorsOf('struc S\n.a: resd 1\ndb 1\nendstruc\nendstruc\nistruc S\nat S.a, dd 1\nat S.a, dd 2\niend\nstruc T\n'), [
      'test.asm:3:1: no code or data can be assembled inside struc or absolute space (use resb/resw/resd)',
      'test.asm:5:1: endstruc without a matching struc',
      'test.asm:8:1: fields of an istruc must be given in order, without overlap',
      'test.asm:10:7: struc T without a matching endstruc',
    ]);
  });

  it('collects every error of a file in one run, in source order', () => {
    const source = [
      'bits 32', 'movl eax, 1', 'mov eax, bl', 'jmp undefined_label', 'db "abc', 'dd 0x12g', 'x: nop', 'x: nop',
      'a equ b', 'b equ a', 'mov eax, [ebx+4', 'mov eax, 1 / 0', '%include "nothere.inc"', '%bogus',
    ].join('\n');
    const errors = errorsOf(`${source}\n`);
    assert.deepStrictEqual(errors.map((e) => Number(e.split(':')[1])), [2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 14]);
  });

  it('never throws on hostile input and stops runaway expansion', () => {
    const hostile = [
      '%define A A A A A A\n'.repeat(3) + 'dd A\n',
      '%rep 1000000\n%rep 1000000\nnop\n%endrep\n%endrep\n',
      'times 16777216 times 16777216 db 0\n',
      '\u0000\u0001\u00ff[[[((\n',
      '%macro m 0\nm\nm\n%endmacro\nm\n',
      `dd ${'('.repeat(5000)}1${')'.repeat(5000)}\n`,
      `dd ${'-'.repeat(5000)}1\n`,
    ];
    for (const source of hostile) {
      const started = Date.now();
      const result = assemble({ fileName: 'hostile.asm', source });
      assert.ok(Date.now() - started < 10_000, `took too long on ${JSON.stringify(source)}`);
      assert.strictEqual(result.ok, false, JSON.stringify(source));
      for (const diagnostic of result.diagnostics) assert.ok(diagnostic.line >= 1 && diagnostic.column >= 1);
    }
  });
});
