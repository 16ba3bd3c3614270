// Instruction semantics in the flat machine, one short program each (avor8js-style: assemble, run,
// check registers and flags). Expected values are worked out from the Intel SDM's descriptions.
import * as assert from 'assert';
import { FlatMachine, FlatRunResult, RegisterState } from '../../core/machine/flat-machine';
import { assembleSource } from './cpu-fixture';

const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800;

function run(body: string, initial: Partial<RegisterState> = {}): FlatRunResult & { machine: FlatMachine } {
  const { image, origin } = assembleSource(`bits 32\norg 0x1000\n${body}\nhlt\n`);
  const machine = new FlatMachine({ memoryBytes: 1 << 20 });
  machine.load(origin, image);
  const result = machine.run({ eip: origin, ...initial }, { maxInstructions: 1_000_000 });
  return { ...result, machine };
}

function flags(result: FlatRunResult, mask: number): number {
  return result.registers.eflags & mask;
}

describe('cpu: integer instructions (flat machine)', () => {
  it('add/adc/sub/sbb/cmp set CF, OF, SF, ZF, AF, PF as the SDM defines', () => {
    let r = run('mov eax, 0x7FFFFFFF\nadd eax, 1');
    assert.strictEqual(r.registers.eax, 0x80000000);
    assert.strictEqual(flags(r, CF | OF | SF | ZF | AF | PF), OF | SF | AF | PF);
    r = run('mov al, 0xFF\nadd al, 1');
    assert.strictEqual(r.registers.eax & 0xFF, 0);
    assert.strictEqual(flags(r, CF | OF | SF | ZF | AF | PF), CF | ZF | AF | PF);
    r = run('stc\nmov eax, 0xFFFFFFFF\nadc eax, 0');
    assert.strictEqual(flags(r, CF | ZF), CF | ZF);
    r = run('mov eax, 0\nsub eax, 1');
    assert.strictEqual(r.registers.eax, 0xFFFFFFFF);
    assert.strictEqual(flags(r, CF | OF | SF | ZF | AF | PF), CF | SF | AF | PF);
    r = run('stc\nmov bx, 0x8000\nsbb bx, 0');
    assert.strictEqual(r.registers.ebx & 0xFFFF, 0x7FFF);
    assert.strictEqual(flags(r, CF | OF | SF), OF);
    r = run('mov eax, 5\ncmp eax, 7');
    assert.strictEqual(r.registers.eax, 5, 'cmp does not write');
    assert.strictEqual(flags(r, CF | SF | ZF), CF | SF);
  });

  it('inc/dec keep CF; neg sets CF unless the operand was 0; logic ops clear CF and OF', () => {
    let r = run('stc\nmov ecx, 0xFFFFFFFF\ninc ecx');
    assert.strictEqual(flags(r, CF | ZF), CF | ZF);
    r = run('clc\nmov dl, 0x80\ndec dl');
    assert.strictEqual(r.registers.edx & 0xFF, 0x7F);
    assert.strictEqual(flags(r, CF | OF), OF);
    r = run('mov eax, 0\nneg eax');
    assert.strictEqual(flags(r, CF | ZF), ZF);
    r = run('mov eax, 1\nneg eax');
    assert.strictEqual(r.registers.eax, 0xFFFFFFFF);
    assert.strictEqual(flags(r, CF | SF), CF | SF);
    r = run('stc\nmov eax, 0xF0\nand eax, 0x0F');
    assert.strictEqual(flags(r, CF | OF | ZF), ZF);
  });

  it('shifts and rotates: last bit out in CF, OF for 1-bit counts, count masked to 5 bits', () => {
    let r = run('mov eax, 0x80000001\nshl eax, 1');
    assert.strictEqual(r.registers.eax, 2);
    assert.strictEqual(flags(r, CF | OF), CF | OF);
    r = run('mov eax, 0x80000000\nsar eax, 31');
    assert.strictEqual(r.registers.eax, 0xFFFFFFFF);
    r = run('mov al, 0x81\nrol al, 1');
    assert.strictEqual(r.registers.eax & 0xFF, 0x03);
    assert.strictEqual(flags(r, CF), CF);
    r = run('clc\nmov al, 0x01\nrcr al, 1');
    assert.strictEqual(r.registers.eax & 0xFF, 0x00);
    assert.strictEqual(flags(r, CF), CF);
    r = run('stc\nmov eax, 5\nmov cl, 32\nshl eax, cl');
    assert.strictEqual(r.registers.eax, 5, 'a count of 32 masks to 0: nothing changes');
    assert.strictEqual(flags(r, CF), CF, 'and no flag changes');
    r = run('mov eax, 0x12345678\nmov edx, 0x9ABCDEF0\nshld eax, edx, 8');
    assert.strictEqual(r.registers.eax, 0x3456789A);
    r = run('mov eax, 0x12345678\nmov edx, 0x9ABCDEF0\nshrd eax, edx, 8');
    assert.strictEqual(r.registers.eax, 0xF0123456);
  });

  it('mul/imul/div/idiv widen into EDX:EAX and raise #DE on zero or overflow', () => {
    let r = run('mov eax, 0xFFFFFFFF\nmov ecx, 0xFFFFFFFF\nmul ecx');
    assert.deepStrictEqual([r.registers.edx, r.registers.eax], [0xFFFFFFFE, 0x00000001]);
    assert.strictEqual(flags(r, CF | OF), CF | OF);
    r = run('mov eax, -3\nmov ecx, 5\nimul ecx');
    assert.deepStrictEqual([r.registers.edx, r.registers.eax], [0xFFFFFFFF, 0xFFFFFFF1]);
    assert.strictEqual(flags(r, CF | OF), 0);
    r = run('mov eax, 0x10000\nimul eax, eax, 0x10000');
    assert.strictEqual(r.registers.eax, 0);
    assert.strictEqual(flags(r, CF | OF), CF | OF);
    r = run('mov edx, 1\nmov eax, 0\nmov ecx, 2\ndiv ecx');
    assert.deepStrictEqual([r.registers.eax, r.registers.edx], [0x80000000, 0]);
    r = run('mov edx, -1\nmov eax, -7\nmov ecx, 2\nidiv ecx');
    assert.deepStrictEqual([r.registers.eax, r.registers.edx], [0xFFFFFFFD, 0xFFFFFFFF], 'truncates toward zero, remainder takes the dividend sign');
    r = run('mov ecx, 0\ndiv ecx');
    assert.strictEqual(r.stop.reason, 'exception');
    assert.strictEqual(r.stop.vector, 0);
    assert.strictEqual(r.stop.eip, 0x1005, 'the faulting div itself');
    assert.strictEqual(r.stop.message, '#DE divide error at 0x00001005');
    r = run('mov edx, 2\nmov eax, 0\nmov ecx, 2\ndiv ecx');
    assert.strictEqual(r.stop.vector, 0, 'a quotient over 32 bits is #DE too');
    r = run('mov ax, 0x8000\nmov dx, 0xFFFF\nmov cx, -1\nidiv cx');
    assert.strictEqual(r.stop.vector, 0, '-32768 / -1 overflows a 16-bit quotient');
  });

  it('decimal adjust: daa after 0x79 + 0x35 gives 0x14 with CF; aaa/aas/aam/aad', () => {
    let r = run('mov al, 0x79\nadd al, 0x35\ndaa');
    assert.strictEqual(r.registers.eax & 0xFF, 0x14);
    assert.strictEqual(flags(r, CF), CF);
    r = run('mov al, 0x35\nsub al, 0x47\ndas');
    assert.strictEqual(r.registers.eax & 0xFF, 0x88);
    assert.strictEqual(flags(r, CF), CF);
    r = run('mov ax, 0x0009\nadd al, 8\naaa');
    assert.strictEqual(r.registers.eax & 0xFFFF, 0x0107);
    r = run('mov al, 63\naam');
    assert.strictEqual(r.registers.eax & 0xFFFF, 0x0603);
    r = run('mov ax, 0x0603\naad');
    assert.strictEqual(r.registers.eax & 0xFFFF, 63);
  });

  it('bit test/scan: bt with a register offset reaches past the operand; bsf/bsr; bswap', () => {
    let r = run('mov dword [0x2004], 0x00000004\nmov ecx, 34\nbt dword [0x2000], ecx');
    assert.strictEqual(flags(r, CF), CF, 'bit 34 of [0x2000] is bit 2 of [0x2004]');
    r = run('mov dword [0x2000], 0\nmov ecx, -1\nbts dword [0x2004], ecx');
    assert.strictEqual(r.machine.memory.read32(0x2000), 0x80000000, 'bit -1 is bit 31 of the dword below');
    r = run('mov eax, 0x00F00000\nbsf ecx, eax\nbsr edx, eax');
    assert.deepStrictEqual([r.registers.ecx, r.registers.edx], [20, 23]);
    r = run('mov ecx, 7\nmov eax, 0\nbsf ecx, eax');
    assert.strictEqual(flags(r, ZF), ZF);
    assert.strictEqual(r.registers.ecx, 7);
  });

  it('setcc/cmovcc/xchg/xadd/cmpxchg/cmpxchg8b/movzx/movsx/lea', () => {
    let r = run('mov eax, 1\ncmp eax, 2\nsetl bl\nsetg bh\nmov ecx, 9\ncmovl edx, ecx');
    assert.strictEqual(r.registers.ebx & 0xFFFF, 0x0001);
    assert.strictEqual(r.registers.edx, 9);
    r = run('mov eax, 5\nmov ebx, 7\nxadd eax, ebx');
    assert.deepStrictEqual([r.registers.eax, r.registers.ebx], [12, 5]);
    r = run('mov dword [0x2000], 5\nmov eax, 5\nmov ecx, 9\ncmpxchg [0x2000], ecx');
    assert.strictEqual(r.machine.memory.read32(0x2000), 9);
    assert.strictEqual(flags(r, ZF), ZF);
    r = run('mov dword [0x2000], 5\nmov eax, 6\nmov ecx, 9\ncmpxchg [0x2000], ecx');
    assert.strictEqual(r.registers.eax, 5);
    assert.strictEqual(flags(r, ZF), 0);
    r = run('mov dword [0x2000], 1\nmov dword [0x2004], 2\nmov eax, 1\nmov edx, 2\nmov ebx, 3\nmov ecx, 4\ncmpxchg8b [0x2000]');
    assert.deepStrictEqual([r.machine.memory.read32(0x2000), r.machine.memory.read32(0x2004)], [3, 4]);
    r = run('mov eax, 0xFFFFFF80\nmovzx ebx, al\nmovsx ecx, al\nmovsx dx, al\nlea esi, [ebx+ecx*4+0x10]');
    assert.deepStrictEqual([r.registers.ebx, r.registers.ecx, r.registers.edx & 0xFFFF, r.registers.esi], [0x80, 0xFFFFFF80, 0xFF80, (0x80 + 0xFFFFFF80 * 4 + 0x10) >>> 0]);
  });

  it('stack: push/pop, pushad/popad, pushfd/popfd, enter/leave, call/ret imm16', () => {
    let r = run('mov esp, 0x8000\npush esp\npop eax');
    assert.strictEqual(r.registers.eax, 0x8000, 'push esp pushes the value before the push');
    r = run('mov esp, 0x8000\nmov eax, 1\nmov ecx, 2\npushad\nmov eax, 0\nmov ecx, 0\nmov esp, 0x7FE0\npopad');
    assert.deepStrictEqual([r.registers.eax, r.registers.ecx, r.registers.esp], [1, 2, 0x8000]);
    r = run('mov esp, 0x8000\nstc\nstd\npushfd\npop eax\ncld');
    assert.strictEqual(r.registers.eax & (CF | DF | 2), CF | DF | 2);
    r = run('mov esp, 0x8000\nmov ebp, 0x1234\nenter 8, 0\nmov ebx, ebp\nmov ecx, esp\nleave');
    assert.deepStrictEqual([r.registers.ebx, r.registers.ecx, r.registers.ebp, r.registers.esp], [0x7FFC, 0x7FF4, 0x1234, 0x8000]);
    r = run('mov esp, 0x8000\npush 1\npush 2\ncall f\njmp done\nf: ret 8\ndone:');
    assert.strictEqual(r.registers.esp, 0x8000);
  });

  it('string instructions with rep/repe/repne, forward and backward, in 8/16/32 bits', () => {
    let r = run(`mov esi, src\nmov edi, 0x3000\nmov ecx, 5\ncld\nrep movsb\njmp done\nsrc: db 'hello'\ndone:`);
    assert.strictEqual(Buffer.from(r.machine.memory.slice(0x3000, 5)).toString(), 'hello');
    assert.strictEqual(r.registers.ecx, 0);
    r = run('mov edi, 0x3000\nmov eax, 0xAABBCCDD\nmov ecx, 3\nrep stosd\nstd\nmov esi, 0x3008\nlodsd\ncld');
    assert.strictEqual(r.machine.memory.read32(0x3008), 0xAABBCCDD);
    assert.strictEqual(r.registers.esi, 0x3004, 'DF=1 steps backwards');
    r = run(`mov edi, text\nmov al, 'l'\nmov ecx, 5\nrepne scasb\njmp done\ntext: db 'hello'\ndone:`);
    assert.strictEqual(r.registers.ecx, 2, 'stops after the first match');
    r = run(`mov esi, a\nmov edi, b\nmov ecx, 4\nrepe cmpsb\njmp done\na: db 'abcd'\nb: db 'abXd'\ndone:`);
    assert.strictEqual(r.registers.ecx, 1);
    assert.strictEqual(flags(r, ZF), 0);
    r = run('mov esi, 0x3000\nmov edi, 0x3001\nmov byte [0x3000], 7\nmov ecx, 4\nrep movsb');
    assert.deepStrictEqual([...r.machine.memory.slice(0x3000, 5)], [7, 7, 7, 7, 7], 'overlapping forward copy propagates element by element');
    r = run('mov esi, 0x3000\nmov edi, 0x3002\nmov dword [0x3000], 0x11223344\nmov ecx, 2\nrep movsd');
    // element 1 copies 44 33 22 11 to 0x3002; element 2 then reads 22 11 00 00 from 0x3004
    assert.deepStrictEqual([...r.machine.memory.slice(0x3000, 10)], [0x44, 0x33, 0x44, 0x33, 0x22, 0x11, 0x22, 0x11, 0, 0]);
  });

  it('loop/jecxz/jcc and a self-modifying store seen by the next execution', () => {
    let r = run('mov ecx, 4\nxor eax, eax\nl: inc eax\nloop l\njecxz z\nmov eax, 99\nz:');
    assert.strictEqual(r.registers.eax, 4);
    r = run(`mov ecx, 2
again: mov eax, 1
patch: add eax, 1            ; 83 C0 01, the immediate byte gets patched to 5
       mov byte [patch+2], 5
       dec ecx
       jnz again`);
    assert.strictEqual(r.registers.eax, 6, 'the second pass runs the patched instruction, not the cached one');
  });

  it('privileged and undefined instructions: ud2 -> #UD; cpuid reports family 6 with SEP', () => {
    let r = run('ud2');
    assert.deepStrictEqual([r.stop.reason, r.stop.vector, r.stop.eip], ['exception', 6, 0x1000]);
    r = run('mov eax, 1\ncpuid');
    assert.strictEqual((r.registers.eax >>> 8) & 0xF, 6);
    assert.ok((r.registers.edx & (1 << 11)) !== 0);
    r = run('mov eax, 0\ncpuid');
    assert.strictEqual(Buffer.from(new Uint32Array([r.registers.ebx, r.registers.edx, r.registers.ecx]).buffer).toString(), 'GenuineIntel');
  });
});
