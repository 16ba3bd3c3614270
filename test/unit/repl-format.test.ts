// WinDbg-style REPL text from structures decoded out of hand-built guest memory.
import * as assert from 'assert';
import { GuestMemoryImage } from '../../core/nt/guest-memory';
import { decodeGdt } from '../../core/nt/decoders/gdt';
import { decodeIdt } from '../../core/nt/decoders/idt';
import { decodeKpcr } from '../../core/nt/decoders/kpcr';
import { KTRAP_FRAME_LAYOUT, decodeTrapFrame } from '../../core/nt/decoders/ktrap-frame';
import { KTSS_LAYOUT, decodeKtssStructure } from '../../core/nt/decoders/ktss';
import { decodeKthread } from '../../core/nt/decoders/kthread';
import { BaseRegisterName, EvaluationContext } from '../../adapter/expression/evaluation-context';
import { formatStructure, formatStructureLayout } from '../../adapter/repl/dt-command';
import { formatDg } from '../../adapter/repl/gdt-command';
import { formatIdtCommand } from '../../adapter/repl/idt-command';
import { formatBytes, formatDwords, formatPointersWithSymbols } from '../../adapter/repl/memory-dump';
import { formatRdmsr } from '../../adapter/repl/msr-command';
import { formatPcr } from '../../adapter/repl/pcr-command';
import { parseRangeArguments } from '../../adapter/repl/range-arguments';
import { eflagsMnemonics, formatRegisters } from '../../adapter/repl/register-command';

function put32(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, value >>> 0, true);
}

function put16(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(offset, value, true);
}

function putGate(table: Uint8Array, vector: number, offset: number, selector: number, attributes: number): void {
  put16(table, vector * 8, offset & 0xFFFF);
  put16(table, vector * 8 + 2, selector);
  put16(table, vector * 8 + 4, attributes);
  put16(table, vector * 8 + 6, offset >>> 16);
}

const symbols: Record<number, string> = {
  0x804DF350: 'nt!KiTrap00', 0x804DE2E0: 'nt!KiSystemService', 0x804DE1A0: 'nt!KiGetTickCount',
  0x805999AC: 'nt!NtAcceptConnectPort', 0x805E1234: 'nt!NtAccessCheck', 0x7C90E4F4: 'ntdll!KiFastSystemCallRet',
};
const symbolize = (address: number): string | undefined => symbols[address];

describe('!idt', () => {
  const memory = new GuestMemoryImage();
  const table = memory.allocate(0x8003F400, 0x800);
  putGate(table, 0x00, 0x804DF350, 0x08, 0x8E00);
  putGate(table, 0x08, 0, 0x50, 0x8500);
  putGate(table, 0x2A, 0x804DE1A0, 0x08, 0xEE00);
  putGate(table, 0x2E, 0x804DE2E0, 0x08, 0xEE00);
  putGate(table, 0x30, 0x806D3CA4, 0x08, 0x8E00);
  putGate(table, 0x31, 0x806D3CB0, 0x08, 0x0E00);
  const idt = decodeIdt(memory, 0x8003F400, 0x7FF, symbolize);
  assert.ok(idt.ok);

  it('!idt 2e prints the gate like WinDbg', () => {
    assert.strictEqual(formatIdtCommand(idt.value, 0x2E), 'Dumping IDT: 8003f400\n\n2e:\t804de2e0 nt!KiSystemService');
  });

  it('!idt lists every present gate; task gates show their TSS selector', () => {
    assert.strictEqual(formatIdtCommand(idt.value), [
      'Dumping IDT: 8003f400', '',
      '00:\t804df350 nt!KiTrap00',
      '08:\tTask Selector = 0x0050',
      '2a:\t804de1a0 nt!KiGetTickCount',
      '2e:\t804de2e0 nt!KiSystemService',
      '30:\t806d3ca4',
    ].join('\n'));
  });

  it('a vector that is not present or past the limit says so', () => {
    assert.strictEqual(formatIdtCommand(idt.value, 0x31), 'Dumping IDT: 8003f400\n\n31:\t806d3cb0 (not present)');
    const short = decodeIdt(memory, 0x8003F400, 0x17F);
    assert.ok(short.ok);
    assert.strictEqual(formatIdtCommand(short.value, 0x30), 'vector 0x30 is outside the IDT (limit 0x17f: 48 gates)');
  });
});

describe('dt', () => {
  it('dt _KTRAP_FRAME addr prints every field with its offset, name column and value', () => {
    const memory = new GuestMemoryImage();
    const frame = memory.allocate(0xF8A3DD64, 0x8C);
    put32(frame, 0x00, 0x0012FF94);
    put32(frame, 0x44, 0xB7);
    put32(frame, 0x48, 1);
    put32(frame, 0x4C, 0xFFFFFFFF);
    put32(frame, 0x68, 0x7C90E4F4);
    put32(frame, 0x6C, 0x1B);
    put32(frame, 0x70, 0x246);
    put32(frame, 0x74, 0x0012FEE0);
    put32(frame, 0x78, 0x23);
    const decoded = decodeTrapFrame(memory, 0xF8A3DD64);
    assert.ok(decoded.ok);
    const lines = formatStructure(decoded.value).split('\n');
    assert.strictEqual(lines.length, 1 + 35);
    assert.strictEqual(lines[0], 'nt!_KTRAP_FRAME');
    assert.strictEqual(lines[1], '   +0x000 DbgEbp           : 0x12ff94');
    assert.strictEqual(lines[2], '   +0x004 DbgEip           : 0x0');
    assert.strictEqual(lines[18], '   +0x044 Eax              : 0xb7');
    assert.strictEqual(lines[19], '   +0x048 PreviousPreviousMode : 0x1');
    assert.strictEqual(lines[20], '   +0x04c ExceptionList    : 0xffffffff _EXCEPTION_REGISTRATION_RECORD');
    assert.strictEqual(lines[27], '   +0x068 Eip              : 0x7c90e4f4');
    assert.strictEqual(lines[28], '   +0x06c SegCs            : 0x1b');
    assert.strictEqual(lines[31], '   +0x078 HardwareSegSs    : 0x23');
    assert.strictEqual(lines[35], '   +0x088 V86Gs            : 0x0');
  });

  it('dt _KTSS without an address shows the layout with types, IoMapBase at 0x66', () => {
    const lines = formatStructureLayout(KTSS_LAYOUT).split('\n');
    assert.strictEqual(lines[0], 'nt!_KTSS');
    assert.ok(lines.includes('   +0x004 Esp0             : Uint4B'));
    assert.ok(lines.includes('   +0x00c NotUsed1         : [4] Uint4B'));
    assert.ok(lines.includes('   +0x066 IoMapBase        : Uint2B'));
    assert.strictEqual(lines[lines.length - 1], '   +0x208c IntDirectionMap  : [32] UChar');
    assert.strictEqual(formatStructureLayout(KTRAP_FRAME_LAYOUT).split('\n')[30], '   +0x074 HardwareEsp      : Uint4B');
  });

  it('dt _KTSS addr shows words, dwords and the embedded maps by type', () => {
    const memory = new GuestMemoryImage();
    const tss = memory.allocate(0x80042000, 0x68);
    put32(tss, 0x04, 0xF8A3DDF0);
    put16(tss, 0x08, 0x10);
    put32(tss, 0x1C, 0x39000);
    put16(tss, 0x66, 0x20AC);
    const decoded = decodeKtssStructure(memory, 0x80042000);
    assert.ok(decoded.ok);
    const lines = formatStructure(decoded.value).split('\n');
    assert.ok(lines.includes('   +0x004 Esp0             : 0xf8a3ddf0'));
    assert.ok(lines.includes('   +0x008 Ss0              : 0x10'));
    assert.ok(lines.includes('   +0x00c NotUsed1         : [4] 0x0'));
    assert.ok(lines.includes('   +0x01c CR3              : 0x39000'));
    assert.ok(lines.includes('   +0x066 IoMapBase        : 0x20ac'));
    assert.ok(lines.includes('   +0x068 IoMaps           : [1] _KiIoAccessMap'));
  });

  it('pointers print (null) or the pointee type, Char prints decimal', () => {
    const memory = new GuestMemoryImage();
    const thread = memory.allocate(0x80552740, 0x1C0);
    put32(thread, 0x18, 0xF8A3E000);
    put32(thread, 0x134, 0xF8A3DD64);
    thread[0x140] = 1;
    const decoded = decodeKthread(memory, 0x80552740);
    assert.ok(decoded.ok);
    assert.strictEqual(formatStructure(decoded.value), [
      'nt!_KTHREAD',
      '   +0x018 InitialStack     : 0xf8a3e000 Void',
      '   +0x01c StackLimit       : (null)',
      '   +0x020 Teb              : (null)',
      '   +0x028 KernelStack      : (null)',
      '   +0x0e0 ServiceTable     : (null)',
      '   +0x134 TrapFrame        : 0xf8a3dd64 _KTRAP_FRAME',
      "   +0x140 PreviousMode     : 1 ''",
    ].join('\n'));
  });
});

describe('!pcr', () => {
  it('prints the KPCR of processor 0 with the current thread', () => {
    const memory = new GuestMemoryImage();
    const pcr = memory.allocate(0xFFDFF000, 0x200);
    put32(pcr, 0x00, 0xF8A3DD50);
    put32(pcr, 0x04, 0xF8A3E000);
    put32(pcr, 0x08, 0xF8A3B000);
    put32(pcr, 0x1C, 0xFFDFF000);
    put32(pcr, 0x20, 0xFFDFF120);
    put32(pcr, 0x30, 0xFFFFFFFF);
    put32(pcr, 0x38, 0x8003F400);
    put32(pcr, 0x3C, 0x8003F000);
    put32(pcr, 0x40, 0x80042000);
    put16(pcr, 0x44, 1);
    put16(pcr, 0x46, 1);
    put32(pcr, 0x124, 0x80552740);
    put32(pcr, 0x12C, 0x80552740);
    const decoded = decodeKpcr(memory);
    assert.ok(decoded.ok);
    const text = formatPcr(decoded.value);
    const lines = text.split('\n');
    assert.strictEqual(lines[0], 'KPCR for Processor 0 at ffdff000:');
    assert.strictEqual(lines[1], '    Major 1 Minor 1');
    assert.strictEqual(lines[2], '\t NtTib.ExceptionList: f8a3dd50');
    assert.strictEqual(lines[3], '\t     NtTib.StackBase: f8a3e000');
    assert.ok(lines.includes('\t             SelfPcr: ffdff000'));
    assert.ok(lines.includes('\t                Prcb: ffdff120'));
    assert.ok(lines.includes('\t                 IDR: ffffffff'));
    assert.ok(lines.includes('\t                 IDT: 8003f400'));
    assert.ok(lines.includes('\t                 TSS: 80042000'));
    assert.ok(lines.includes('\t       CurrentThread: 80552740'));
    assert.ok(lines.includes('\t          NextThread: 00000000'));
  });
});

describe('memory dumps', () => {
  const memory = new GuestMemoryImage();
  const shared = memory.allocate(0x7FFE0300, 0x10);
  shared.set([0xF0, 0xE4, 0x90, 0x7C, 0xF4, 0xE4, 0x90, 0x7C, 0x41, 0x42, 0x00, 0x00, 0x7E, 0x7F, 0x20, 0xFF]);
  const table = memory.allocate(0x80501B8C, 12);
  put32(table, 0, 0x805999AC);
  put32(table, 4, 0x805E1234);
  put32(table, 8, 0xF8C12000);

  it('db prints 16 bytes a line with the dash and the ASCII column, ?? where unmapped', () => {
    assert.strictEqual(formatBytes(memory, 0x7FFE0300, 0x20), [
      '7ffe0300  f0 e4 90 7c f4 e4 90 7c-41 42 00 00 7e 7f 20 ff  ...|...|AB..~. .',
      '7ffe0310  ?? ?? ?? ?? ?? ?? ?? ??-?? ?? ?? ?? ?? ?? ?? ??  ????????????????',
    ].join('\n'));
    assert.strictEqual(formatBytes(memory, 0x7FFE0304, 4), `7ffe0304  f4 e4 90 7c${' '.repeat(36 + 2)}...|`);
  });

  it('dd prints four dwords a line', () => {
    assert.strictEqual(formatDwords(memory, 0x7FFE0300, 6), [
      '7ffe0300  7c90e4f0 7c90e4f4 00004241 ff207f7e',
      '7ffe0310  ???????? ????????',
    ].join('\n'));
  });

  it('dps names what each pointer points at', () => {
    assert.strictEqual(formatPointersWithSymbols(memory, 0x80501B8C, 4, symbolize), [
      '80501b8c  805999ac nt!NtAcceptConnectPort',
      '80501b90  805e1234 nt!NtAccessCheck',
      '80501b94  f8c12000',
      '80501b98  ????????',
    ].join('\n'));
  });

  it('parses ADDRESS [L COUNT] arguments with the evaluator', () => {
    const context: EvaluationContext = {
      register: (name: BaseRegisterName) => (name === 'esp' ? 0xF8A3DD64 : undefined),
      readMemory: () => undefined,
      symbol: (name) => (name === 'nt!KiServiceTable' ? 0x804E2D20 : undefined),
      segmentBase: () => 0,
    };
    assert.deepStrictEqual(parseRangeArguments('nt!KiServiceTable L8', context), { ok: true, address: 0x804E2D20, count: 8 });
    assert.deepStrictEqual(parseRangeArguments('esp+10 L?20', context), { ok: true, address: 0xF8A3DD74, count: 0x20 });
    assert.deepStrictEqual(parseRangeArguments('esp', context), { ok: true, address: 0xF8A3DD64, count: undefined });
    assert.deepStrictEqual(parseRangeArguments('', context), { ok: true, address: undefined, count: undefined });
    const bad = parseRangeArguments('nosuch L8', context);
    assert.ok(!bad.ok);
    assert.strictEqual(bad.message, "bad address 'nosuch': unknown register or symbol 'nosuch' at column 1");
    assert.ok(!parseRangeArguments('esp L0', context).ok);
  });
});

describe('rdmsr, r and dg', () => {
  it('rdmsr 176 prints the 64-bit value in two halves', () => {
    assert.strictEqual(formatRdmsr(0x176, 0x804DE6F0n), 'msr[176] = 00000000`804de6f0');
    assert.strictEqual(formatRdmsr(0x10, 0x1234567890ABCDEFn), 'msr[10] = 12345678`90abcdef');
  });

  it('r prints the registers, iopl, the flag mnemonics, selectors and efl in WinDbg columns', () => {
    const text = formatRegisters({
      eax: 0, ebx: 0x7FFDE000, ecx: 1, edx: 2, esi: 0, edi: 0,
      eip: 0x7C90E4F4, esp: 0x0012FB20, ebp: 0x0012FC94, eflags: 0x246,
      cs: 0x1B, ss: 0x23, ds: 0x23, es: 0x23, fs: 0x3B, gs: 0,
    }, { symbol: 'ntdll!KiFastSystemCallRet', bytes: Uint8Array.of(0xC3), text: 'ret' });
    assert.strictEqual(text, [
      'eax=00000000 ebx=7ffde000 ecx=00000001 edx=00000002 esi=00000000 edi=00000000',
      'eip=7c90e4f4 esp=0012fb20 ebp=0012fc94 iopl=0         nv up ei pl zr na pe nc',
      'cs=001b  ss=0023  ds=0023  es=0023  fs=003b  gs=0000             efl=00000246',
      'ntdll!KiFastSystemCallRet:',
      '7c90e4f4 c3              ret',
    ].join('\n'));
    for (const line of text.split('\n').slice(0, 3)) assert.strictEqual(line.length, 77);
  });

  it('flag mnemonics follow each flag', () => {
    assert.strictEqual(eflagsMnemonics(0x00000202), 'nv up ei pl nz na po nc');
    assert.strictEqual(eflagsMnemonics(0x00000ED5), 'ov dn ei ng zr ac pe cy');
    assert.strictEqual(eflagsMnemonics(0x00003002), 'nv up di pl nz na po nc');
  });

  it('dg lists descriptors with base, limit, type and attribute bits', () => {
    const memory = new GuestMemoryImage();
    const gdt = memory.allocate(0x8003F000, 0x30);
    gdt.set([0xFF, 0xFF, 0x00, 0x00, 0x00, 0x9B, 0xCF, 0x00], 0x08);
    gdt.set([0xAB, 0x20, 0x00, 0x20, 0x04, 0x8B, 0x00, 0x80], 0x28);
    const decoded = decodeGdt(memory, 0x8003F000, 0x2F);
    assert.ok(decoded.ok);
    const lines = formatDg([decoded.value.entries[1], decoded.value.entries[5]]).split('\n');
    assert.strictEqual(lines[3], '0008 00000000 ffffffff Code RE Ac 0 Bg Pg P  Nl 00000c9b');
    assert.strictEqual(lines[4], '0028 80042000 000020ab TSS32 Busy 0 Nb By P  Nl 0000008b');
  });
});
