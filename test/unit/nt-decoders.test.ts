// The NT structure decoders against bytes built by hand from the Intel SDM and NT-MODEL.md layouts:
// every field the views show is checked against the value planted at its documented offset.
import * as assert from 'assert';
import * as fc from 'fast-check';
import { GuestMemoryImage, guestMemoryFromByteReader, physicalMemoryFromBytes } from '../../core/nt/guest-memory';
import { KGDT_R0_PCR, KTRAP_FRAME_LENGTH } from '../../core/nt/ks386';
import { kgdtName } from '../../core/nt/decoders/gdt-selectors';
import { decodeGdt, decodeSegmentDescriptor, lookupGdtDescriptor } from '../../core/nt/decoders/gdt';
import { decodeIdt, decodeIdtGate, idtCategory } from '../../core/nt/decoders/idt';
import { decodeKernelStack } from '../../core/nt/decoders/kernel-stack';
import { KPCR_ADDRESS, decodeKpcr } from '../../core/nt/decoders/kpcr';
import { decodeKthread } from '../../core/nt/decoders/kthread';
import { KTRAP_FRAME_LAYOUT, decodeTrapFrame, trapFrameReturnRing } from '../../core/nt/decoders/ktrap-frame';
import { KTSS_LAYOUT, decodeKtssStructure, decodeTss } from '../../core/nt/decoders/ktss';
import { translateLinear } from '../../core/nt/decoders/page-walk';
import { decodeServiceTables, descriptorTableRequests } from '../../core/nt/decoders/service-table';
import { findStructureLayout } from '../../core/nt/decoders/structure-catalog';
import { fieldValue } from '../../core/nt/decoders/structure-layout';

function putDword(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value >>> 0, true);
}

function putWord(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint16(offset, value, true);
}

/** SDM 6.11: offset 15..0, selector, attribute word (P DPL 0 type, 0), offset 31..16. */
function gate(offset: number, selector: number, attributes: number): Uint8Array {
  const bytes = new Uint8Array(8);
  putWord(bytes, 0, offset & 0xFFFF);
  putWord(bytes, 2, selector);
  putWord(bytes, 4, attributes);
  putWord(bytes, 6, offset >>> 16);
  return bytes;
}

/** SDM 3.4.5: limit 15..0, base 23..0, access byte, flags (G D/B 0 AVL) with limit 19..16, base 31..24. */
function segmentDescriptor(base: number, limit: number, access: number, flags: number): Uint8Array {
  const bytes = new Uint8Array(8);
  putWord(bytes, 0, limit & 0xFFFF);
  putWord(bytes, 2, base & 0xFFFF);
  bytes[4] = (base >>> 16) & 0xFF;
  bytes[5] = access;
  bytes[6] = (flags & 0xF0) | ((limit >>> 16) & 0xF);
  bytes[7] = base >>> 24;
  return bytes;
}

/** A symbol table like the machine's: "module!Name+0xNN" for addresses inside a known symbol. */
function symbolizerOf(symbols: Record<string, [number, number]>): (address: number) => string | undefined {
  return (address) => {
    for (const [name, [start, size]] of Object.entries(symbols)) {
      if (address >= start && address < start + size) return address === start ? name : `${name}+0x${(address - start).toString(16)}`;
    }
    return undefined;
  };
}

const symbolize = symbolizerOf({
  'nt!KiSystemService': [0x804DE2E0, 0xC0],
  'nt!KiTrap00': [0x804DF350, 0x40],
  'nt!NtReadFile': [0x8057A1D4, 0x300],
  'nt!NtClose': [0x805675C4, 0x80],
  'ntdll!KiFastSystemCallRet': [0x7C90E4F4, 1],
});

describe('IDT gates', () => {
  it('0x0008:0x804DE2E0 with attributes 0xEE00 is a present 32-bit interrupt gate of DPL 3', () => {
    const entry = decodeIdtGate(0x2E, gate(0x804DE2E0, 0x0008, 0xEE00), symbolize);
    assert.deepStrictEqual(entry, {
      vector: 0x2E, present: true, type: 'interrupt', gateBits: 32, rawType: 0xE,
      selector: 0x0008, offset: 0x804DE2E0, dpl: 3, symbol: 'nt!KiSystemService', category: 'system',
    });
  });

  it('0x8E00 is DPL 0 and 0x8F00 a trap gate', () => {
    const interrupt = decodeIdtGate(0x00, gate(0x804DF350, 0x08, 0x8E00), symbolize);
    assert.strictEqual(interrupt.dpl, 0);
    assert.strictEqual(interrupt.type, 'interrupt');
    assert.strictEqual(interrupt.category, 'exception');
    const trap = decodeIdtGate(0x01, gate(0x804DF360, 0x08, 0x8F00), symbolize);
    assert.strictEqual(trap.type, 'trap');
    assert.strictEqual(trap.symbol, 'nt!KiTrap00+0x10');
  });

  it('a task gate (0x8500) names a TSS selector and has no handler offset', () => {
    const entry = decodeIdtGate(0x08, gate(0x12345678, 0x0050, 0x8500), symbolize);
    assert.strictEqual(entry.type, 'task');
    assert.strictEqual(entry.selector, 0x50);
    assert.strictEqual(entry.offset, 0);
    assert.strictEqual(entry.symbol, null);
  });

  it('286 gates (0x86, 0x87) decode as 16-bit interrupt and trap gates with a 16-bit offset', () => {
    const interrupt = decodeIdtGate(0x40, gate(0xABCD1234, 0x08, 0x8600));
    assert.deepStrictEqual([interrupt.type, interrupt.gateBits, interrupt.offset], ['interrupt', 16, 0x1234]);
    const trap = decodeIdtGate(0x41, gate(0xABCD1234, 0x08, 0xC700));
    assert.deepStrictEqual([trap.type, trap.gateBits, trap.dpl], ['trap', 16, 2]);
  });

  it('not-present gates, code descriptors and reserved types are reported as such', () => {
    assert.strictEqual(decodeIdtGate(0x20, gate(0x804DE2E0, 0x08, 0x0E00)).present, false);
    assert.strictEqual(decodeIdtGate(0x20, gate(0, 0, 0x9A00)).type, 'none');
    assert.strictEqual(decodeIdtGate(0x20, gate(0, 0, 0x8C00)).type, 'none');
  });

  it('vectors fall into the seeds\' five groups', () => {
    const expected: [number, string][] = [
      [0x00, 'exception'], [0x13, 'exception'], [0x14, 'reserved'], [0x1F, 'reserved'], [0x20, 'free'], [0x29, 'free'],
      [0x2A, 'system'], [0x2E, 'system'], [0x2F, 'system'], [0x30, 'hardware'], [0xFF, 'hardware'],
    ];
    for (const [vector, category] of expected) assert.strictEqual(idtCategory(vector), category, `vector 0x${vector.toString(16)}`);
  });

  it('decodes a whole IDT from guest memory, honouring the limit', () => {
    const memory = new GuestMemoryImage();
    const table = memory.allocate(0x8003F400, 0x800);
    table.set(gate(0x804DF350, 0x08, 0x8E00), 0x00);
    table.set(gate(0x804DE2E0, 0x08, 0xEE00), 0x2E * 8);
    const full = decodeIdt(memory, 0x8003F400, 0x7FF, symbolize);
    assert.ok(full.ok);
    assert.strictEqual(full.value.entries.length, 256);
    assert.strictEqual(full.value.entries[0x2E].symbol, 'nt!KiSystemService');
    assert.strictEqual(full.value.entries[0x2E].dpl, 3);
    assert.strictEqual(full.value.entries[0x2D].present, false);
    const short = decodeIdt(memory, 0x8003F400, 0x2F * 8 - 1);
    assert.ok(short.ok);
    assert.strictEqual(short.value.entries.length, 0x2F);
  });

  it('an unmapped IDT is an error value that names the address', () => {
    const result = decodeIdt(new GuestMemoryImage(), 0x8003F400, 0x7FF);
    assert.ok(!result.ok);
    assert.match(result.error, /0x8003F400.*not mapped/);
  });
});

describe('GDT descriptors', () => {
  /** The XP GDT as KiInitializeGdt builds it. */
  function xpGdt(): GuestMemoryImage {
    const memory = new GuestMemoryImage();
    const table = memory.allocate(0x8003F000, 0x60);
    table.set(segmentDescriptor(0, 0xFFFFF, 0x9B, 0xC0), 0x08);
    table.set(segmentDescriptor(0, 0xFFFFF, 0x93, 0xC0), 0x10);
    table.set(segmentDescriptor(0, 0xFFFFF, 0xFB, 0xC0), 0x18);
    table.set(segmentDescriptor(0, 0xFFFFF, 0xF3, 0xC0), 0x20);
    table.set(segmentDescriptor(0x80042000, 0x20AB, 0x8B, 0x00), 0x28);
    table.set(segmentDescriptor(0xFFDFF000, 0x1, 0x93, 0xC0), 0x30);
    table.set(segmentDescriptor(0x7FFDE000, 0xFFF, 0xF3, 0x40), 0x38);
    table.set(segmentDescriptor(0x400, 0xFFFF, 0xF2, 0x00), 0x40);
    table.set(segmentDescriptor(0x8054AF00, 0x68, 0x89, 0x00), 0x50);
    table.set(segmentDescriptor(0x8054AF68, 0x68, 0x89, 0x00), 0x58);
    return memory;
  }

  it('decodes every XP selector with its KGDT name, base, scaled limit and dg-style type', () => {
    const result = decodeGdt(xpGdt(), 0x8003F000, 0x5F);
    assert.ok(result.ok);
    const rows = result.value.entries.map((entry) => [entry.selector, entry.name, entry.base, entry.limit, entry.type, entry.dpl, entry.present]);
    assert.deepStrictEqual(rows, [
      [0x00, 'KGDT_NULL', 0, 0, 'Null', 0, false],
      [0x08, 'KGDT_R0_CODE', 0, 0xFFFFFFFF, 'Code RE Ac', 0, true],
      [0x10, 'KGDT_R0_DATA', 0, 0xFFFFFFFF, 'Data RW Ac', 0, true],
      [0x18, 'KGDT_R3_CODE', 0, 0xFFFFFFFF, 'Code RE Ac', 3, true],
      [0x20, 'KGDT_R3_DATA', 0, 0xFFFFFFFF, 'Data RW Ac', 3, true],
      [0x28, 'KGDT_TSS', 0x80042000, 0x20AB, 'TSS32 Busy', 0, true],
      [0x30, 'KGDT_R0_PCR', 0xFFDFF000, 0x1FFF, 'Data RW Ac', 0, true],
      [0x38, 'KGDT_R3_TEB', 0x7FFDE000, 0xFFF, 'Data RW Ac', 3, true],
      [0x40, 'KGDT_VDM_TILE', 0x400, 0xFFFF, 'Data RW', 3, true],
      [0x48, 'KGDT_LDT', 0, 0, 'Null', 0, false],
      [0x50, 'KGDT_DF_TSS', 0x8054AF00, 0x68, 'TSS32 Avl', 0, true],
      [0x58, 'KGDT_NMI_TSS', 0x8054AF68, 0x68, 'TSS32 Avl', 0, true],
    ]);
    const code = result.value.entries[1];
    assert.deepStrictEqual([code.kind, code.defaultBig, code.granularity4K, code.accessed, code.system], ['code', true, true, true, false]);
    const tss = result.value.entries[5];
    assert.deepStrictEqual([tss.kind, tss.system, tss.rawType], ['tss', true, 0x0B]);
  });

  it('names other descriptor types as WinDbg dg does', () => {
    const types = [[0x9A, 'Code RE'], [0x98, 'Code EO'], [0x9E, 'Code RE C'], [0x91, 'Data RO Ac'], [0x96, 'Data RW ED'],
      [0x82, 'LDT'], [0x81, 'TSS16 Avl'], [0x83, 'TSS16 Busy'], [0xEC, 'CallGate32'], [0x85, 'TaskGate'], [0x8E, 'Int Gate32'],
      [0x8F, 'TrapGate32'], [0x84, 'CallGate16'], [0x88, 'Reserved']] as const;
    for (const [access, type] of types) {
      assert.strictEqual(decodeSegmentDescriptor(0x60, segmentDescriptor(0x1000, 0xFF, access, 0)).type, type, `access 0x${access.toString(16)}`);
    }
  });

  it('KGDT names ignore the RPL and stop past the XP layout', () => {
    assert.strictEqual(kgdtName(0x1B), 'KGDT_R3_CODE');
    assert.strictEqual(kgdtName(0x3B), 'KGDT_R3_TEB');
    assert.strictEqual(kgdtName(KGDT_R0_PCR), 'KGDT_R0_PCR');
    assert.strictEqual(kgdtName(0x60), null);
    assert.strictEqual(kgdtName(0x0C), null, 'TI set: an LDT selector');
  });

  it('looks a selector up, or says why it cannot', () => {
    const memory = xpGdt();
    const teb = lookupGdtDescriptor(memory, 0x8003F000, 0x5F, 0x3B);
    assert.ok(teb.ok);
    assert.strictEqual(teb.value.base, 0x7FFDE000);
    const past = lookupGdtDescriptor(memory, 0x8003F000, 0x5F, 0x60);
    assert.ok(!past.ok);
    assert.match(past.error, /past the GDT limit/);
    const ldt = lookupGdtDescriptor(memory, 0x8003F000, 0x5F, 0x0F);
    assert.ok(!ldt.ok);
    assert.match(ldt.error, /LDT/);
  });
});

describe('KTSS', () => {
  const hardwareFields: [number, keyof import('../../core/nt/decoders/shapes').KtssFields, number, 2 | 4][] = [
    [0x00, 'backlink', 0x0050, 2], [0x04, 'esp0', 0xF8A3DDF0, 4], [0x08, 'ss0', 0x0010, 2],
    [0x0C, 'esp1', 0x11111111, 4], [0x10, 'ss1', 0x0019, 2], [0x14, 'esp2', 0x22222222, 4], [0x18, 'ss2', 0x0012, 2],
    [0x1C, 'cr3', 0x00039000, 4], [0x20, 'eip', 0x804E1234, 4], [0x24, 'eflags', 0x00000202, 4],
    [0x28, 'eax', 0xAAAA0001, 4], [0x2C, 'ecx', 0xAAAA0002, 4], [0x30, 'edx', 0xAAAA0003, 4], [0x34, 'ebx', 0xAAAA0004, 4],
    [0x38, 'esp', 0xAAAA0005, 4], [0x3C, 'ebp', 0xAAAA0006, 4], [0x40, 'esi', 0xAAAA0007, 4], [0x44, 'edi', 0xAAAA0008, 4],
    [0x48, 'es', 0x0023, 2], [0x4C, 'cs', 0x0008, 2], [0x50, 'ss', 0x0010, 2], [0x54, 'ds', 0x0023, 2],
    [0x58, 'fs', 0x0030, 2], [0x5C, 'gs', 0x0000, 2], [0x60, 'ldt', 0x0048, 2], [0x64, 'flags', 0x0001, 2], [0x66, 'ioMapBase', 0x20AC, 2],
  ];

  function tssMemory(): GuestMemoryImage {
    const memory = new GuestMemoryImage();
    const tss = memory.allocate(0x80042000, 0x20AC);
    for (const [offset, , value, size] of hardwareFields) {
      if (size === 4) putDword(tss, offset, value); else putWord(tss, offset, value);
    }
    return memory;
  }

  it('reads every hardware field at the offset NT-MODEL.md gives', () => {
    const result = decodeTss(tssMemory(), 0x28, 0x80042000, 0x20AB);
    assert.ok(result.ok);
    for (const [offset, key, value] of hardwareFields) {
      assert.strictEqual(result.value.fields[key], value, `${key} at +0x${offset.toString(16)}`);
    }
    assert.deepStrictEqual([result.value.selector, result.value.base, result.value.limit], [0x28, 0x80042000, 0x20AB]);
    assert.strictEqual(result.value.ioMapPresent, false, 'IoMapBase 0x20AC lies past the limit 0x20AB');
  });

  it('an IoMapBase inside the limit means an I/O permission map exists', () => {
    const memory = tssMemory();
    const tss = memory.readLinear(0x80042000, 0x68);
    assert.ok(tss);
    putWord(tss, 0x66, 0x68);
    memory.map(0x80042000, tss);
    const result = decodeTss(memory, 0x28, 0x80042000, 0x20AB);
    assert.ok(result.ok);
    assert.strictEqual(result.value.ioMapPresent, true);
  });

  it('lists the dt _KTSS fields in order, ending with IoMaps and IntDirectionMap at 0x68 and 0x208C', () => {
    const names = KTSS_LAYOUT.fields.map((field) => `${field.offset.toString(16)} ${field.name}`);
    assert.deepStrictEqual(names.slice(0, 4), ['0 Backlink', '2 Reserved0', '4 Esp0', '8 Ss0']);
    assert.deepStrictEqual(names.slice(-4), ['64 Flags', '66 IoMapBase', '68 IoMaps', '208c IntDirectionMap']);
    assert.strictEqual(KTSS_LAYOUT.size, 0x20AC);
    const structure = decodeKtssStructure(tssMemory(), 0x80042000);
    assert.ok(structure.ok);
    assert.strictEqual(fieldValue(structure.value, 'Esp0'), 0xF8A3DDF0);
    assert.strictEqual(fieldValue(structure.value, 'CR3'), 0x39000);
  });
});

describe('_KTRAP_FRAME', () => {
  // NT-MODEL.md, verbatim: the order, offsets and names of XP's trap frame.
  const documented = ('00 DbgEbp · 04 DbgEip · 08 DbgArgMark · 0C DbgArgPointer · 10 TempSegCs · 14 TempEsp · 18 Dr0 · ' +
    '1C Dr1 · 20 Dr2 · 24 Dr3 · 28 Dr6 · 2C Dr7 · 30 SegGs · 34 SegEs · 38 SegDs · 3C Edx · 40 Ecx · 44 Eax · ' +
    '48 PreviousPreviousMode · 4C ExceptionList · 50 SegFs · 54 Edi · 58 Esi · 5C Ebx · 60 Ebp · 64 ErrCode · 68 Eip · ' +
    '6C SegCs · 70 EFlags · 74 HardwareEsp · 78 HardwareSegSs · 7C V86Es · 80 V86Ds · 84 V86Fs · 88 V86Gs')
    .split(' · ').map((item) => { const [offset, name] = item.split(' '); return { offset: parseInt(offset, 16), name }; });

  it('has every XP field in order, 0x8C bytes in all', () => {
    assert.deepStrictEqual(KTRAP_FRAME_LAYOUT.fields.map((field) => ({ offset: field.offset, name: field.name })), documented);
    assert.strictEqual(KTRAP_FRAME_LENGTH, 0x8C);
  });

  it('reads each field from its own offset', () => {
    const memory = new GuestMemoryImage();
    const frame = memory.allocate(0xF8A3DD64, KTRAP_FRAME_LENGTH);
    for (let offset = 0; offset < KTRAP_FRAME_LENGTH; offset += 4) putDword(frame, offset, 0xA0000000 + offset);
    const result = decodeTrapFrame(memory, 0xF8A3DD64);
    assert.ok(result.ok);
    for (const entry of result.value.fields) assert.strictEqual(entry.value, 0xA0000000 + entry.field.offset, entry.field.name);
  });

  it('a frame pushed by int 0x2e from ring 3 returns to ring 3', () => {
    const memory = new GuestMemoryImage();
    const frame = memory.allocate(0xF8A3DD64, KTRAP_FRAME_LENGTH);
    putDword(frame, 0x68, 0x7C90E4F4);
    putDword(frame, 0x6C, 0x1B);
    putDword(frame, 0x70, 0x246);
    putDword(frame, 0x74, 0x0012FEE0);
    putDword(frame, 0x78, 0x23);
    const result = decodeTrapFrame(memory, 0xF8A3DD64);
    assert.ok(result.ok);
    assert.strictEqual(trapFrameReturnRing(result.value), 3);
    assert.strictEqual(fieldValue(result.value, 'HardwareEsp'), 0x0012FEE0);
    assert.strictEqual(fieldValue(result.value, 'HardwareSegSs'), 0x23);
  });

  it('a partly unmapped frame is an error value', () => {
    const memory = new GuestMemoryImage();
    memory.allocate(0xF8A3E000 - 0x40, 0x40);
    const result = decodeTrapFrame(memory, 0xF8A3E000 - 0x40);
    assert.ok(!result.ok);
    assert.match(result.error, /_KTRAP_FRAME at 0xF8A3DFC0 is not mapped/);
  });
});

describe('KPCR and KTHREAD', () => {
  it('reads the KPCR self pointers, tables and the KPRCB threads', () => {
    const memory = new GuestMemoryImage();
    const pcr = memory.allocate(KPCR_ADDRESS, 0x1000);
    putDword(pcr, 0x00, 0xF8A3DD50);
    putDword(pcr, 0x1C, KPCR_ADDRESS);
    putDword(pcr, 0x20, 0xFFDFF120);
    pcr[0x24] = 2;
    putDword(pcr, 0x38, 0x8003F400);
    putDword(pcr, 0x3C, 0x8003F000);
    putDword(pcr, 0x40, 0x80042000);
    pcr[0x51] = 0;
    putDword(pcr, 0x124, 0x80552740);
    putDword(pcr, 0x12C, 0x80552740);
    const result = decodeKpcr(memory);
    assert.ok(result.ok);
    const value = (name: string): number | undefined => fieldValue(result.value, name);
    assert.deepStrictEqual(
      [value('NtTib.ExceptionList'), value('SelfPcr'), value('Prcb'), value('Irql'), value('IDT'), value('GDT'), value('TSS'), value('PrcbData.CurrentThread'), value('PrcbData.NextThread'), value('PrcbData.IdleThread')],
      [0xF8A3DD50, 0xFFDFF000, 0xFFDFF120, 2, 0x8003F400, 0x8003F000, 0x80042000, 0x80552740, 0, 0x80552740],
    );
  });

  it('reads the KTHREAD fields of the system-call path', () => {
    const memory = new GuestMemoryImage();
    const thread = memory.allocate(0x80552740, 0x1C0);
    putDword(thread, 0x18, 0xF8A3E000);
    putDword(thread, 0x1C, 0xF8A3B000);
    putDword(thread, 0x20, 0x7FFDE000);
    putDword(thread, 0x28, 0xF8A3DC00);
    putDword(thread, 0xE0, 0x80553180);
    putDword(thread, 0x134, 0xF8A3DD64);
    thread[0x140] = 1;
    const result = decodeKthread(memory, 0x80552740);
    assert.ok(result.ok);
    assert.deepStrictEqual(result.value.fields.map((entry) => [entry.field.name, entry.value]), [
      ['InitialStack', 0xF8A3E000], ['StackLimit', 0xF8A3B000], ['Teb', 0x7FFDE000], ['KernelStack', 0xF8A3DC00],
      ['ServiceTable', 0x80553180], ['TrapFrame', 0xF8A3DD64], ['PreviousMode', 1],
    ]);
  });
});

describe('service descriptor tables', () => {
  const ntoskrnl = { start: 0x804D7000, end: 0x806E5000 };

  function serviceMemory(): GuestMemoryImage {
    const memory = new GuestMemoryImage();
    const descriptors = memory.allocate(0x80553140, 0x20);
    putDword(descriptors, 0x00, 0x804E2D20);
    putDword(descriptors, 0x04, 0);
    putDword(descriptors, 0x08, 3);
    putDword(descriptors, 0x0C, 0x804E3190);
    const table = memory.allocate(0x804E2D20, 12);
    putDword(table, 0, 0x805675C4);
    putDword(table, 4, 0xF8C12000);
    putDword(table, 8, 0x8057A1D4);
    memory.map(0x804E3190, Uint8Array.from([0x04, 0x24, 0x24]));
    return memory;
  }

  it('reads Base/Count/Limit/Number and every entry; a handler outside ntoskrnl is hooked', () => {
    const result = decodeServiceTables(serviceMemory(), descriptorTableRequests('KeServiceDescriptorTable', 0x80553140, [ntoskrnl]), symbolize);
    assert.ok(result.ok);
    const [table] = result.value.tables;
    assert.deepStrictEqual(
      [table.name, table.base, table.count, table.argumentTable, table.counterTable, table.error],
      ['KeServiceDescriptorTable[0]', 0x804E2D20, 3, 0x804E3190, 0, null],
    );
    assert.deepStrictEqual(table.entries, [
      { index: 0, address: 0x805675C4, symbol: 'nt!NtClose', argumentBytes: 4, hooked: false },
      { index: 1, address: 0xF8C12000, symbol: null, argumentBytes: 0x24, hooked: true },
      { index: 2, address: 0x8057A1D4, symbol: 'nt!NtReadFile', argumentBytes: 0x24, hooked: false },
    ]);
  });

  it('an empty shadow slot has no entries; without an owner range nothing counts as hooked', () => {
    const result = decodeServiceTables(serviceMemory(), descriptorTableRequests('KeServiceDescriptorTableShadow', 0x80553140, [undefined, undefined]));
    assert.ok(result.ok);
    assert.strictEqual(result.value.tables[1].entries.length, 0);
    assert.ok(result.value.tables[0].entries.every((entry) => !entry.hooked));
  });

  it('stops at an unmapped slot or an absurd limit with an explanation', () => {
    const memory = serviceMemory();
    const descriptor = memory.readLinear(0x80553140, 16);
    assert.ok(descriptor);
    putDword(descriptor, 8, 5);
    memory.map(0x80553140, descriptor);
    const unmapped = decodeServiceTables(memory, descriptorTableRequests('KeServiceDescriptorTable', 0x80553140, [ntoskrnl]));
    assert.ok(unmapped.ok);
    assert.strictEqual(unmapped.value.tables[0].entries.length, 3);
    assert.match(unmapped.value.tables[0].error ?? '', /service 3 .* 0x804E2D2C is not mapped/);
    putDword(descriptor, 8, 0xFFFFFFFF);
    memory.map(0x80553140, descriptor);
    const absurd = decodeServiceTables(memory, descriptorTableRequests('KeServiceDescriptorTable', 0x80553140, [ntoskrnl]));
    assert.ok(absurd.ok);
    assert.match(absurd.value.tables[0].error ?? '', /exceeds/);
    const missing = decodeServiceTables(memory, descriptorTableRequests('KeServiceDescriptorTable', 0x90000000, [ntoskrnl]));
    assert.ok(!missing.ok);
    assert.match(missing.error, /KSERVICE_TABLE_DESCRIPTOR at 0x90000000 is not mapped/);
  });
});

describe('kernel stack', () => {
  const top = 0xF8A3E000;
  const trapFrame = top - 0x210 - KTRAP_FRAME_LENGTH;

  function stackMemory(): GuestMemoryImage {
    const memory = new GuestMemoryImage();
    const stack = memory.allocate(top - 0x3000, 0x3000);
    const at = (address: number, value: number): void => putDword(stack, address - (top - 0x3000), value);
    at(trapFrame - 8, trapFrame);
    at(trapFrame - 4, 0x804DE37A);
    at(trapFrame + 0x00, 0x0012FF94);
    at(trapFrame + 0x68, 0x7C90E4F4);
    at(trapFrame + 0x6C, 0x1B);
    at(trapFrame + 0x74, 0x0012FEE0);
    at(trapFrame + 0x78, 0x23);
    return memory;
  }

  it('marks ESP and EBP, the EBP chain, the trap frame fields and symbols', () => {
    const esp = trapFrame - 8;
    const view = decodeKernelStack(stackMemory(), { esp, ebp: esp, top, trapFrames: [trapFrame] }, symbolize);
    assert.strictEqual(trapFrame, 0xF8A3DD64);
    assert.deepStrictEqual([view.top, view.esp, view.ebp], [top, esp, esp]);
    assert.strictEqual(view.entries.length, (top - esp) / 4);
    assert.deepStrictEqual(view.entries[0], { address: esp, value: trapFrame, annotation: 'ESP · EBP · saved EBP' });
    assert.deepStrictEqual(view.entries[1], { address: esp + 4, value: 0x804DE37A, annotation: 'return address · nt!KiSystemService+0x9a' });
    assert.strictEqual(view.entries[2].annotation, 'saved EBP · _KTRAP_FRAME.DbgEbp (+0x0)');
    const eip = view.entries.find((entry) => entry.address === trapFrame + 0x68);
    assert.deepStrictEqual(eip, { address: trapFrame + 0x68, value: 0x7C90E4F4, annotation: '_KTRAP_FRAME.Eip (+0x68) · ntdll!KiFastSystemCallRet' });
    const ss = view.entries.find((entry) => entry.address === trapFrame + 0x78);
    assert.strictEqual(ss?.annotation, '_KTRAP_FRAME.HardwareSegSs (+0x78)');
    const past = view.entries.find((entry) => entry.address === trapFrame + 0x8C);
    assert.strictEqual(past?.annotation, '');
  });

  it('respects maxEntries and stops at unmapped memory', () => {
    const limited = decodeKernelStack(stackMemory(), { esp: top - 0x100, ebp: 0, top, maxEntries: 5 });
    assert.strictEqual(limited.entries.length, 5);
    const beyond = decodeKernelStack(stackMemory(), { esp: top - 0x10, ebp: 0, top: top + 0x100 });
    assert.strictEqual(beyond.entries.length, 4);
  });
});

describe('page walk for nt.translate', () => {
  const cr3 = 0x00039000;

  function pagedMemory(): GuestMemoryImage {
    const physical = new GuestMemoryImage();
    const directory = physical.allocate(cr3, 0x1000);
    putDword(directory, 0x1FF * 4, 0x00123067);
    putDword(directory, 0x201 * 4, 0x004001E3);
    const table = physical.allocate(0x00123000, 0x1000);
    putDword(table, 0x3E0 * 4, 0x00041025);
    putDword(table, 0x3DE * 4, 0x00055067);
    return physical;
  }

  it('walks PDE and PTE of KUSER_SHARED_DATA\'s user view: user, read-only', () => {
    const result = translateLinear(pagedMemory(), { pagingEnabled: true, cr3, pageSizeExtensions: true }, 0x7FFE0300);
    assert.deepStrictEqual(result, {
      ok: true, linear: 0x7FFE0300, pdeAddress: 0x000397FC, pde: 0x00123067, pteAddress: 0x00123F80, pte: 0x00041025,
      physical: 0x00041300, largePage: false, user: true, writable: false,
    });
  });

  it('a 4 MiB kernel page (PS with CR4.PSE) has no PTE', () => {
    const result = translateLinear(pagedMemory(), { pagingEnabled: true, cr3, pageSizeExtensions: true }, 0x804D7123);
    assert.ok(result.ok);
    assert.deepStrictEqual([result.physical, result.largePage, result.user, result.writable, result.pte], [0x004D7123, true, false, true, null]);
  });

  it('explains faults: PDE not present, PTE not present, tables outside RAM', () => {
    const memory = pagedMemory();
    const noPde = translateLinear(memory, { pagingEnabled: true, cr3, pageSizeExtensions: true }, 0x00400000);
    assert.ok(!noPde.ok);
    assert.strictEqual(noPde.fault, 'PDE not present (0x00000000 at physical 0x00039004)');
    const noPte = translateLinear(memory, { pagingEnabled: true, cr3, pageSizeExtensions: true }, 0x7FFE1000);
    assert.ok(!noPte.ok);
    assert.strictEqual(noPte.fault, 'PTE not present (0x00000000 at physical 0x00123F84)');
    const withoutPse = translateLinear(memory, { pagingEnabled: true, cr3, pageSizeExtensions: false }, 0x804D7123);
    assert.ok(!withoutPse.ok);
    assert.match(withoutPse.fault, /page table entry at physical 0x0040035C lies outside RAM/);
  });

  it('the TEB page is user and writable; without paging linear is physical', () => {
    const teb = translateLinear(pagedMemory(), { pagingEnabled: true, cr3, pageSizeExtensions: true }, 0x7FFDE018);
    assert.ok(teb.ok);
    assert.deepStrictEqual([teb.physical, teb.user, teb.writable], [0x00055018, true, true]);
    const flat = translateLinear(pagedMemory(), { pagingEnabled: false, cr3, pageSizeExtensions: true }, 0x12345678);
    assert.ok(flat.ok);
    assert.strictEqual(flat.physical, 0x12345678);
  });
});

describe('decoders: properties', () => {
  it('any gate encoded by the SDM layout decodes back to its fields', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0xFFFFFFFF }), fc.integer({ min: 0, max: 0xFFFF }), fc.constantFrom(0x6, 0x7, 0xE, 0xF),
      fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.integer({ min: 0, max: 255 }),
      (offset, selector, type, dpl, present, vector) => {
        const attributes = (present ? 0x8000 : 0) | (dpl << 13) | (type << 8);
        const entry = decodeIdtGate(vector, gate(offset, selector, attributes));
        const is32 = type >= 0xE;
        assert.deepStrictEqual(
          [entry.present, entry.dpl, entry.selector, entry.offset, entry.type, entry.gateBits, entry.category],
          [present, dpl, selector, is32 ? offset : offset & 0xFFFF, (type & 1) === 0 ? 'interrupt' : 'trap', is32 ? 32 : 16, idtCategory(vector)],
        );
      }), { numRuns: 300 });
  });

  it('any segment descriptor decodes its base, scaled limit, DPL and presence', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0xFFFFFFFF }), fc.integer({ min: 0, max: 0xFFFFF }), fc.integer({ min: 1, max: 0xFF }), fc.integer({ min: 0, max: 0xF }),
      (base, limit, access, flags) => {
        const entry = decodeSegmentDescriptor(0x08, segmentDescriptor(base, limit, access, flags << 4));
        const granular = (flags & 0x8) !== 0;
        assert.deepStrictEqual(
          [entry.base, entry.limit, entry.dpl, entry.present, entry.system, entry.defaultBig],
          [base, granular ? ((limit << 12) | 0xFFF) >>> 0 : limit, (access >> 5) & 3, (access & 0x80) !== 0, (access & 0x10) === 0, (flags & 0x4) !== 0],
        );
        assert.ok(/^(Null|Code|Data|TSS|LDT|CallGate|TaskGate|Int Gate|TrapGate|Reserved)/.test(entry.type), entry.type);
      }), { numRuns: 300 });
  });

  it('random guest memory never makes a decoder throw', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0x200, maxLength: 0x200 }), fc.integer({ min: 0, max: 0xFFFF }), (bytes, limit) => {
      const memory = new GuestMemoryImage().map(0x1000, bytes);
      decodeIdt(memory, 0x1000, limit, symbolize);
      decodeGdt(memory, 0x1000, limit);
      decodeTss(memory, 0x28, 0x1000, limit);
      decodeTrapFrame(memory, 0x1000 + (limit & 0x1FF));
      decodeServiceTables(memory, descriptorTableRequests('T', 0x1000 + (limit & 0x1F0), [{ start: 0, end: 0x2000 }]), symbolize);
      decodeKernelStack(memory, { esp: 0x1000, ebp: 0x1000 + (limit & 0x1FC), top: 0x1200, trapFrames: [0x1100] }, symbolize);
      translateLinear(memory, { pagingEnabled: true, cr3: 0x1000, pageSizeExtensions: (limit & 1) !== 0 }, limit * 0x10001);
    }), { numRuns: 100 });
  });
});

describe('structure catalog', () => {
  it('finds the layouts dt names, with or without module and underscore', () => {
    assert.strictEqual(findStructureLayout('_KTRAP_FRAME'), KTRAP_FRAME_LAYOUT);
    assert.strictEqual(findStructureLayout('nt!_KTSS'), KTSS_LAYOUT);
    assert.strictEqual(findStructureLayout('kthread')?.name, '_KTHREAD');
    assert.strictEqual(findStructureLayout('_EPROCESS'), undefined);
  });
});

describe('guest memory adapters', () => {
  it('a per-byte reader (the machine\'s readLinear) becomes a GuestMemoryReader; one hole makes the read unmapped', () => {
    const memory = guestMemoryFromByteReader((address, length) => Array.from({ length }, (_, index) => (address + index === 0x1003 ? undefined : (address + index) & 0xFF)));
    assert.deepStrictEqual(memory.readLinear(0x1000, 3), Uint8Array.of(0, 1, 2));
    assert.strictEqual(memory.readLinear(0x1000, 4), undefined);
  });

  it('RAM as one array answers physical reads inside it only', () => {
    const ram = new Uint8Array(0x2000);
    ram[0x1FFF] = 0xAB;
    const physical = physicalMemoryFromBytes(ram);
    assert.deepStrictEqual(physical.readPhysical(0x1FFF, 1), Uint8Array.of(0xAB));
    assert.strictEqual(physical.readPhysical(0x1FFE, 4), undefined);
  });
});
