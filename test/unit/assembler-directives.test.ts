// Directives and layout: org, bits, sections as nasm -f bin lays them out, align, times, data,
// labels, addressing forms. Bytes recorded from nasm 2.16 and re-checked live when nasm is installed.
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
  { name: "org and bits 32", lines: ["bits 32","org 0x7C900000","start: mov eax, start","call start"], nasm: 'b80000907ce8f6ffffff' },
  { name: "bracket forms of directives", lines: ["[bits 32]","[org 0x100]","[section .data]","db 1","[global foo]","foo: dd foo"], nasm: '0101010000' },
  { name: "sections: .text first, then data sections in order of appearance, each aligned to 4", lines: ["org 0x1000","section .data","d1: db 1,2,3","section .text","t1: db 0x90","section .rdata","r1: db 7","section .data","d2: db 5","section .text","dd d1, d2, r1, t1","section .foo","f1: db 9"], nasm: '9014100000171000001810000000100000000000010203050700000009' },
  { name: ".bss takes no room in the image but follows the data sections", lines: ["org 0x400000","section .text","mov eax, buf","mov ebx, msg","section .bss","buf: resb 100","after: resd 1","section .data","msg: db \"hi\", 10","dd after"], nasm: '66b81400400066bb0c00400068690a78004000' },
  { name: "an org that is not aligned: .text starts at org, .data at the next multiple of 4", lines: ["org 0x1001","nop","x: dd $$, x, d","section .data","d: db 1"], nasm: '90011000000210000010100000000001' },
  { name: "an align directive in .text aligns the section itself", lines: ["org 0x1001","nop","align 4","x: dd $$, x"], nasm: '000000909090900410000008100000' },
  { name: "section align= attribute", lines: ["section .data align=16","d1: db 1","section .text","nop","dd d1"], nasm: '9010000000000000000000000000000001' },
  { name: "align pads with nop and raises the section alignment", lines: ["nop","section .data","db 1","align 16","db 2","align 4, db 0","db 3"], nasm: '90000000000000000000000000000000019090909090909090909090909090900200000003' },
  { name: "alignb reserves in .bss", lines: ["nop","section .bss","resb 1","alignb 8","x: resb 1","section .text","dd x"], nasm: '9010000000' },
  { name: "resb/resw/resd in an initialised section write zeros", lines: ["bits 32","db 1","resb 2","resw 1","resd 1","db 2"], nasm: '01000000000000000002' },
  { name: "times repeats data and instructions; $ is the line start each time", lines: ["bits 32","times 3 dd $","times 2 db 1, 2","times 3 nop","times 4 - 2 push eax"], nasm: '000000000000000000000000010201029090905050' },
  { name: "times with $$ pads to a size", lines: ["org 0x7C00","jmp $","times 16 - ($ - $$) db 0xCC","dw 0xAA55"], nasm: 'ebfecccccccccccccccccccccccccccc55aa' },
  { name: "db/dw/dd with numbers, strings and characters", lines: ["bits 32","db 'hello', 0, 'x' + 1","dw 'abc', -1, 65535","dd 'abcde', -3000000000","db `a\\nb\\x41\\0`","dq 0x123456789"], nasm: '68656c6c6f007961626300ffffffff616263646500000000a22f4d610a6241008967452301000000' },
  { name: "labels with and without a colon", lines: ["bits 32","label1 nop","label2 db 1","label3","label4: dd label1, label2, label3, label4"], nasm: '900100000000010000000200000002000000' },
  { name: "forward references settle over passes (short and near jumps)", lines: ["bits 32","foo: jmp bar","bar: jmp foo","times 130 nop","jz foo","jz baz","times 126 nop","baz:","loop foo2","foo2: call foo"], nasm: 'eb00ebfc909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090900f8474ffffff747e909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090909090e200e8edfeffff' },
  { name: "memory operands: base, index, scale, displacement, segments", lines: ["bits 32","mov eax, [ebx+ecx*4+8]","mov eax, [eax*2]","mov eax, [nosplit eax*2]","mov eax, [eax*5]","mov eax, [ebp]","mov eax, [esp]","mov eax, [eax+esp]","mov eax, fs:[0x124]","mov eax, [fs:0x124]","lea edx, [esp+8]","mov eax, [dword ebx+1]","mov eax, [byte ebx+0]"], nasm: '8b448b088b04008b0445000000008b04808b45008b04248b040464a12401000064a1240100008d5424088b83010000008b4300' },
  { name: "a label in a displacement keeps 32 bits; a label difference may shrink", lines: ["bits 32","label: mov eax, [ebx+label]","mov eax, [ebx+label-$$]","mov byte [label], 1","push label","push 5","push dword 5","add eax, byte 3"], nasm: '8b83000000008b03c605000000000168000000006a056a0583c003' },
  { name: "prefixes, far pointers and far indirect branches", lines: ["bits 32","rep movsd","lock add [eax], ebx","o16 push ax","a16 mov eax, [bx+si]","fs lodsd","jmp 0x08:0x1000","call far [ebx]","jmp far [ebx+4]"], nasm: 'f3a5f001186650678b0064adea001000000800ff1bff6b04' },
  { name: "bits 16 code", lines: ["bits 16","mov ax, 1","mov eax, 1","mov [bx+si+2], al","jmp short $"], nasm: 'b8010066b801000000884002ebfe' },
  { name: "global and extern-free module with equ", lines: ["bits 32","global entry","SERVICE equ 0xB7","entry: mov eax, SERVICE","ret 9*4"], nasm: 'b8b7000000c22400' },
  { name: "struc/endstruc give field offsets and NAME_size", lines: ["bits 32","struc KTRAP_FRAME",".DbgEbp: resd 1",".DbgEip: resd 1",".pad resb 3","alignb 4",".Eax: resd 1","endstruc","mov eax, [ebp + KTRAP_FRAME.Eax]","dd KTRAP_FRAME_size, KTRAP_FRAME, KTRAP_FRAME.DbgEip"], nasm: '8b450c100000000000000004000000' },
  { name: "istruc/at/iend lay out an instance padded with zeros", lines: ["bits 32","struc KSERVICE_TABLE_DESCRIPTOR",".Base: resd 1",".Count: resd 1",".Limit: resd 1",".Number: resd 1","endstruc","section .data","table:","istruc KSERVICE_TABLE_DESCRIPTOR","at KSERVICE_TABLE_DESCRIPTOR.Base, dd 0x1234","at KSERVICE_TABLE_DESCRIPTOR.Limit, dd 0x11C","iend","db 0xEE","section .text","mov eax, [table + KSERVICE_TABLE_DESCRIPTOR.Limit]"], nasm: 'a11000000000000034120000000000001c01000000000000ee' },
  { name: "absolute names addresses without assembling", lines: ["bits 32","x: nop","absolute 0xFFDFF000","KPCR_ExceptionList: resd 1","KPCR_Pad: resb 0x120 - 4","KPCR_Prcb: resd 1","section .text","mov eax, [KPCR_Prcb]","dd KPCR_ExceptionList, x"], nasm: '90a120f1dfff00f0dfff00000000' },
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

describe('assembler directives', () => {
  checkCases(CASES, 'directives.asm');

  it('lays sections out and reports their addresses and sizes', () => {
    const result = assemble({ fileName: 'layout.asm', source: 'org 0x1000\nnop\nsection .data\ndb 1, 2\nsection .bss\nresd 3\n' });
    assert.deepStrictEqual(result.sections.map((s) => [s.name, s.address, s.size, s.nobits]), [
      ['.text', 0x1000, 1, false], ['.data', 0x1004, 2, false], ['.bss', 0x1008, 12, true],
    ]);
    assert.strictEqual(result.origin, 0x1000);
    assert.strictEqual(result.image.length, 6);
  });

  it('gives every label an address and a size up to the next label', () => {
    const result = assemble({ fileName: 'sizes.asm', source: 'bits 32\norg 0x400000\nglobal a\na: nop\nnop\n.inner: nop\nb: ret\nsection .bss\nbuf: resb 16\n' });
    const table = result.symbols.map((s) => [s.name, s.address, s.size, s.section, s.global, s.local]);
    assert.deepStrictEqual(table, [
      ['a', 0x400000, 3, '.text', true, false],
      ['a.inner', 0x400002, 1, '.text', false, true],
      ['b', 0x400003, 1, '.text', false, false],
      ['buf', 0x400004, 16, '.bss', false, false],
    ]);
    assert.deepStrictEqual(result.globals, ['a']);
  });

  it('lists externs and takes their values from predefined imports', () => {
    const source = 'bits 32\norg 0x400000\nextern NtClose\ncall NtClose\n';
    const linked = assemble({ fileName: 'imports.asm', source, predefined: { NtClose: 0x7C900000 } });
    assert.deepStrictEqual(linked.externs, ['NtClose']);
    assert.strictEqual(Buffer.from(linked.image).toString('hex'), 'e8fbff4f7c');
  });
});
