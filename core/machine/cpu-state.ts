// Snapshot and restore of everything in a Cpu that is architectural or affects what runs next, and the
// register view the debugger and the command line print.
import type { Cpu, CpuStop } from '../cpu/cpu';
import { readEflags } from '../cpu/flags';

export interface SegmentView {
  selector: number;
  base: number;
  limit: number;
  attributes: number;
  usable: boolean;
}

/** The CPU's registers as a person reads them (all unsigned). */
export interface CpuRegisterView {
  eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number;
  eip: number; eflags: number;
  cs: SegmentView; ss: SegmentView; ds: SegmentView; es: SegmentView; fs: SegmentView; gs: SegmentView;
  cr0: number; cr2: number; cr3: number; cr4: number;
  gdtr: { base: number; limit: number }; idtr: { base: number; limit: number };
  ldtr: number; tr: { selector: number; base: number; limit: number };
  cpl: number;
  msr: { sysenterCs: number; sysenterEsp: number; sysenterEip: number };
}

const SEGMENT_ORDER = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

function segmentView(cpu: Cpu, index: number): SegmentView {
  return {
    selector: cpu.segSelector[index], base: cpu.segBase[index] >>> 0, limit: cpu.segLimit[index] >>> 0,
    attributes: cpu.segAttributes[index], usable: cpu.segUsable[index] !== 0,
  };
}

export function viewRegisters(cpu: Cpu): CpuRegisterView {
  const r = cpu.r32;
  const view = {
    eax: r[0] >>> 0, ecx: r[1] >>> 0, edx: r[2] >>> 0, ebx: r[3] >>> 0, esp: r[4] >>> 0, ebp: r[5] >>> 0,
    esi: r[6] >>> 0, edi: r[7] >>> 0, eip: cpu.eip >>> 0, eflags: readEflags(cpu),
    cr0: cpu.cr0 >>> 0, cr2: cpu.cr2 >>> 0, cr3: cpu.cr3 >>> 0, cr4: cpu.cr4 >>> 0,
    gdtr: { base: cpu.gdtBase >>> 0, limit: cpu.gdtLimit }, idtr: { base: cpu.idtBase >>> 0, limit: cpu.idtLimit },
    ldtr: cpu.ldtSelector, tr: { selector: cpu.trSelector, base: cpu.trBase >>> 0, limit: cpu.trLimit },
    cpl: cpu.cpl,
    msr: { sysenterCs: cpu.sysenterCs, sysenterEsp: cpu.sysenterEsp >>> 0, sysenterEip: cpu.sysenterEip >>> 0 },
  } as Partial<CpuRegisterView>;
  SEGMENT_ORDER.forEach((name, index) => { view[name] = segmentView(cpu, index); });
  return view as CpuRegisterView;
}

/** Architectural CPU state, copied out (no references into the live CPU). */
export interface CpuSnapshot {
  registers: Int32Array;
  eip: number;
  eflags: number;
  segments: { selector: Uint16Array; base: Int32Array; limit: Float64Array; attributes: Uint16Array; usable: Uint8Array };
  cpl: number;
  cr0: number; cr2: number; cr3: number; cr4: number;
  debugRegisters: Int32Array;
  gdt: [number, number]; idt: [number, number];
  ldt: [number, number, number]; tr: [number, number, number, number];
  sysenter: [number, number, number];
  tscOffset: number;
  sepSupported: boolean;
  instructionCount: number;
  halted: boolean;
  shutdown: boolean;
  stop: CpuStop | null;
  interruptShadow: boolean;
}

export function snapshotCpu(cpu: Cpu): CpuSnapshot {
  return {
    registers: cpu.r32.slice(),
    eip: cpu.eip,
    eflags: readEflags(cpu),
    segments: {
      selector: cpu.segSelector.slice(), base: cpu.segBase.slice(), limit: cpu.segLimit.slice(),
      attributes: cpu.segAttributes.slice(), usable: cpu.segUsable.slice(),
    },
    cpl: cpu.cpl,
    cr0: cpu.cr0, cr2: cpu.cr2, cr3: cpu.cr3, cr4: cpu.cr4,
    debugRegisters: cpu.debugRegisters.slice(),
    gdt: [cpu.gdtBase, cpu.gdtLimit], idt: [cpu.idtBase, cpu.idtLimit],
    ldt: [cpu.ldtSelector, cpu.ldtBase, cpu.ldtLimit], tr: [cpu.trSelector, cpu.trBase, cpu.trLimit, cpu.trType],
    sysenter: [cpu.sysenterCs, cpu.sysenterEsp, cpu.sysenterEip],
    tscOffset: cpu.tscOffset,
    sepSupported: cpu.sepSupported,
    instructionCount: cpu.instructionCount,
    halted: cpu.halted,
    shutdown: cpu.shutdown,
    stop: cpu.stop === null ? null : { ...cpu.stop },
    interruptShadow: cpu.interruptShadow,
  };
}

export function restoreCpu(cpu: Cpu, snapshot: CpuSnapshot): void {
  cpu.r32.set(snapshot.registers);
  cpu.r32[8] = 0;
  cpu.flags = snapshot.eflags | 0;
  cpu.lazyFlags = 0;
  for (let segment = 0; segment < 6; segment++) {
    const s = snapshot.segments;
    cpu.setSegmentCache(segment, s.selector[segment], s.base[segment], s.limit[segment], s.attributes[segment], s.usable[segment] !== 0);
  }
  cpu.cpl = snapshot.cpl;
  cpu.cr0 = snapshot.cr0; cpu.cr2 = snapshot.cr2; cpu.cr3 = snapshot.cr3; cpu.cr4 = snapshot.cr4;
  cpu.debugRegisters.set(snapshot.debugRegisters);
  [cpu.gdtBase, cpu.gdtLimit] = snapshot.gdt;
  [cpu.idtBase, cpu.idtLimit] = snapshot.idt;
  [cpu.ldtSelector, cpu.ldtBase, cpu.ldtLimit] = snapshot.ldt;
  [cpu.trSelector, cpu.trBase, cpu.trLimit, cpu.trType] = snapshot.tr;
  [cpu.sysenterCs, cpu.sysenterEsp, cpu.sysenterEip] = snapshot.sysenter;
  cpu.tscOffset = snapshot.tscOffset;
  cpu.sepSupported = snapshot.sepSupported;
  cpu.instructionCount = snapshot.instructionCount;
  cpu.halted = snapshot.halted;
  cpu.shutdown = snapshot.shutdown;
  cpu.stop = snapshot.stop === null ? null : { ...snapshot.stop };
  cpu.interruptShadow = snapshot.interruptShadow;
  cpu.attention = 0;
  cpu.faultPending = false;
  cpu.jumpTo(snapshot.eip);
  cpu.updateMemoryMode();
}
