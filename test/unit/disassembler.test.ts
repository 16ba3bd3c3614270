// The disassembler on the instructions of the NT system-call path, in both styles. Expected texts follow
// NASM's syntax (what `nasm -f bin` turns back into the same bytes) and WinDbg's `u` output conventions
// (MASM numbers such as 24h / 0B7h, `dword ptr`, the mnemonic padded to seven columns).
import * as assert from 'assert';
import * as fc from 'fast-check';
import { decodeBytes, decodeInstruction } from '../../core/isa/decoder';
import { disassembleRange, formatDisassemblyLine, type DisassemblyOptions } from '../../core/isa/disassembler';

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

/** The text of the first instruction of `hex` at `address`. */
function textOf(hex: string, options: DisassemblyOptions, address = 0x7c90d9b0): string {
  const [line] = disassembleRange(bytesOf(hex), address, 1, options);
  return line.text;
}

const NASM: DisassemblyOptions = { style: 'nasm' };
const WINDBG: DisassemblyOptions = { style: 'windbg' };

const SYMBOLS: Record<number, string> = {
  0x804de2e0: 'nt!KiSystemService',
  0x7ffe0300: 'SharedUserData!SystemCallStub',
  0x8055a220: 'nt!KeServiceDescriptorTable',
};
const symbolize = (address: number): string | undefined => SYMBOLS[address];

describe('disassembler: the system-call path', () => {
  const cases: { name: string; hex: string; nasm: string; windbg: string; address?: number }[] = [
    { name: 'int 0x2e (KiIntSystemCall)', hex: 'cd2e', nasm: 'int 0x2e', windbg: 'int     2Eh' },
    { name: 'sysenter (KiFastSystemCall)', hex: '0f34', nasm: 'sysenter', windbg: 'sysenter' },
    { name: 'sysexit (KiServiceExit)', hex: '0f35', nasm: 'sysexit', windbg: 'sysexit' },
    { name: 'call dword [edx] (the ntdll stub)', hex: 'ff12', nasm: 'call dword [edx]', windbg: 'call    dword ptr [edx]' },
    { name: 'ret 0x24 (NtReadFile, nine arguments)', hex: 'c22400', nasm: 'ret 0x24', windbg: 'ret     24h' },
    { name: 'mov eax, 0xb7 (service number)', hex: 'b8b7000000', nasm: 'mov eax, 0xb7', windbg: 'mov     eax,0B7h' },
    { name: 'mov eax, [fs:0x124] (KeGetCurrentThread)', hex: '64a124010000', nasm: 'mov eax, [fs:0x124]', windbg: 'mov     eax,dword ptr fs:[00000124h]' },
    { name: 'mov ecx, [fs:0x124] through ModRM', hex: '648b0d24010000', nasm: 'mov ecx, [fs:0x124]', windbg: 'mov     ecx,dword ptr fs:[00000124h]' },
    { name: 'rep movsd (copying the arguments)', hex: 'f3a5', nasm: 'rep movsd', windbg: 'rep movs dword ptr es:[edi],dword ptr [esi]' },
    { name: 'lea edx, [esp+8] (KiIntSystemCall)', hex: '8d542408', nasm: 'lea edx, [esp+0x8]', windbg: 'lea     edx,[esp+8]' },
    { name: 'mov edx, esp (the MASM encoding in XP ntdll)', hex: '8bd4', nasm: 'mov edx, esp', windbg: 'mov     edx,esp' },
    { name: 'iretd', hex: 'cf', nasm: 'iret', windbg: 'iretd' },
    { name: 'pushfd', hex: '9c', nasm: 'pushf', windbg: 'pushfd' },
    { name: 'pushad', hex: '60', nasm: 'pusha', windbg: 'pushad' },
    { name: 'mov ecx, [ebp-0xc]', hex: '8b4df4', nasm: 'mov ecx, [ebp-0xc]', windbg: 'mov     ecx,dword ptr [ebp-0Ch]' },
    { name: 'mov eax, [eax*4+0x1000]: index without base', hex: '8b048500100000', nasm: 'mov eax, [eax*4+0x1000]', windbg: 'mov     eax,dword ptr [eax*4+1000h]' },
    { name: 'mov dword [ebx+0x4], 0x0', hex: 'c7430400000000', nasm: 'mov dword [ebx+0x4], 0x0', windbg: 'mov     dword ptr [ebx+4],0' },
    { name: 'movzx eax, byte [ecx]', hex: '0fb601', nasm: 'movzx eax, byte [ecx]', windbg: 'movzx   eax,byte ptr [ecx]' },
    { name: 'lock cmpxchg [edx], ecx', hex: 'f00fb10a', nasm: 'lock cmpxchg [edx], ecx', windbg: 'lock cmpxchg dword ptr [edx],ecx' },
    { name: 'mov cr0, eax', hex: '0f22c0', nasm: 'mov cr0, eax', windbg: 'mov     cr0,eax' },
    { name: 'wrmsr', hex: '0f30', nasm: 'wrmsr', windbg: 'wrmsr' },
    { name: 'lidt [eax]', hex: '0f0118', nasm: 'lidt [eax]', windbg: 'lidt    fword ptr [eax]' },
    { name: 'ltr ax', hex: '0f00d8', nasm: 'ltr ax', windbg: 'ltr     ax' },
    { name: 'push 0x1: sign-extended imm8', hex: '6a01', nasm: 'push 0x1', windbg: 'push    1' },
    { name: 'push strict dword 0x1: imm32 NASM would shorten', hex: '6801000000', nasm: 'push strict dword 0x1', windbg: 'push    1' },
    { name: 'and esp, 0xfffffff8: simm8 shown extended', hex: '83e4f8', nasm: 'and esp, 0xfffffff8', windbg: 'and     esp,0FFFFFFF8h' },
    { name: 'add ebx, strict dword 0x1: 81 /0 with a small value', hex: '81c301000000', nasm: 'add ebx, strict dword 0x1', windbg: 'add     ebx,1' },
    { name: 'shl eax, byte 0x1: C1 /4 ib, which NASM would write as D1 /4', hex: 'c1e001', nasm: 'shl eax, byte 0x1', windbg: 'shl     eax,1' },
    { name: 'shl eax, 1: D1 /4', hex: 'd1e0', nasm: 'shl eax, 1', windbg: 'shl     eax,1' },
    { name: 'mov eax, [byte eax+0x0]: an explicit zero displacement', hex: '8b4000', nasm: 'mov eax, [byte eax+0x0]', windbg: 'mov     eax,dword ptr [eax]' },
    { name: 'mov eax, [ebp+0x0]: ebp always has a displacement', hex: '8b4500', nasm: 'mov eax, [ebp+0x0]', windbg: 'mov     eax,dword ptr [ebp]' },
    { name: 'mov eax, [dword eax+0x4]: disp32 NASM would shorten', hex: '8b8004000000', nasm: 'mov eax, [dword eax+0x4]', windbg: 'mov     eax,dword ptr [eax+4]' },
    { name: 'mov eax, [nosplit eax*2+0x0]', hex: '8b044500000000', nasm: 'mov eax, [nosplit eax*2+0x0]', windbg: 'mov     eax,dword ptr [eax*2]' },
    { name: 'mov eax, [ds:eax]: an override to the default segment stays', hex: '3e8b00', nasm: 'mov eax, [ds:eax]', windbg: 'mov     eax,dword ptr ds:[eax]' },
    { name: 'fs lodsd: an override on a string instruction', hex: '64ad', nasm: 'fs lodsd', windbg: 'lods    dword ptr fs:[esi]' },
    { name: 'repe cmpsb', hex: 'f3a6', nasm: 'repe cmpsb', windbg: 'repe cmps byte ptr [esi],byte ptr es:[edi]' },
  ];
  for (const { name, hex, nasm, windbg } of cases) {
    it(name, () => {
      assert.strictEqual(textOf(hex, NASM), nasm);
      assert.strictEqual(textOf(hex, WINDBG), windbg);
    });
  }
});

describe('disassembler: listing lines', () => {
  it('prints the ntdll NtReadFile stub as WinDbg u does', () => {
    // mov eax, 0xb7 / mov edx, 0x7ffe0300 / call dword [edx] / ret 0x24, as XP SP3's ntdll has them
    const lines = disassembleRange(bytesOf('b8b7000000 ba0003fe7f ff12 c22400'), 0x7c90d9b0, 4, { style: 'windbg', symbolize });
    assert.deepStrictEqual(lines.map((line) => formatDisassemblyLine(line, 'windbg')), [
      '7c90d9b0 b8b7000000      mov     eax,0B7h',
      '7c90d9b5 ba0003fe7f      mov     edx,offset SharedUserData!SystemCallStub (7ffe0300)',
      '7c90d9ba ff12            call    dword ptr [edx]',
      '7c90d9bc c22400          ret     24h',
    ]);
  });
  it('prints NASM-style listing lines', () => {
    const lines = disassembleRange(bytesOf('8d542408 cd2e c3'), 0x7c90e4f0, 3, NASM);
    assert.deepStrictEqual(lines.map((line) => formatDisassemblyLine(line, 'nasm')), [
      '7c90e4f0: 8d542408         lea edx, [esp+0x8]',
      '7c90e4f4: cd2e             int 0x2e',
      '7c90e4f6: c3               ret',
    ]);
  });
});

describe('disassembler: branches and far transfers', () => {
  it('names a call target with the symbolizer', () => {
    // call rel32 at 0x804df000 to nt!KiSystemService (0x804de2e0): displacement 0x804de2e0 - 0x804df005
    const displacement = (0x804de2e0 - 0x804df005) >>> 0;
    const hex = 'e8' + Buffer.from(Uint32Array.of(displacement).buffer).toString('hex');
    assert.strictEqual(textOf(hex, { style: 'windbg', symbolize }, 0x804df000), 'call    nt!KiSystemService (804de2e0)');
    assert.strictEqual(textOf(hex, { style: 'nasm', symbolize }, 0x804df000), 'call 0x804de2e0 ; nt!KiSystemService');
    assert.strictEqual(textOf(hex, WINDBG, 0x804df000), 'call    804de2e0');
  });
  it('names an absolute memory operand and an immediate address', () => {
    assert.strictEqual(textOf('ba0003fe7f', { style: 'windbg', symbolize }), 'mov     edx,offset SharedUserData!SystemCallStub (7ffe0300)');
    assert.strictEqual(textOf('8b3d20a25580', { style: 'windbg', symbolize }), 'mov     edi,dword ptr [nt!KeServiceDescriptorTable (8055a220)]');
    assert.strictEqual(textOf('ff150003fe7f', WINDBG), 'call    dword ptr ds:[7FFE0300h]');
  });
  it('writes short and near jumps so that NASM keeps their size', () => {
    assert.strictEqual(textOf('7405', NASM, 0x1000), 'jz short 0x1007');
    assert.strictEqual(textOf('7405', WINDBG, 0x1000), 'je      00001007');
    assert.strictEqual(textOf('0f8400000000', NASM, 0x1000), 'jz near 0x1006');
    assert.strictEqual(textOf('ebfe', NASM, 0x1000), 'jmp short 0x1000');
    assert.strictEqual(textOf('e9fbffffff', NASM, 0x1000), 'jmp near 0x1000');
    assert.strictEqual(textOf('e2fe', NASM, 0x1000), 'loop 0x1000');
  });
  it('wraps a branch target to the operand size', () => {
    assert.strictEqual(textOf('66e9fcff', NASM, 0x1000), 'jmp word near 0x1000');
    assert.strictEqual(textOf('eb80', NASM, 0x10), 'jmp short 0xffffff92');
  });
  it('formats far jumps, calls and returns', () => {
    assert.strictEqual(textOf('ea001000000800', NASM), 'jmp 0x8:0x1000');
    assert.strictEqual(textOf('ea001000000800', WINDBG), 'jmp     0008:00001000');
    assert.strictEqual(textOf('66ea00100800', NASM), 'jmp word 0x8:0x1000');
    assert.strictEqual(textOf('9af4e4907c1b00', NASM), 'call 0x1b:0x7c90e4f4');
    assert.strictEqual(textOf('ff2d00100000', NASM), 'jmp far [0x1000]');
    assert.strictEqual(textOf('ff2d00100000', WINDBG), 'jmp     fword ptr ds:[00001000h]');
    assert.strictEqual(textOf('66ff18', NASM), 'call far word [eax]');
    assert.strictEqual(textOf('cb', NASM), 'retf');
    assert.strictEqual(textOf('66cb', NASM), 'retfw'); // nasm: retfw -> 66 cb in bits 32
    assert.strictEqual(textOf('66c3', NASM), 'retw');
  });
});

describe('disassembler: 16-bit forms', () => {
  it('decodes 16-bit code (bits 16)', () => {
    assert.strictEqual(textOf('8b07', { style: 'nasm', bits: 16 }), 'mov ax, [bx]');
    assert.strictEqual(textOf('8b07', { style: 'windbg', bits: 16 }), 'mov     ax,word ptr [bx]');
    assert.strictEqual(textOf('8b4202', { style: 'nasm', bits: 16 }), 'mov ax, [bp+si+0x2]');
    assert.strictEqual(textOf('66b801000000', { style: 'nasm', bits: 16 }), 'mov eax, 0x1');
    assert.strictEqual(textOf('9c', { style: 'nasm', bits: 16 }), 'pushf'); // follows bits, like NASM's pushf
    assert.strictEqual(textOf('669c', { style: 'nasm', bits: 16 }), 'pushfd');
  });
  it('shows o16 and a16 in 32-bit code', () => {
    assert.strictEqual(textOf('678b07', NASM), 'mov eax, [bx]');
    assert.strictEqual(textOf('67a13412', NASM), 'a16 mov eax, [0x1234]');
    assert.strictEqual(textOf('6689c3', NASM), 'mov bx, ax');
    assert.strictEqual(textOf('6690', NASM), 'o16 nop');
    assert.strictEqual(textOf('666a01', NASM), 'push word 0x1');
    assert.strictEqual(textOf('6606', NASM), 'o16 push es');
    assert.strictEqual(textOf('67a4', NASM), 'a16 movsb');
    assert.strictEqual(textOf('67e3fd', NASM, 0x1000), 'jcxz 0x1000');
  });
});

describe('disassembler: what it will not guess', () => {
  it('says so for x87 and other opcodes outside the table', () => {
    const [line] = disassembleRange(bytesOf('d9c0'), 0x1000, 1, NASM);
    assert.strictEqual(line.text, 'db 0xd9 ; unknown opcode 0xd9 (x87, not supported)');
    assert.strictEqual(line.length, 1, 'only the opcode byte: the next line starts at the ModRM byte');
    assert.strictEqual(line.failure?.reason, 'unknown-opcode');
    const [mmx] = disassembleRange(bytesOf('0f6fc1'), 0x1000, 1, NASM);
    assert.match(mmx.text, /^db 0x0f,0x6f ; unknown opcode 0x0f 0x6f \(MMX\/SSE, not supported\)$/);
  });
  it('rejects encodings that raise #UD', () => {
    const lockOnRegister = decodeBytes(bytesOf('f001c0'), 0, 0, 32);
    assert.ok(!lockOnRegister.ok && lockOnRegister.reason === 'invalid', 'lock add eax, eax');
    const lockOnMov = decodeBytes(bytesOf('f08b00'), 0, 0, 32);
    assert.ok(!lockOnMov.ok && lockOnMov.reason === 'invalid', 'lock mov');
    const leaRegister = decodeBytes(bytesOf('8dc0'), 0, 0, 32);
    assert.ok(!leaRegister.ok && leaRegister.reason === 'invalid', 'lea with a register');
    const lgdtRegister = decodeBytes(bytesOf('0f01d0'), 0, 0, 32);
    assert.ok(!lgdtRegister.ok && lgdtRegister.reason === 'invalid', 'lgdt with a register');
    const movToCs = decodeBytes(bytesOf('8ec8'), 0, 0, 32);
    assert.ok(!movToCs.ok && movToCs.reason === 'invalid' && /cs/.test(movToCs.message), 'mov cs, eax');
    const cr5 = decodeBytes(bytesOf('0f22e8'), 0, 0, 32);
    assert.ok(!cr5.ok && cr5.reason === 'invalid', 'mov cr5, eax');
    const lockAdd = decodeBytes(bytesOf('f00100'), 0, 0, 32);
    assert.ok(lockAdd.ok && lockAdd.instruction.lock, 'lock add [eax], eax is fine');
  });
  it('reports more than 15 bytes as too long, and the faulting byte of a fetch', () => {
    const fifteenPrefixes = decodeBytes(bytesOf('66'.repeat(15) + '90'), 0, 0, 32);
    assert.ok(!fifteenPrefixes.ok && fifteenPrefixes.reason === 'too-long');
    const fourteen = decodeBytes(bytesOf('66'.repeat(14) + '90'), 0, 0, 32);
    assert.ok(fourteen.ok && fourteen.instruction.length === 15);
    // a fetch that fails at byte 2: mov eax, [ebx+disp8] whose displacement is on an unreadable page
    const fault = decodeInstruction((index) => (index < 2 ? [0x8b, 0x43][index] : -1), 0x1ffe, 32);
    assert.ok(!fault.ok && fault.reason === 'fetch-fault' && fault.faultIndex === 2);
  });
  it('shows a truncated instruction at the end of a range as data', () => {
    const lines = disassembleRange(bytesOf('90b801'), 0x1000, 10, NASM);
    assert.deepStrictEqual(lines.map((line) => [line.address, line.bytesHex]), [[0x1000, '90'], [0x1001, 'b801']]);
    assert.match(lines[1].text, /^db 0xb8,0x01 ; truncated/);
  });
});

describe('decoder: what the CPU reads from a decoded instruction', () => {
  it('gives the effective segment, base, index, scale and displacement', () => {
    const result = decodeBytes(bytesOf('648b4c8afc'), 0, 0, 32); // mov ecx, [fs:edx+ecx*4-0x4]
    assert.ok(result.ok);
    const memory = result.instruction.operands[1];
    assert.deepStrictEqual(memory, {
      kind: 'mem', size: 4,
      memory: { segment: 4, segmentOverridden: true, base: 2, index: 1, scale: 4, displacement: -4, displacementBytes: 1, addressSize: 32 },
    });
  });
  it('defaults to ss for ebp- and esp-based addresses and to ds otherwise', () => {
    const viaEbp = decodeBytes(bytesOf('8b45f8'), 0, 0, 32);
    const viaEsp = decodeBytes(bytesOf('8b0424'), 0, 0, 32);
    const viaEbx = decodeBytes(bytesOf('8b03'), 0, 0, 32);
    const viaBp16 = decodeBytes(bytesOf('678b4600'), 0, 0, 32);
    const segmentOf = (result: ReturnType<typeof decodeBytes>): number => {
      assert.ok(result.ok);
      const operand = result.instruction.operands[1];
      assert.ok(operand.kind === 'mem');
      return operand.memory.segment;
    };
    assert.deepStrictEqual([segmentOf(viaEbp), segmentOf(viaEsp), segmentOf(viaEbx), segmentOf(viaBp16)], [2, 2, 3, 2]);
  });
  it('sign-extends imm8 to the operand size and computes relative targets', () => {
    const add = decodeBytes(bytesOf('6683c0ff'), 0, 0, 32);
    assert.ok(add.ok);
    assert.deepStrictEqual(add.instruction.operands[1], { kind: 'imm', size: 2, value: 0xffff });
    const call = decodeBytes(bytesOf('e8fbffffff'), 0, 0x401000, 32);
    assert.ok(call.ok);
    assert.deepStrictEqual(call.instruction.operands[0], { kind: 'rel', size: 4, displacement: -5, target: 0x401000 });
  });
  it('lets the last segment override and the last rep prefix win', () => {
    const result = decodeBytes(bytesOf('262ef2f3a4'), 0, 0, 32);
    assert.ok(result.ok);
    assert.strictEqual(result.instruction.segmentOverride, 1);
    assert.strictEqual(result.instruction.rep, 'rep');
  });
  it('decodes 0x90 as nop, not xchg eax, eax', () => {
    const result = decodeBytes(bytesOf('90'), 0, 0, 32);
    assert.ok(result.ok);
    assert.strictEqual(result.instruction.form.mnemonic, 'nop');
  });
});

describe('decoder: properties over random bytes', () => {
  const REASONS = ['unknown-opcode', 'invalid', 'too-long', 'fetch-fault'];
  const bytesArbitrary = fc.uint8Array({ minLength: 1, maxLength: 16 });

  it('never throws, and every result is well formed in both styles', () => {
    fc.assert(fc.property(bytesArbitrary, fc.constantFrom<16 | 32>(16, 32), (bytes, bits) => {
      const result = decodeBytes(bytes, 0, 0x401000, bits);
      if (!result.ok) {
        assert.ok(REASONS.includes(result.reason) && result.message.length > 0, JSON.stringify(result));
        return;
      }
      const instruction = result.instruction;
      assert.ok(instruction.length >= 1 && instruction.length <= 15 && instruction.length <= bytes.length);
      assert.strictEqual(instruction.operands.length, instruction.form.operands.length);
      for (const style of ['nasm', 'windbg'] as const) {
        const [line] = disassembleRange(bytes, 0x401000, 1, { style, bits });
        assert.ok(line.text.length > 0 && !/undefined|NaN/.test(line.text), line.text);
      }
    }), { numRuns: 20_000, seed: 0x2e });
  });

  it('reads no byte past the instruction (a fault just after it changes nothing)', () => {
    fc.assert(fc.property(bytesArbitrary, (bytes) => {
      const full = decodeBytes(bytes, 0, 0x1000, 32);
      if (!full.ok) return;
      const length = full.instruction.length;
      const bounded = decodeInstruction((index) => (index < length ? bytes[index] : -1), 0x1000, 32);
      assert.ok(bounded.ok, `needed a byte past ${length}: ${JSON.stringify(bounded)}`);
      assert.deepStrictEqual(bounded.instruction, full.instruction);
    }), { numRuns: 20_000, seed: 0x34 });
  });

  it('reports the first unreadable byte it needed as the fault index', () => {
    fc.assert(fc.property(bytesArbitrary, fc.nat(15), (bytes, cut) => {
      const full = decodeBytes(bytes, 0, 0x1000, 32);
      const truncated = decodeInstruction((index) => (index < cut && index < bytes.length ? bytes[index] : -1), 0x1000, 32);
      if (full.ok && full.instruction.length <= cut) {
        assert.ok(truncated.ok);
      } else if (!truncated.ok && truncated.reason === 'fetch-fault') {
        assert.strictEqual(truncated.faultIndex, Math.min(cut, bytes.length));
      }
    }), { numRuns: 20_000, seed: 0x2a });
  });
});
