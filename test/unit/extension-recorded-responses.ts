// Custom-request answers as the adapter gives them at the first instruction of nt!KiSystemService
// after `int 0x2e` from ntdll!KiIntSystemCall (XP SP3 layout, NT-MODEL.md), written out by hand.
import type {
  GdtView, IdtEntryView, IdtView, KernelStackView, MsrView, SsdtView, TssView,
} from '../../extension/model/request-shapes';

const KGDT_R0_CODE = 0x08;

function gate(vector: number, offset: number, symbol: string, dpl: number, category: IdtEntryView['category']): IdtEntryView {
  return { vector, present: true, type: 'interrupt', gateBits: 32, rawType: 0xE, selector: KGDT_R0_CODE, offset, dpl, symbol, category };
}

function emptyGate(vector: number, category: IdtEntryView['category']): IdtEntryView {
  return { vector, present: false, type: 'none', gateBits: 0, rawType: 0, selector: 0, offset: 0, dpl: 0, symbol: null, category };
}

const exceptionEntries: IdtEntryView[] = [
  gate(0x00, 0x804DF350, 'nt!KiTrap00', 0, 'exception'),
  gate(0x01, 0x804DF4CB, 'nt!KiTrap01', 0, 'exception'),
  { vector: 0x02, present: true, type: 'task', gateBits: 32, rawType: 0x5, selector: 0x58, offset: 0, dpl: 0, symbol: null, category: 'exception' },
  gate(0x03, 0x804DF89D, 'nt!KiTrap03', 3, 'exception'),
  gate(0x04, 0x804DFA20, 'nt!KiTrap04', 3, 'exception'),
  gate(0x05, 0x804DFB81, 'nt!KiTrap05', 0, 'exception'),
  gate(0x06, 0x804DFD02, 'nt!KiTrap06', 0, 'exception'),
  gate(0x07, 0x804E036A, 'nt!KiTrap07', 0, 'exception'),
  { vector: 0x08, present: true, type: 'task', gateBits: 32, rawType: 0x5, selector: 0x50, offset: 0, dpl: 0, symbol: null, category: 'exception' },
  gate(0x09, 0x804E078F, 'nt!KiTrap09', 0, 'exception'),
  gate(0x0A, 0x804E08AC, 'nt!KiTrap0A', 0, 'exception'),
  gate(0x0B, 0x804E09E9, 'nt!KiTrap0B', 0, 'exception'),
  gate(0x0C, 0x804E0C42, 'nt!KiTrap0C', 0, 'exception'),
  gate(0x0D, 0x804E0F38, 'nt!KiTrap0D', 0, 'exception'),
  gate(0x0E, 0x804E164E, 'nt!KiTrap0E', 0, 'exception'),
  gate(0x0F, 0x804E197C, 'nt!KiTrap0F', 0, 'exception'),
  gate(0x10, 0x804E1A99, 'nt!KiTrap10', 0, 'exception'),
  gate(0x11, 0x804E1BBE, 'nt!KiTrap11', 0, 'exception'),
  gate(0x12, 0x804E197C, 'nt!KiTrap0F', 0, 'exception'),
  gate(0x13, 0x804E1CDB, 'nt!KiTrap13', 0, 'exception'),
];

const systemEntries: IdtEntryView[] = [
  gate(0x2A, 0x804DE2A0, 'nt!KiGetTickCount', 3, 'system'),
  gate(0x2B, 0x804DE3A0, 'nt!KiCallbackReturn', 3, 'system'),
  gate(0x2C, 0x804DE4B0, 'nt!KiRaiseAssertion', 3, 'system'),
  gate(0x2D, 0x804DF0C0, 'nt!KiDebugService', 3, 'system'),
  gate(0x2E, 0x804DE2E0, 'nt!KiSystemService', 3, 'system'),
  emptyGate(0x2F, 'system'),
];

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}

export const recordedIdt: IdtView = {
  base: 0x8003F400,
  limit: 0x7FF,
  entries: [
    ...exceptionEntries,
    ...range(0x14, 0x1F).map((vector) => emptyGate(vector, 'reserved')),
    ...range(0x20, 0x29).map((vector) => emptyGate(vector, 'free')),
    ...systemEntries,
    gate(0x30, 0x804E2A10, 'nt!KiClockInterrupt', 0, 'hardware'),
    ...range(0x31, 0xFF).map((vector) => emptyGate(vector, 'hardware')),
  ],
};

/** The same IDT one stop later, after a driver replaced IDT[0x2E] (an IDT hook). */
export const recordedIdtAfterHook: IdtView = {
  ...recordedIdt,
  entries: recordedIdt.entries.map((entry) => (entry.vector === 0x2E ? { ...entry, offset: 0xF7C51000, symbol: 'idthook!HookedSystemService' } : entry)),
};

export const recordedSsdt: SsdtView = {
  tables: [{
    name: 'KeServiceDescriptorTable[0]',
    base: 0x80501B8C,
    count: 0x11C,
    argumentTable: 0x80501FFC,
    counterTable: 0,
    error: null,
    entries: [
      { index: 0x000, address: 0x8058FD5E, symbol: 'nt!NtAcceptConnectPort', argumentBytes: 0x18, hooked: false },
      { index: 0x019, address: 0x805677CE, symbol: 'nt!NtClose', argumentBytes: 0x04, hooked: false },
      { index: 0x0B7, address: 0x8057CC3C, symbol: 'nt!NtReadFile', argumentBytes: 0x24, hooked: false },
      { index: 0x101, address: 0x805831DC, symbol: 'nt!NtTerminateProcess', argumentBytes: 0x08, hooked: false },
      { index: 0x112, address: 0x8057D6A6, symbol: 'nt!NtWriteFile', argumentBytes: 0x24, hooked: false },
    ],
  }],
};

/** After drivers/ssdt-hook.asm replaced KiServiceTable[0xB7]. */
export const recordedSsdtHooked: SsdtView = {
  tables: recordedSsdt.tables.map((table) => ({
    ...table,
    entries: table.entries.map((entry) => (entry.index === 0xB7
      ? { ...entry, address: 0xF7C52040, symbol: 'ssdthook!HookNtReadFile', hooked: true } : entry)),
  })),
};

export const recordedTss: TssView = {
  selector: 0x28,
  base: 0x80042000,
  limit: 0x20AB,
  ioMapPresent: false,
  fields: {
    backlink: 0, esp0: 0xF8A3DDF0, ss0: 0x10, esp1: 0, ss1: 0, esp2: 0, ss2: 0,
    cr3: 0x00039000, eip: 0, eflags: 0, eax: 0, ecx: 0, edx: 0, ebx: 0, esp: 0, ebp: 0, esi: 0, edi: 0,
    es: 0, cs: 0, ss: 0, ds: 0, fs: 0, gs: 0, ldt: 0, flags: 0, ioMapBase: 0x20AC,
  },
};

/**
 * ESP = TSS.Esp0 - 0x14: the five dwords `int 0x2e` pushed from ring 3 (KTRAP_FRAME +0x68..+0x78), then
 * one dword above the frame; annotations as core/nt/decoders/kernel-stack.ts writes them.
 */
export const recordedKernelStack: KernelStackView = {
  top: 0xF8A3DDF4,
  esp: 0xF8A3DDDC,
  ebp: 0x0012FF90,
  entries: [
    { address: 0xF8A3DDDC, value: 0x7C90E4F4, annotation: 'ESP · _KTRAP_FRAME.Eip (+0x68) · ntdll!KiIntSystemCall+0x7' },
    { address: 0xF8A3DDE0, value: 0x0000001B, annotation: '_KTRAP_FRAME.SegCs (+0x6c)' },
    { address: 0xF8A3DDE4, value: 0x00000202, annotation: '_KTRAP_FRAME.EFlags (+0x70)' },
    { address: 0xF8A3DDE8, value: 0x0012FF44, annotation: '_KTRAP_FRAME.HardwareEsp (+0x74)' },
    { address: 0xF8A3DDEC, value: 0x00000023, annotation: '_KTRAP_FRAME.HardwareSegSs (+0x78)' },
    { address: 0xF8A3DDF0, value: 0x00000000, annotation: '' },
  ],
};

export const recordedGdt: GdtView = {
  base: 0x8003F000,
  limit: 0x3FF,
  entries: [
    { selector: 0x00, base: 0, limit: 0, type: 'Null', kind: 'null', dpl: 0, present: false, name: 'KGDT_NULL', defaultBig: false, granularity4K: false, accessed: false, rawType: 0, system: false },
    { selector: 0x08, base: 0, limit: 0xFFFFFFFF, type: 'Code RE Ac', kind: 'code', dpl: 0, present: true, name: 'KGDT_R0_CODE', defaultBig: true, granularity4K: true, accessed: true, rawType: 0xB, system: false },
    { selector: 0x10, base: 0, limit: 0xFFFFFFFF, type: 'Data RW Ac', kind: 'data', dpl: 0, present: true, name: 'KGDT_R0_DATA', defaultBig: true, granularity4K: true, accessed: true, rawType: 0x3, system: false },
    { selector: 0x18, base: 0, limit: 0xFFFFFFFF, type: 'Code RE Ac', kind: 'code', dpl: 3, present: true, name: 'KGDT_R3_CODE', defaultBig: true, granularity4K: true, accessed: true, rawType: 0xB, system: false },
    { selector: 0x20, base: 0, limit: 0xFFFFFFFF, type: 'Data RW Ac', kind: 'data', dpl: 3, present: true, name: 'KGDT_R3_DATA', defaultBig: true, granularity4K: true, accessed: true, rawType: 0x3, system: false },
    { selector: 0x28, base: 0x80042000, limit: 0x20AB, type: 'TSS32 Busy', kind: 'tss', dpl: 0, present: true, name: 'KGDT_TSS', defaultBig: false, granularity4K: false, accessed: false, rawType: 0xB, system: true },
    { selector: 0x30, base: 0xFFDFF000, limit: 0x1FFF, type: 'Data RW Ac', kind: 'data', dpl: 0, present: true, name: 'KGDT_R0_PCR', defaultBig: true, granularity4K: false, accessed: true, rawType: 0x3, system: false },
    { selector: 0x38, base: 0x7FFDE000, limit: 0xFFF, type: 'Data RW Ac', kind: 'data', dpl: 3, present: true, name: 'KGDT_R3_TEB', defaultBig: true, granularity4K: false, accessed: true, rawType: 0x3, system: false },
  ],
};

export const recordedMsr: MsrView = {
  sysenterCs: 0x08,
  sysenterEsp: 0xF8AC2000,
  sysenterEip: 0x804DE6F0,
  tsc: '0x00000000000F4A21',
};
