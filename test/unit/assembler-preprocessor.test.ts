// The preprocessor: %define, %macro, %if, %rep, %include — with byte results recorded from nasm 2.16,
// and locations that point at the line a person wrote (inside %included files too).
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
  { name: "%define with and without parameters, %undef, %ifdef/%else", lines: ["bits 32","%define N 5","%define ADD(a,b) ((a)+(b))","mov eax, N","mov ebx, ADD(N, 2)","%undef N","%ifdef N","db 1","%else","db 2","%endif"], nasm: 'b805000000bb0700000002' },
  { name: "%if, %elif, %else with expressions", lines: ["%define V 3","%if V > 5","db 1","%elif V == 3","db 2","%else","db 3","%endif","%ifndef W","db 4","%endif"], nasm: '0204' },
  { name: "nested %if inside a false branch stays false", lines: ["%if 0","%if 1","db 1","%endif","db 2","%else","db 3","%endif"], nasm: '03' },
  { name: "%macro with %1, %2, %0 and a macro-local label", lines: ["bits 32","%macro pushm 2","  push %1","  push %2","%%l: jmp %%l","  db %0","%endmacro","pushm eax, 5","pushm ebx, dword 7"], nasm: '506a05ebfe02536a07ebfe02' },
  { name: "greedy macro parameter and a label before an invocation", lines: ["bits 32","%macro bytes 1+","  db %1","%endmacro","here: bytes 1, 2, 3","dd here"], nasm: '01020300000000' },
  { name: "a macro calling a macro", lines: ["bits 32","%macro inner 1","  inc %1","%endmacro","%macro outer 2","  inner %1","  inner %2","%endmacro","outer eax, ebx"], nasm: '4043' },
  { name: "%rep and %assign", lines: ["bits 32","%rep 3","inc eax","%endrep","%assign i 0","%rep 4","db i","%assign i i+1","%endrep"], nasm: '40404000010203' },
  { name: "%xdefine expands at definition", lines: ["%define A 1","%xdefine B A","%define A 2","db A, B"], nasm: '0201' },
  { name: "%idefine is case-insensitive", lines: ["%idefine Size 4","db SIZE, size"], nasm: '0404' },
  { name: "macro parameter ranges with defaults; %0 counts the defaults", lines: ["bits 32","%macro m 1-3 5, 6","db %1, %2, %3, %0","%endmacro","m 1","m 1, 2","m 1, 2, 3"], nasm: '010506030102060301020303' },
  { name: "any number of parameters (1-*) and .nolist", lines: ["bits 32","%macro many 1-*","db %0","%endmacro","many 1","many 1, 2, 3","%macro quiet 0.nolist","nop","%endmacro","quiet"], nasm: '010390' },
  { name: "braces keep a comma inside one macro argument", lines: ["bits 32","%macro two 2","db %1","db %2","%endmacro","two {1, 2}, 3"], nasm: '010203' },
  { name: "%+ pastes tokens into one name", lines: ["bits 32","%assign vec 0","%rep 3","KiTrap %+ vec: nop","%assign vec vec+1","%endrep","dd KiTrap0, KiTrap2","%macro lbl 1","entry_ %+ %1: db %1","%endmacro","lbl 5","dd entry_5"], nasm: '9090900000000002000000050b000000' },
];

function checkCases(cases: readonly ByteCase[], fileName: string): void {
  const nasm = findExecutable('nasm');
  for (const testCase of cases) {
    it(testCase.name, () => {
      const source = `${testCase.lines.join('\n')}\n`;
      if (nasm) assert.strictEqual(nasmAssemble(nasm, source).toString('hex'), testCase.nasm, 'the recorded bytes are nasm\'s');
      const result = assemble({ fileName, source });
      assert.deepStrictEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
      assert.strictEqual(Buffer.from(result.image).toString('hex'), testCase.nasm);
    });
  }
}

function virtualFiles(files: Record<string, string>): (filePath: string) => string | undefined {
  return (filePath) => files[filePath.replace(/\\/g, '/')];
}

describe('assembler preprocessor', () => {
  checkCases(CASES, 'preprocessor.asm');

  it('%include finds files beside the including file, then in include paths', () => {
    const readFile = virtualFiles({
      'src/main.asm': 'bits 32\n%include "sub/a.inc"\n%include "b.inc"\nnop\n',
      'src/sub/a.inc': 'mov eax, 1\n%include "c.inc"\n',
      'src/sub/c.inc': 'inc eax\n',
      'lib/b.inc': 'ret\n',
    });
    const result = assemble({ fileName: 'src/main.asm', readFile, includePaths: ['lib'] });
    assert.deepStrictEqual(result.diagnostics, []);
    assert.strictEqual(Buffer.from(result.image).toString('hex'), 'b80100000040c390');
    assert.deepStrictEqual(result.lines.lookupAddress(5), { file: 'src/sub/c.inc', line: 1, start: 5, kind: 'instruction' });
  });

  it('reports an error inside an included file at that file\'s line', () => {
    const readFile = virtualFiles({ 'main.asm': 'bits 32\nnop\n%include "stubs.inc"\n', 'stubs.inc': 'nop\n\n   movl eax, 1\n' });
    const result = assemble({ fileName: 'main.asm', readFile });
    assert.deepStrictEqual(result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`), ["stubs.inc:3:4: unknown instruction 'movl'"]);
  });

  it('maps macro output to the invoking line', () => {
    const source = 'bits 32\n%macro two 0\nnop\nnop\n%endmacro\n  two\nret\n';
    const result = assemble({ fileName: 'm.asm', source });
    assert.deepStrictEqual(result.lines.addressesOfLine('m.asm', 6), [0, 1]);
    assert.deepStrictEqual(result.lines.addressesOfLine('m.asm', 7), [2]);
  });

  it('reports a missing and a recursive %include, and keeps going', () => {
    const readFile = virtualFiles({ 'main.asm': '%include "gone.inc"\n%include "self.inc"\nbad bad\n', 'self.inc': 'db 1\n%include "self.inc"\n' });
    const result = assemble({ fileName: 'main.asm', readFile });
    const messages = result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`);
    assert.strictEqual(messages.length, 3, messages.join('\n'));
    assert.match(messages[0], /^main\.asm:1:10: %include file 'gone\.inc' not found/);
    assert.strictEqual(messages[1], "main.asm:3:1: unknown instruction 'bad'");
    assert.strictEqual(messages[2], "self.inc:2:10: recursive %include of 'self.inc' (it is already being included)");
  });

  it('stops a macro that invokes itself forever', () => {
    const result = assemble({ fileName: 'loop.asm', source: '%macro again 0\nagain\n%endmacro\nagain\n' });
    assert.strictEqual(result.ok, false);
    assert.match(result.diagnostics[0].message, /nested more than \d+ deep/);
    assert.strictEqual(result.diagnostics[0].line, 4);
  });

  it('stops a %define that expands to itself through another', () => {
    const result = assemble({ fileName: 'def.asm', source: '%define A B + 1\n%define B A + 1\ndd A\n' });
    // nasm leaves a name unexpanded inside its own expansion, so A becomes `A + 1 + 1`: an undefined symbol
    assert.deepStrictEqual(result.diagnostics.map((d) => [d.line, d.column, d.message]), [[3, 4, "symbol 'A' is not defined"]]);
  });

  it('reports unbalanced conditionals and unterminated macros', () => {
    const result = assemble({ fileName: 'c.asm', source: '%if 1\ndb 1\n%else\n%else\n%endif\n%endif\n%macro m 0\nnop\n' });
    assert.deepStrictEqual(result.diagnostics.map((d) => [d.line, d.column, d.message]), [
      [4, 1, '%else given twice for one %if'],
      [6, 1, '%endif without a matching %if'],
      [7, 1, '%macro without a matching %endmacro'],
    ]);
  });

  it('checks the number of macro parameters', () => {
    const result = assemble({ fileName: 'p.asm', source: '%macro m 2\ndb %1, %2\n%endmacro\nm 1\nm 1, 2\n' });
    assert.deepStrictEqual(result.diagnostics.map((d) => [d.line, d.column, d.message]), [[4, 1, "macro 'm' takes 2 parameters, given 1"]]);
    assert.strictEqual(Buffer.from(result.image).toString('hex'), '0102');
  });
});
