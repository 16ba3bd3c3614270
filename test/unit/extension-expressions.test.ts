// What a hover evaluates in an ntasm line, and which registers inline values show.
import { strict as assert } from 'assert';
import { findEnclosingLabel, findEvaluatableExpression } from '../../extension/model/evaluatable-expression';
import { findRegisterUses } from '../../extension/model/inline-registers';

/** Hovers the first occurrence of `under` in `line` (at its `offset`-th character). */
function hover(line: string, under: string, offset = 0, enclosingLabel?: string): { text: string; expression: string } | undefined {
  const column = line.indexOf(under);
  assert.ok(column >= 0, `'${under}' is not in '${line}'`);
  const found = findEvaluatableExpression(line, column + offset, enclosingLabel);
  return found && { text: line.slice(found.start, found.end), expression: found.expression };
}

describe('extension hover: evaluatable expressions in ntasm', () => {
  it('evaluates a register under the mouse, in lower case', () => {
    assert.deepEqual(hover('        mov eax, 0xB7', 'eax', 1), { text: 'eax', expression: 'eax' });
    assert.deepEqual(hover('        MOV EDX, ESP', 'ESP'), { text: 'ESP', expression: 'esp' });
    assert.deepEqual(hover('        mov eax, cr3', 'cr3'), { text: 'cr3', expression: 'cr3' });
  });

  it('evaluates the whole memory operand from anywhere inside its brackets', () => {
    assert.deepEqual(hover('        lea edx, [esp+8]', 'esp'), { text: '[esp+8]', expression: '[esp+8]' });
    assert.deepEqual(hover('        lea edx, [esp+8]', '8]'), { text: '[esp+8]', expression: '[esp+8]' });
    assert.deepEqual(hover('        lea edx, [esp+8]', '['), { text: '[esp+8]', expression: '[esp+8]' });
  });

  it('keeps the size keyword and the segment, and drops `ptr`', () => {
    assert.deepEqual(hover('        mov ecx, dword [edx+8]', 'edx'), { text: 'dword [edx+8]', expression: 'dword [edx+8]' });
    assert.deepEqual(hover('        mov ecx, dword [edx+8]', 'dword'), { text: 'dword [edx+8]', expression: 'dword [edx+8]' });
    assert.deepEqual(hover('        mov eax, fs:[0x124]', 'fs'), { text: 'fs:[0x124]', expression: 'fs:[0x124]' });
    assert.deepEqual(hover('        mov eax, [fs:0x124]', '0x124'), { text: '[fs:0x124]', expression: 'fs:[0x124]' });
    assert.deepEqual(hover('        mov al, byte ptr [esi + 4]', 'esi'), { text: 'byte ptr [esi + 4]', expression: 'byte [esi + 4]' });
    assert.deepEqual(hover('        call dword [edx]                ; -> KiFastSystemCall', 'edx'), { text: 'dword [edx]', expression: 'dword [edx]' });
  });

  it('evaluates symbols in operands and label definitions, not mnemonics or directives', () => {
    assert.deepEqual(hover('        call KiSystemService', 'KiSystemService'), { text: 'KiSystemService', expression: 'KiSystemService' });
    assert.deepEqual(hover('        push io_status                  ; IoStatusBlock', 'io_status'), { text: 'io_status', expression: 'io_status' });
    assert.deepEqual(hover('start:', 'start'), { text: 'start', expression: 'start' });
    assert.deepEqual(hover('FILE_HANDLE     equ 0x4', 'FILE_HANDLE'), { text: 'FILE_HANDLE', expression: 'FILE_HANDLE' });
    assert.deepEqual(hover('buffer: resb BUFFER_SIZE', 'BUFFER_SIZE'), { text: 'BUFFER_SIZE', expression: 'BUFFER_SIZE' });
    assert.deepEqual(hover('        extern NtReadFile', 'NtReadFile'), { text: 'NtReadFile', expression: 'NtReadFile' });
    assert.equal(hover('        call KiSystemService', 'call'), undefined);
    assert.equal(hover('        rep movsd', 'movsd'), undefined);
    assert.equal(hover('NtReadFile: mov eax, 0xB7', 'mov'), undefined);
    assert.equal(hover('        section .text', '.text'), undefined);
    assert.equal(hover('        bits 32', 'bits'), undefined);
    assert.equal(hover('        jmp short .loop', 'short'), undefined);
  });

  it('qualifies local labels with the label above them', () => {
    assert.deepEqual(hover('        jnz .loop', '.loop', 0, 'copy_arguments'), { text: '.loop', expression: 'copy_arguments.loop' });
    assert.deepEqual(hover('.status:        dd 0', '.status', 0, 'io_status'), { text: '.status', expression: 'io_status.status' });
    const lines = ['io_status:', '.status:        dd 0', '.information:   dd 0', 'buffer resb 64', '.tail: db 0'];
    assert.equal(findEnclosingLabel(lines, 2), 'io_status');
    assert.equal(findEnclosingLabel(lines, 4), 'buffer');
    assert.equal(findEnclosingLabel(['        nop'], 0), undefined);
  });

  it('finds nothing in comments, strings, numbers, blank space or preprocessor lines', () => {
    assert.equal(hover('        int 0x2E                        ; -> IDT[0x2E] = nt!KiSystemService', 'KiSystemService'), undefined);
    assert.equal(hover('        int 0x2E                        ; -> IDT[0x2E]', '[0x2E]'), undefined);
    assert.equal(hover("        db 'eax; not a comment', 0", 'eax'), undefined);
    assert.equal(hover('        mov eax, 0xB7', '0xB7'), undefined);
    assert.equal(findEvaluatableExpression('        mov eax, 1', 2), undefined);
    assert.equal(hover('%define IMPLEMENTED_NtReadFile', 'IMPLEMENTED'), undefined);
    assert.equal(hover('        mov eax, $', '$'), undefined);
  });
});

describe('extension inline values: registers a line uses', () => {
  it('lists each register once, in order, with its columns', () => {
    const line = '        lea edx, [esp+8]                ; edx = the caller\'s arguments';
    assert.deepEqual(findRegisterUses(line), [
      { register: 'edx', start: 12, end: 15 },
      { register: 'esp', start: 18, end: 21 },
    ]);
    assert.deepEqual(findRegisterUses('        mov eax, [eax+ecx*4]').map((use) => use.register), ['eax', 'ecx']);
  });

  it('includes sub-, segment and control registers and ignores comments, strings and names', () => {
    assert.deepEqual(findRegisterUses('        mov al, byte [fs:0x51]').map((use) => use.register), ['al', 'fs']);
    assert.deepEqual(findRegisterUses('        mov cr3, EAX').map((use) => use.register), ['cr3', 'eax']);
    assert.deepEqual(findRegisterUses("        db 'eax', 0      ; ebx"), []);
    assert.deepEqual(findRegisterUses('        call eax_table'), []);
    assert.deepEqual(findRegisterUses('        sysenter                        ; -> MSR 0x176'), []);
  });
});
