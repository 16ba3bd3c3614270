// The machine the NT model runs on: CPU + physical memory + clock + debug port, run in slices, with the
// debugger's stop conditions (breakpoints, watchpoints, vectors, exceptions, privilege changes,
// sysenter/sysexit, instruction limit, hlt with IF=0), stepping, an interrupt event hook and snapshots.
import { ATTENTION_HALT, ATTENTION_SHADOW, Cpu, CpuStop, PortBus } from '../cpu/cpu';
import { FLAG_IF, hex32 } from '../cpu/constants';
import type { InterruptEvent } from '../cpu/interrupts';
import { PhysicalMemory, PAGE_SIZE } from '../memory/physical-memory';
import { ClockDevice, ClockState, CLOCK_DEFAULT_VECTOR } from './clock';
import { CpuRegisterView, CpuSnapshot, restoreCpu, snapshotCpu, viewRegisters } from './cpu-state';
import { DEBUG_PORT, DebugPort } from './debug-port';

export interface MachineOptions {
  /** Physical RAM in bytes (default 32 MiB). */
  memoryBytes?: number;
  /** Clock interrupt every N instructions while IF=1; 0 or absent: no clock. */
  clockInterval?: number;
  clockVector?: number;
  /** CPUID.1:EDX.SEP (default on). */
  sepSupported?: boolean;
  /** Receives each byte the guest writes to port 0xE9. */
  onDebugOutput?: (byte: number) => void;
}

export type MachineStopReason =
  | 'breakpoint' | 'watchpoint' | 'interrupt' | 'exception' | 'privilege-change' | 'sysenter' | 'sysexit'
  | 'limit' | 'hlt' | 'triple-fault' | 'internal-error'
  /** Not a stop: the slice's budget ran out (call runSlice again). */
  | 'slice'
  /** step() finished its one instruction with nothing else to report. */
  | 'step';

export interface MachineStop {
  reason: MachineStopReason;
  message: string;
  /** EIP after the stop (for a breakpoint: the instruction not yet executed). */
  eip: number;
  /** Instructions retired during this call. */
  instructions: number;
  vector?: number;
  errorCode?: number;
  address?: number;
  access?: 'read' | 'write';
}

export type WatchAccess = 'read' | 'write' | 'access';

export interface Watchpoint {
  id: number;
  start: number;
  length: number;
  access: WatchAccess;
}

export interface MachineSnapshot {
  cpu: CpuSnapshot;
  /** RAM as 4 KiB pages; a page that did not change since the previous snapshot is shared with it. */
  pages: readonly Uint8Array[];
  clock: ClockState;
  instructionLimit: number;
}

export const MACHINE_DEFAULT_MEMORY = 32 * 1024 * 1024;

export class Machine implements PortBus {
  readonly memory: PhysicalMemory;
  readonly cpu: Cpu;
  readonly clock: ClockDevice;
  readonly debugPort = new DebugPort();
  /** Absolute instruction count at which execution stops with 'limit' (Infinity: none). */
  instructionLimit = Number.POSITIVE_INFINITY;
  private readonly watchpoints = new Map<number, Watchpoint>();
  private nextWatchpointId = 1;
  private sliceStartFaults = 0;
  /** The pages of the last snapshot taken or restored, for sharing unchanged pages. */
  private previousPages: readonly Uint8Array[] | undefined;
  private readonly interruptListeners: ((event: InterruptEvent) => void)[] = [];

  constructor(options: MachineOptions = {}) {
    this.memory = new PhysicalMemory(options.memoryBytes ?? MACHINE_DEFAULT_MEMORY);
    this.cpu = new Cpu(this.memory);
    this.cpu.ports = this;
    this.cpu.sepSupported = options.sepSupported ?? true;
    this.clock = new ClockDevice(options.clockInterval ?? 0, options.clockVector ?? CLOCK_DEFAULT_VECTOR, 0);
    if (options.onDebugOutput) this.debugPort.onByte = options.onDebugOutput;
  }

  get instructionCount(): number {
    return this.cpu.instructionCount;
  }

  // ------------------------------------------------------------------ ports

  readPort(port: number, size: 1 | 2 | 4): number {
    if (port === DEBUG_PORT && size === 1) return DEBUG_PORT;
    return size === 1 ? 0xFF : size === 2 ? 0xFFFF : 0xFFFFFFFF;
  }

  writePort(port: number, size: 1 | 2 | 4, value: number): void {
    if (port === DEBUG_PORT) {
      for (let i = 0; i < size; i++) this.debugPort.write((value >>> (8 * i)) & 0xFF);
    }
  }

  // ------------------------------------------------------------------ running

  /**
   * Runs at most `maxInstructions` instructions, or until a stop condition. Returns promptly, so a
   * caller can answer a pause request between slices.
   */
  runSlice(maxInstructions: number): MachineStop {
    // NaN or a negative count runs nothing rather than looping forever.
    if (!(maxInstructions >= 0)) maxInstructions = 0;
    maxInstructions = Math.floor(maxInstructions);
    const cpu = this.cpu;
    const startCount = cpu.instructionCount;
    this.sliceStartFaults = cpu.faultsDelivered;
    cpu.stop = null;
    cpu.attention = 0;
    // Resuming at a breakpoint executes the instruction there instead of stopping again.
    cpu.breakpointResume = (cpu.segBase[1] + cpu.eip) >>> 0;
    try {
      return this.runLoop(startCount, maxInstructions);
    } finally {
      cpu.breakpointResume = -1;
    }
  }

  /** Executes exactly one instruction (or delivers one pending interrupt) and reports why it stopped. */
  step(): MachineStop {
    const stop = this.runSlice(1);
    return stop.reason === 'slice' ? { ...stop, reason: 'step', message: `stepped to ${hex32(stop.eip)}` } : stop;
  }

  private runLoop(startCount: number, maxInstructions: number): MachineStop {
    const cpu = this.cpu;
    const clock = this.clock;
    for (;;) {
      if (cpu.shutdown) return this.report(startCount);
      // Fault deliveries count as steps so a fault loop (a handler faulting on its first byte) still yields.
      const done = cpu.instructionCount - startCount + (cpu.faultsDelivered - this.sliceStartFaults);
      if (done >= maxInstructions) return this.report(startCount, 'slice');
      if (cpu.instructionCount >= this.instructionLimit) return this.report(startCount, 'limit');
      // Hardware interrupts are taken between instructions when IF=1 and no sti/mov ss shadow is active.
      if (clock.pending && (cpu.flags & FLAG_IF) !== 0 && !cpu.interruptShadow) {
        clock.pending = false;
        cpu.interrupt(clock.vector);
        if (cpu.stop !== null || cpu.shutdown) return this.report(startCount);
        cpu.attention = 0;
      }
      if (cpu.halted) {
        cpu.interruptShadow = false; // the shadow ended with the hlt itself
        if ((cpu.flags & FLAG_IF) !== 0 && clock.enabled) {
          clock.skipToTick(cpu.instructionCount);
          continue;
        }
        return this.report(startCount, 'hlt');
      }
      let budget = Math.min(maxInstructions - done, this.instructionLimit - cpu.instructionCount, clock.instructionsUntilTick(cpu.instructionCount));
      if (cpu.interruptShadow) budget = Math.min(budget, 1);
      if (!(budget >= 1)) budget = 1; // also catches a NaN instruction limit
      cpu.externalInterruptPending = clock.pending;
      cpu.execute(budget);
      clock.advanceTo(cpu.instructionCount);
      if (cpu.stop !== null || cpu.shutdown) return this.report(startCount);
      const attention = cpu.attention;
      cpu.attention = 0;
      // The shadow lasts for the one instruction after sti / mov ss, which the budget of 1 above ran.
      if ((attention & ATTENTION_SHADOW) === 0) cpu.interruptShadow = false;
      if ((attention & ATTENTION_HALT) !== 0 && (cpu.flags & FLAG_IF) === 0) return this.report(startCount, 'hlt');
    }
  }

  private report(startCount: number, fallback?: MachineStopReason): MachineStop {
    const cpu = this.cpu;
    const instructions = cpu.instructionCount - startCount;
    const eip = cpu.eip >>> 0;
    const stop: CpuStop | null = cpu.stop;
    if (stop !== null) {
      return {
        reason: stop.reason, message: stop.message, eip, instructions,
        vector: stop.vector, errorCode: stop.errorCode, address: stop.address, access: stop.access,
      };
    }
    switch (fallback) {
      case 'hlt': return { reason: 'hlt', message: `hlt with interrupts disabled at ${hex32(eip)}`, eip, instructions };
      case 'limit': return { reason: 'limit', message: `instruction limit ${this.instructionLimit} reached at ${hex32(eip)}`, eip, instructions };
      default: return { reason: 'slice', message: `ran ${instructions} instructions`, eip, instructions };
    }
  }

  // ------------------------------------------------------------------ debugging

  addBreakpoint(linear: number): void {
    const address = linear >>> 0;
    if (this.cpu.breakpoints.has(address)) return;
    this.cpu.breakpoints.add(address);
    this.cpu.breakpointPages[address >>> 12]++;
    this.cpu.breakpointsChanged();
  }

  removeBreakpoint(linear: number): void {
    const address = linear >>> 0;
    if (!this.cpu.breakpoints.delete(address)) return;
    this.cpu.breakpointPages[address >>> 12]--;
    this.cpu.breakpointsChanged();
  }

  clearBreakpoints(): void {
    for (const address of [...this.cpu.breakpoints]) this.removeBreakpoint(address);
  }

  get breakpoints(): number[] {
    return [...this.cpu.breakpoints];
  }

  /** Watches [start, start + length) (1..4096 bytes) for reads, writes or both. Returns an id, or an error message. */
  addWatchpoint(start: number, length: number, access: WatchAccess): number | string {
    if (!Number.isInteger(length) || length < 1 || length > 4096) return `a watchpoint covers 1 to 4096 bytes, not ${length}`;
    const id = this.nextWatchpointId++;
    this.watchpoints.set(id, { id, start: start >>> 0, length, access });
    this.rebuildWatchMarks();
    return id;
  }

  removeWatchpoint(id: number): boolean {
    const removed = this.watchpoints.delete(id);
    if (removed) this.rebuildWatchMarks();
    return removed;
  }

  get watchpointList(): Watchpoint[] {
    return [...this.watchpoints.values()];
  }

  private rebuildWatchMarks(): void {
    const cpu = this.cpu;
    cpu.watchPages.fill(0);
    cpu.watchRanges = [];
    for (const watch of this.watchpoints.values()) {
      const end = (watch.start + watch.length - 1) >>> 0;
      const read = watch.access !== 'write';
      const write = watch.access !== 'read';
      cpu.watchRanges.push({ start: watch.start, end, read, write, id: watch.id });
      for (let page = watch.start >>> 12; ; page = (page + 1) & 0xFFFFF) {
        cpu.watchPages[page] |= (read ? 1 : 0) | (write ? 2 : 0);
        if (page === end >>> 12) break;
      }
    }
    cpu.flushTlb();
  }

  /** Stop after delivering this vector (interrupt, exception or int n). */
  setStopOnVector(vector: number, on: boolean): void {
    this.cpu.stopOnVector[vector & 0xFF] = on ? 1 : 0;
  }

  setStopOnExceptions(on: boolean): void { this.cpu.stopOnExceptions = on; }
  setStopOnPrivilegeChange(on: boolean): void { this.cpu.stopOnPrivilegeChange = on; }
  setStopOnSysenter(on: boolean): void { this.cpu.stopOnSysenter = on; }
  setStopOnSysexit(on: boolean): void { this.cpu.stopOnSysexit = on; }

  /** Listens to every interrupt and exception delivered; returns a function that unsubscribes. */
  onInterrupt(listener: (event: InterruptEvent) => void): () => void {
    this.interruptListeners.push(listener);
    this.cpu.onInterrupt = (event) => { for (const each of this.interruptListeners) each(event); };
    return () => {
      const index = this.interruptListeners.indexOf(listener);
      if (index >= 0) this.interruptListeners.splice(index, 1);
      if (this.interruptListeners.length === 0) this.cpu.onInterrupt = null;
    };
  }

  // ------------------------------------------------------------------ state

  registers(): CpuRegisterView {
    return viewRegisters(this.cpu);
  }

  /** Writes physical memory from the host, keeping decoded instructions coherent. */
  writePhysical(address: number, bytes: Uint8Array): void {
    this.memory.load(address, bytes);
    this.cpu.afterPhysicalWriteRange(address, bytes.length);
  }

  /** Reads linear memory as the debugger sees it: no faults, no side effects; unmapped bytes are undefined. */
  readLinear(address: number, length: number): (number | undefined)[] {
    const out: (number | undefined)[] = [];
    for (let i = 0; i < length; i++) {
      const byte = this.cpu.peekLinearByte((address + i) | 0);
      out.push(byte < 0 ? undefined : byte);
    }
    return out;
  }

  /** Linear -> physical through the current page tables (undefined when not mapped). */
  translate(linear: number): number | undefined {
    const physical = this.cpu.peekTranslate(linear);
    return physical < 0 ? undefined : physical;
  }

  /**
   * Captures the whole machine. Pages equal to the previous snapshot's are shared, so a series of
   * snapshots (reverse stepping) costs memory only for the pages the guest wrote in between.
   */
  snapshot(): MachineSnapshot {
    const previous = this.previousPages;
    const words = this.memory.dwords;
    const pages: Uint8Array[] = new Array(this.memory.pageCount);
    for (let page = 0; page < this.memory.pageCount; page++) {
      const start = page * PAGE_SIZE;
      const earlier = previous?.[page];
      if (earlier !== undefined && samePage(new Int32Array(earlier.buffer, earlier.byteOffset, PAGE_SIZE / 4), words, start / 4)) {
        pages[page] = earlier;
      } else {
        pages[page] = this.memory.bytes.slice(start, start + PAGE_SIZE);
      }
    }
    this.previousPages = pages;
    return { cpu: snapshotCpu(this.cpu), pages, clock: this.clock.save(), instructionLimit: this.instructionLimit };
  }

  /**
   * Brings the machine back to `snapshot`. Only pages that differ are written, and decoded (and compiled)
   * code is dropped only on those: code the snapshot shares with now stays compiled, so a restore, a
   * restart or a reverse step runs at full speed at once.
   */
  restore(snapshot: MachineSnapshot): void {
    const count = Math.min(snapshot.pages.length, this.memory.pageCount);
    const words = this.memory.dwords;
    for (let page = 0; page < count; page++) {
      const saved = snapshot.pages[page];
      const start = page * PAGE_SIZE;
      if (samePage(new Int32Array(saved.buffer, saved.byteOffset, PAGE_SIZE / 4), words, start / 4)) continue;
      this.memory.bytes.set(saved, start);
      this.cpu.afterPhysicalWriteRange(start, PAGE_SIZE);
    }
    this.previousPages = snapshot.pages;
    restoreCpu(this.cpu, snapshot.cpu);
    this.clock.restore(snapshot.clock);
    this.instructionLimit = snapshot.instructionLimit;
  }
}

/** Compares a snapshot page (as dwords) with RAM starting at dword `firstWord`. */
function samePage(page: Int32Array, words: Int32Array, firstWord: number): boolean {
  for (let i = 0; i < page.length; i++) if (page[i] !== words[firstWord + i]) return false;
  return true;
}

export { PAGE_SIZE };
