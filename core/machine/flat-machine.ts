// A flat 32-bit ring-0 machine for quick experiments and differential tests (`ntsyscall exec`, the
// host-CPU oracle): RAM, no paging, flat 4 GiB segments, no IDT — the first exception ends the run.
import { Cpu, ATTENTION_FLAGS, ATTENTION_HALT, ATTENTION_SHADOW } from '../cpu/cpu';
import { FLAG_RESERVED_1, WRITABLE_FLAGS, CR0_ET, CR0_PE, hex32 } from '../cpu/constants';
import { PhysicalMemory, PAGE_SIZE } from '../memory/physical-memory';

export interface RegisterState {
  eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number;
  eip: number; eflags: number;
}

export interface FlatRunResult {
  registers: RegisterState;
  instructions: number;
  stop: {
    reason: 'hlt' | 'exception' | 'limit' | 'triple-fault';
    vector?: number;
    errorCode?: number;
    eip: number;
    message: string;
  };
}

export const FLAT_DEFAULT_MEMORY = 16 * 1024 * 1024;
export const FLAT_DEFAULT_MAX_INSTRUCTIONS = 100_000_000;
const REGISTER_ORDER = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

export class FlatMachine {
  readonly memory: PhysicalMemory;
  readonly cpu: Cpu;

  constructor(options: { memoryBytes?: number } = {}) {
    this.memory = new PhysicalMemory(options.memoryBytes ?? FLAT_DEFAULT_MEMORY);
    this.cpu = new Cpu(this.memory);
    this.cpu.exceptionsStopRun = true;
  }

  /** Copies bytes into RAM (and drops decoded instructions they overwrite). */
  load(address: number, bytes: Uint8Array): void {
    this.memory.load(address, bytes);
    const first = Math.max(0, Math.floor(address / PAGE_SIZE));
    const last = Math.min(this.memory.pageCount - 1, Math.floor((address + Math.max(bytes.length, 1) - 1) / PAGE_SIZE));
    for (let page = first; page <= last; page++) {
      if (this.cpu.isCodePage[page] !== 0) this.cpu.afterPhysicalWriteRange(page * PAGE_SIZE, PAGE_SIZE);
    }
  }

  /** Resets the registers (not memory) and runs until hlt, an exception or the instruction limit. */
  run(initial: Partial<RegisterState> = {}, options: { maxInstructions?: number } = {}): FlatRunResult {
    const cpu = this.cpu;
    this.resetProcessor(initial);
    const limit = options.maxInstructions ?? FLAT_DEFAULT_MAX_INSTRUCTIONS;
    let executed = 0;
    while (executed < limit) {
      executed += cpu.execute(limit - executed);
      if (cpu.stop !== null || cpu.shutdown || (cpu.attention & ATTENTION_HALT) !== 0) break;
      cpu.attention &= ~(ATTENTION_FLAGS | ATTENTION_SHADOW);
      cpu.interruptShadow = false;
    }
    const registers = this.registers();
    return { registers, instructions: executed, stop: this.describeStop(executed, limit, registers.eip) };
  }

  private resetProcessor(initial: Partial<RegisterState>): void {
    const cpu = this.cpu;
    REGISTER_ORDER.forEach((name, index) => { cpu.r32[index] = initial[name] ?? 0; });
    if (initial.esp === undefined) cpu.r32[4] = this.memory.size - 16;
    cpu.r32[8] = 0;
    cpu.flags = ((initial.eflags ?? FLAG_RESERVED_1) & WRITABLE_FLAGS) | FLAG_RESERVED_1;
    cpu.lazyFlags = 0;
    if (cpu.cpl !== 0 || cpu.segSelector[1] !== 0x08 || cpu.segBase[1] !== 0 || cpu.segLimit[1] !== 0xFFFFFFFF || cpu.codeBits !== 32) cpu.setFlatSegments(0);
    else for (let segment = 0; segment < 6; segment++) if (cpu.segBase[segment] !== 0 || cpu.segUsable[segment] === 0 || cpu.segLimit[segment] !== 0xFFFFFFFF) { cpu.setFlatSegments(0); break; }
    if (cpu.cr0 !== (CR0_PE | CR0_ET) || cpu.cr4 !== 0 || cpu.pagingEnabled) {
      cpu.cr0 = CR0_PE | CR0_ET;
      cpu.cr4 = 0;
      cpu.cr3 = 0;
      cpu.updateMemoryMode();
    }
    cpu.idtBase = 0; cpu.idtLimit = 0;
    cpu.halted = false;
    cpu.shutdown = false;
    cpu.stop = null;
    cpu.attention = 0;
    cpu.faultPending = false;
    cpu.interruptShadow = false;
    cpu.jumpTo(initial.eip ?? 0);
  }

  registers(): RegisterState {
    const r = this.cpu.r32;
    return {
      eax: r[0] >>> 0, ecx: r[1] >>> 0, edx: r[2] >>> 0, ebx: r[3] >>> 0, esp: r[4] >>> 0, ebp: r[5] >>> 0,
      esi: r[6] >>> 0, edi: r[7] >>> 0, eip: this.cpu.eip >>> 0, eflags: this.cpu.eflags,
    };
  }

  private describeStop(executed: number, limit: number, eip: number): FlatRunResult['stop'] {
    const cpu = this.cpu;
    const stop = cpu.stop;
    if (stop !== null && stop.reason === 'exception') {
      return { reason: 'exception', vector: stop.vector, errorCode: stop.errorCode, eip: stop.eip, message: stop.message };
    }
    if (stop !== null) return { reason: 'triple-fault', eip: stop.eip, message: stop.message };
    if ((cpu.attention & ATTENTION_HALT) !== 0) return { reason: 'hlt', eip, message: `hlt at ${hex32(eip - 1)}` };
    return { reason: 'limit', eip, message: `instruction limit (${limit}) reached after ${executed} instructions at ${hex32(eip)}` };
  }
}
