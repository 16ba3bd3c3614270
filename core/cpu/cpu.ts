// The IA-32 processor state and its hot loop: register file, lazy flags, segment descriptor caches,
// control registers, the flat TLB, the decoded-instruction cache and the run loop. Instruction
// semantics live in the family files (alu.ts, stack.ts, control.ts ...), chosen once per cache entry.
import { decodeInstruction } from '../isa/decoder';
import type { DecodeFailure } from '../isa/decoded';
import { PhysicalMemory } from '../memory/physical-memory';
import {
  entryPhysical, identityEntry, isWalkFault, PagingControl, TLB_ALWAYS, TLB_READ_HOOK, TLB_SUPERVISOR_WRITE_DENIED,
  TLB_USER_DENIED, TLB_USER_WRITE_DENIED, TLB_VALID, TLB_WRITE_HOOK, walkPageTables,
} from '../memory/paging';
import {
  CR0_AM, CR0_EM, CR0_ET, CR0_PE, CR0_PG, CR0_TS, CR0_WP, CR4_PSE, FLAG_AC, FLAG_IF, FLAG_RESERVED_1, FLAG_TF,
  VECTOR_AC, VECTOR_GP, VECTOR_NM, VECTOR_PF, VECTOR_SS, VECTOR_UD, exceptionMnemonic, exceptionName, hex32,
} from './constants';
import { DecodedEntry, fillOperands } from './decoded-entry';
import { resolveHandler } from './dispatch';
import { executeEntry, hotIndexOf } from './hot-dispatch';
import { BLOCK_COMPILE_THRESHOLD, BLOCK_MAX_BYTES, compileBlock } from './block-compiler';
import { CPU_FAULT_SIGNAL, NO_ERROR_CODE } from './fault';
import { deliverException, deliverExternalInterrupt, InterruptEvent } from './interrupts';
import { readEflags } from './flags';

export const SEG_ES = 0;
export const SEG_CS = 1;
export const SEG_SS = 2;
export const SEG_DS = 3;
export const SEG_FS = 4;
export const SEG_GS = 5;

/** Why the loop left early (bits of Cpu.attention). */
export const ATTENTION_STOP = 1;      // a debugging stop or a machine stop was recorded in Cpu.stop
export const ATTENTION_HALT = 2;      // hlt executed
export const ATTENTION_FLAGS = 4;     // IF/TF changed: pending interrupts and single-stepping need a look
export const ATTENTION_SHADOW = 8;    // sti / mov ss: interrupts are held off for one more instruction
export const ATTENTION_CODE = 16;     // CS, paging or the code window changed: the loop re-reads its locals

export type CpuStopReason =
  | 'breakpoint' | 'watchpoint' | 'interrupt' | 'exception' | 'privilege-change' | 'sysenter' | 'sysexit'
  | 'triple-fault' | 'internal-error';

export interface CpuStop {
  reason: CpuStopReason;
  message: string;
  eip: number;
  vector?: number;
  errorCode?: number;
  /** For watchpoints: the linear address accessed and how. */
  address?: number;
  access?: 'read' | 'write';
}

/** Port I/O as the machine's devices see it. */
export interface PortBus {
  readPort(port: number, size: 1 | 2 | 4): number;
  writePort(port: number, size: 1 | 2 | 4, value: number): void;
}

const NO_PORTS: PortBus = { readPort: (_port, size) => (size === 1 ? 0xFF : size === 2 ? 0xFFFF : 0xFFFFFFFF), writePort: () => undefined };

const PAGE_ENTRIES = 4096;

export class Cpu {
  readonly memory: PhysicalMemory;
  /** memory.bytes / memory.dwords, held here so the memory fast paths load one field fewer. */
  private readonly ramBytes: Uint8Array;
  private readonly ramDwords: Int32Array;
  // --- general registers: 8 + a ninth that is always zero (an absent base or index) ---
  readonly registerBuffer = new ArrayBuffer(36);
  readonly r32 = new Int32Array(this.registerBuffer);
  readonly r16 = new Uint16Array(this.registerBuffer);
  readonly r8 = new Uint8Array(this.registerBuffer);
  eip = 0;
  // --- EFLAGS: concrete bits plus the lazy record of the last arithmetic operation (flags.ts) ---
  flags = FLAG_RESERVED_1;
  lazyFlags = 0;
  lazyKind = 0;
  lazySign = 0;
  lazyA = 0;
  lazyB = 0;
  lazyResult = 0;
  // --- segment registers and their descriptor caches ---
  readonly segSelector = new Uint16Array(6);
  readonly segBase = new Int32Array(6);
  readonly segLimit = new Float64Array(6);
  /** Descriptor attribute bits as LAR returns them >> 8: type 0-3, S 4, DPL 5-6, P 7, AVL 12, D/B 14, G 15. */
  readonly segAttributes = new Uint16Array(6);
  readonly segUsable = new Uint8Array(6);
  /** Highest offset a fast read / write may end at; -1 sends every access through the full check. */
  readonly segReadEnd = new Float64Array(6);
  readonly segWriteEnd = new Float64Array(6);
  cpl = 0;
  /** Stack width from SS.B: 0xFFFF or -1. */
  stackMask = -1;
  /** Default operand size of CS (16 or 32). */
  codeBits = 32;
  // --- system registers ---
  cr0 = CR0_PE | CR0_ET;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly debugRegisters = new Int32Array(8);
  gdtBase = 0; gdtLimit = 0;
  idtBase = 0; idtLimit = 0;
  ldtSelector = 0; ldtBase = 0; ldtLimit = 0;
  trSelector = 0; trBase = 0; trLimit = 0; trType = 0;
  sysenterCs = 0; sysenterEsp = 0; sysenterEip = 0;
  tscOffset = 0;
  /** CPUID.1:EDX.SEP; a launch option turns it off so the kernel picks int 0x2e. */
  sepSupported = true;
  // --- run state ---
  instructionCount = 0;
  /** Exceptions raised by instructions (delivered or, in the flat machine, reported). */
  faultsDelivered = 0;
  attention = 0;
  /**
   * Changes whenever a compiled block found through a link might no longer be the one a lookup finds:
   * a TLB flush or invlpg, a TLB entry replaced, decoded code dropped, breakpoints added or removed.
   */
  codeEpoch = 0;
  /** What else decides which block runs at a linear address: CS limit, code size and user access (linkBlocks). */
  codeContext = 0;
  halted = false;
  /** Set when the machine shut down (triple fault, internal error): nothing runs until reset. */
  shutdown = false;
  stop: CpuStop | null = null;
  /** Interrupts are held off until the instruction after sti / mov ss has run. */
  interruptShadow = false;
  /**
   * Set by the machine while a hardware interrupt waits for IF: only then must a change of IF or the
   * interrupt shadow leave the run loop. Without one, `execute` runs on through sti, popfd and iretd.
   */
  externalInterruptPending = false;
  /** The flat machine has no IDT: the first exception ends the run instead of being delivered. */
  exceptionsStopRun = false;
  faultVector = 0;
  faultErrorCode = NO_ERROR_CODE;
  faultPending = false;
  /**
   * Instructions the running executeFast retired before the interpreted instruction now executing (not
   * yet in instructionCount): rdtsc and the TSC MSR add it. Compiled blocks never contain those.
   */
  retiredInRun = 0;
  /** Set by a compiled block that faults: how many of its instructions retired before the fault. */
  blockRetired = 0;
  /** Arrivals at a block head before it is compiled; 0 turns the block compiler off (tests compare both). */
  blockCompileThreshold = BLOCK_COMPILE_THRESHOLD;
  ports: PortBus = NO_PORTS;
  /** Called for every interrupt or exception delivered; null costs nothing. */
  onInterrupt: ((event: InterruptEvent) => void) | null = null;
  // --- debugging marks (STYLE.md 5: per page, never a Map lookup per instruction) ---
  /** Linear page -> number of breakpoints on it. */
  readonly breakpointPages = new Uint16Array(1 << 20);
  /** Linear address -> breakpoint, consulted only on pages that have one. */
  readonly breakpoints = new Set<number>();
  /** Linear page -> 1 read watch, 2 write watch. */
  readonly watchPages = new Uint8Array(1 << 20);
  watchRanges: { start: number; end: number; read: boolean; write: boolean; id: number }[] = [];
  /** Skip the breakpoint at this linear address once (resuming from it). */
  breakpointResume = -1;
  readonly stopOnVector = new Uint8Array(256);
  stopOnExceptions = false;
  stopOnPrivilegeChange = false;
  stopOnSysenter = false;
  stopOnSysexit = false;
  // --- the flat TLB (STYLE.md 6) ---
  readonly tlb = new Int32Array(1 << 20);
  private tlbFilledPages: number[] = [];
  readMask = TLB_VALID | TLB_READ_HOOK;
  writeMask = TLB_VALID | TLB_WRITE_HOOK | TLB_SUPERVISOR_WRITE_DENIED;
  userAccess = false;
  pagingEnabled = false;
  private readonly pagingControl: PagingControl = { cr3: 0, writeProtect: false, pageSizeExtensions: false };
  // --- decoded-instruction cache, keyed by physical address ---
  private readonly codePages32: (DecodedEntry | undefined)[][];
  private readonly codePages16: (DecodedEntry | undefined)[][];
  readonly isCodePage: Uint8Array;
  private codeEntries: (DecodedEntry | undefined)[] = [];
  private codePageLinear = 0;
  /** Bytes of the current code page the fast loop may run in without a check; 0 forces enterCodePage. */
  private codeSpan = 0;
  private fetchLinear = 0;
  private fetchEip = 0;
  private fetchFaultVector = 0;
  private fetchFaultCode = 0;
  private fetchFaultLinear = 0;
  private readonly fetchByte = (index: number): number => this.fetchCodeByte(index);

  constructor(memory: PhysicalMemory) {
    this.memory = memory;
    this.ramBytes = memory.bytes;
    this.ramDwords = memory.dwords;
    this.codePages32 = new Array(memory.pageCount);
    this.codePages16 = new Array(memory.pageCount);
    this.isCodePage = new Uint8Array(memory.pageCount);
    this.setFlatSegments(0);
  }

  // ------------------------------------------------------------------ faults

  /** Abandons the current instruction with an exception (the run loop delivers it). */
  raise(vector: number, errorCode: number = NO_ERROR_CODE): never {
    this.faultVector = vector;
    this.faultErrorCode = errorCode;
    throw CPU_FAULT_SIGNAL;
  }

  raisePageFault(linear: number, errorCode: number): never {
    this.cr2 = linear >>> 0;
    return this.raise(VECTOR_PF, errorCode);
  }

  /** Records a stop and asks the loop to leave after the current instruction. */
  requestStop(stop: CpuStop): void {
    if (this.stop === null) this.stop = stop;
    this.attention |= ATTENTION_STOP;
  }

  shutDown(reason: 'triple-fault' | 'internal-error', message: string): void {
    this.shutdown = true;
    this.stop = { reason, message, eip: this.eip >>> 0 };
    this.attention |= ATTENTION_STOP;
  }

  // ------------------------------------------------------------------ run loop

  /**
   * Runs up to `budget` instructions, leaving early when `attention` is set (stops, hlt, IF/TF changes).
   * Returns the number retired. Never throws for anything a guest does.
   */
  execute(budget: number): number {
    if (this.shutdown) return 0;
    let executed = 0;
    let faults = 0;
    /** An interrupt shadow this loop let pass: it ends once one more instruction has retired here. */
    let shadowOpen = false;
    for (;;) {
      let attention = this.attention & ~ATTENTION_CODE;
      // IF and the shadow matter only to a waiting interrupt (TF is read below each time round), so with
      // none pending sysenter, iretd, popfd and sti cost no trip out to the machine.
      if ((attention & ~(ATTENTION_FLAGS | ATTENTION_SHADOW)) === 0 && attention !== 0 && !this.externalInterruptPending) {
        if ((attention & ATTENTION_SHADOW) !== 0) shadowOpen = true;
        attention = 0;
      }
      this.attention = attention;
      // A fault delivery counts against the budget too: a handler that faults on its first instruction
      // would otherwise keep this loop busy forever without retiring anything.
      if (executed + faults >= budget || attention !== 0 || this.shutdown) break;
      const singleStep = (this.flags & FLAG_TF) !== 0;
      const retired = this.executeFast(singleStep ? 1 : budget - executed);
      executed += retired;
      this.instructionCount += retired;
      if (shadowOpen && (retired > 0 || this.faultPending)) {
        shadowOpen = false;
        // A second sti / mov ss opened a new shadow of its own.
        if ((this.attention & ATTENTION_SHADOW) === 0) this.interruptShadow = false;
      }
      if (this.faultPending) {
        this.faultPending = false;
        faults++;
        this.faultsDelivered++;
        this.takeFault();
      } else if (singleStep && retired === 1) {
        deliverException(this, 1, NO_ERROR_CODE, 'trap');
      }
    }
    // Left before the instruction after sti / mov ss ran: the machine keeps the shadow for it.
    if (shadowOpen) this.attention |= ATTENTION_SHADOW;
    return executed;
  }

  private executeFast(budget: number): number {
    let executed = 0;
    /** `executed` when the loop ran on past an sti / mov ss (the interrupt shadow), or -1. */
    let shadowAt = -1;
    try {
      // Locals stay valid until a handler sets `attention` (every change of CS, paging or the code
      // window does, through invalidateCodeWindow), so the loop reads no code-window fields per instruction.
      let csBase = this.segBase[SEG_CS];
      // Compiled blocks look at `attention` only after stores, and push/pop inline assume a 32-bit stack:
      // with a watchpoint armed or a 16-bit stack every instruction goes through the loop below.
      let blocksAllowed = this.blocksAllowed();
      let pageLinear = this.codePageLinear;
      let span = this.codeSpan;
      let entries = this.codeEntries;
      let previous: DecodedEntry | null = null;
      run: while (executed < budget) {
        if (this.attention !== 0) {
          // What the last instruction asked for: a change of CS, paging or the stack size only needs the
          // locals read again; one of IF or the shadow needs a look only while an interrupt waits.
          if (!this.absorbAttention()) break;
          if ((this.attention & ATTENTION_SHADOW) !== 0) shadowAt = executed;
          this.attention = 0;
          csBase = this.segBase[SEG_CS];
          blocksAllowed = this.blocksAllowed();
          pageLinear = this.codePageLinear;
          span = this.codeSpan;
          entries = this.codeEntries;
        }
        const linear = (csBase + this.eip) | 0;
        let offset = (linear - pageLinear) >>> 0;
        if (offset >= span) {
          if (!this.enterCodePage(linear)) break;
          pageLinear = this.codePageLinear;
          span = this.codeSpan;
          entries = this.codeEntries;
          offset = linear & 0xFFF;
        }
        let entry: DecodedEntry = entries[offset] ?? this.decodeAt(linear, offset);
        // A block head: run its compiled block when the budget and the span take all of it, or count
        // towards compiling it. Blocks end in a branch or leave EIP past their end: look up again after.
        if (blocksAllowed) {
          const block = entry.block;
          if (block !== null) {
            if (entry.blockLength <= budget - executed && offset + entry.blockBytes <= span) {
              if (previous !== null) linkBlocks(previous, entry, linear, this.codeEpoch, this.codeContext);
              executed += block(this);
              // Then along the links: the block that followed this one last time, while nothing changed
              // that could make it the wrong one (see linkBlocks) — no page lookup, no code-window check.
              let current = entry;
              for (;;) {
                if (this.attention !== 0) {
                  // A change of CS or paging, or IF/the shadow with no interrupt waiting (sysenter, int 2Eh,
                  // sysexit, iretd): the links go on, since epoch and context say whether they still hold.
                  if (!this.absorbAttention()) { previous = null; continue run; }
                  if ((this.attention & ATTENTION_SHADOW) !== 0) shadowAt = executed;
                  this.attention = 0;
                  csBase = this.segBase[SEG_CS];
                  blocksAllowed = this.blocksAllowed();
                  // The code window is looked up again when the links run out.
                  span = 0;
                  if (!blocksAllowed) { previous = null; continue run; }
                }
                const next = current.successor;
                if (next === null || current.successorLinear !== ((csBase + this.eip) | 0) || current.successorEpoch !== this.codeEpoch ||
                  current.successorContext !== this.codeContext || next.blockLength > budget - executed) break;
                const nextBlock = next.block;
                if (nextBlock === null) break;
                executed += nextBlock(this);
                current = next;
              }
              previous = current;
              continue;
            }
          } else if (entry.heat >= 0 && ++entry.heat >= this.blockCompileThreshold && entries[offset] === entry) {
            compileBlock(entries, offset, span);
            if (entry.block !== null) continue;
          }
        }
        previous = null;
        // Straight-line code runs along `next` links (same page, inside the span) without the lookup.
        for (;;) {
          const eipBefore = this.eip;
          this.retiredInRun = executed;
          executeEntry(this, entry);
          executed++;
          if (this.attention !== 0 || executed >= budget) continue run;
          if (this.eip !== ((eipBefore + entry.length) | 0)) break;
          offset += entry.length;
          if (offset >= span) break;
          let next: DecodedEntry | null = entry.next;
          if (next === null) {
            const found = entries[offset];
            if (found === undefined) break;
            entry.next = found;
            next = found;
          }
          entry = next;
        }
      }
    } catch (signal) {
      // A block that faulted reports the instructions it retired before the faulting one.
      executed += this.blockRetired;
      this.blockRetired = 0;
      if (signal === CPU_FAULT_SIGNAL) this.faultPending = true;
      else this.shutDown('internal-error', `internal emulator error at EIP ${hex32(this.eip)}: ${describeError(signal)}`);
    }
    this.retiredInRun = 0;
    if (shadowAt >= 0 && (this.attention & ATTENTION_SHADOW) === 0) {
      // The loop ran on past an sti / mov ss: the shadow is over once another instruction retired (or
      // faulted); if none did, the machine must still see it.
      if (executed === shadowAt && !this.faultPending) this.attention |= ATTENTION_SHADOW;
      else this.interruptShadow = false;
    }
    return executed;
  }

  /**
   * After an instruction rewrote EFLAGS (popf, iretd): asks the run loop for a look only when it must act,
   * that is when TF came on (single-stepping starts) or IF came on while a hardware interrupt waits.
   */
  noteFlagsWritten(flagsBefore: number): void {
    const turnedOn = this.flags & ~flagsBefore;
    if ((turnedOn & FLAG_TF) !== 0 || ((turnedOn & FLAG_IF) !== 0 && this.externalInterruptPending)) this.attention |= ATTENTION_FLAGS;
  }

  /** Whether compiled blocks may run now (they assume a 32-bit stack and no watchpoints). */
  private blocksAllowed(): boolean {
    return this.watchRanges.length === 0 && this.stackMask === -1 && this.blockCompileThreshold > 0;
  }

  /**
   * True when the run loop may go on after what `attention` records: only code-window, IF and shadow
   * changes qualify, the last two only while no hardware interrupt waits and TF is clear.
   */
  private absorbAttention(): boolean {
    const attention = this.attention;
    if ((attention & ~(ATTENTION_CODE | ATTENTION_FLAGS | ATTENTION_SHADOW)) !== 0) return false;
    if ((attention & (ATTENTION_FLAGS | ATTENTION_SHADOW)) === 0) return true;
    return !this.externalInterruptPending && (this.flags & FLAG_TF) === 0;
  }

  /** Delivers the exception a handler raised (EIP still names the faulting instruction). */
  private takeFault(): void {
    if (this.shutdown) return;
    const vector = this.faultVector;
    const errorCode = this.faultErrorCode;
    if (this.exceptionsStopRun) {
      this.requestStop({
        reason: 'exception', vector, errorCode: errorCode >= 0 ? errorCode : undefined, eip: this.eip >>> 0,
        message: `${exceptionLabel(vector)} at ${hex32(this.eip)}${errorCode >= 0 ? ` (error code ${hex32(errorCode)})` : ''}`,
      });
      return;
    }
    deliverException(this, vector, errorCode, 'fault');
  }

  /** Delivers a hardware interrupt now (the caller checked IF and the interrupt shadow). */
  interrupt(vector: number): void {
    this.halted = false;
    deliverExternalInterrupt(this, vector);
  }

  /** Maps the page holding `linear` into the loop; false when a breakpoint stops execution there. */
  private enterCodePage(linear: number): boolean {
    if (this.eip >>> 0 > this.segLimit[SEG_CS] || !this.segUsable[SEG_CS]) this.raise(VECTOR_GP, 0);
    const linearPage = linear >>> 12;
    if (this.breakpointPages[linearPage] !== 0 && this.breakpoints.has(linear >>> 0)) {
      if (this.breakpointResume === (linear >>> 0)) {
        this.breakpointResume = -1;
      } else {
        this.requestStop({ reason: 'breakpoint', eip: this.eip >>> 0, address: linear >>> 0, message: `breakpoint at ${hex32(linear)}` });
        return false;
      }
    }
    const physical = this.translate(linear, false, this.userAccess);
    const physicalPage = physical >>> 12;
    this.codePageLinear = (linear & ~0xFFF) | 0;
    if (physicalPage >= this.memory.pageCount) {
      this.codeEntries = [];
      this.codeSpan = 0;
      return true;
    }
    const pages = this.codeBits === 32 ? this.codePages32 : this.codePages16;
    let entries = pages[physicalPage];
    if (entries === undefined) {
      entries = new Array<DecodedEntry | undefined>(PAGE_ENTRIES).fill(undefined);
      pages[physicalPage] = entries;
      if (this.isCodePage[physicalPage] === 0) {
        this.isCodePage[physicalPage] = 1;
        // Entries already in the TLB for this page lack the write hook that keeps the cache coherent.
        this.flushTlb();
      }
    }
    this.codeEntries = entries;
    const limitSpan = this.segLimit[SEG_CS] + 1 - ((this.codePageLinear - this.segBase[SEG_CS]) >>> 0);
    this.codeSpan = this.breakpointPages[linearPage] !== 0 ? 0 : Math.max(0, Math.min(PAGE_ENTRIES, limitSpan));
    return true;
  }

  /** Decodes at the current EIP through the one instruction table and caches the result when it can. */
  private decodeAt(linear: number, offset: number): DecodedEntry {
    this.fetchLinear = linear;
    this.fetchEip = this.eip;
    this.fetchFaultVector = -1;
    const result = decodeInstruction(this.fetchByte, this.eip >>> 0, this.codeBits as 16 | 32);
    if (!result.ok) return this.raiseDecodeFailure(result);
    const instruction = result.instruction;
    const entry = new DecodedEntry(instruction, undecodedHandler);
    fillOperands(entry, instruction);
    entry.codeBits = this.codeBits;
    entry.handler = resolveHandler(instruction.form, entry);
    entry.hot = hotIndexOf(entry.handler);
    // Instructions that run into the next page are decoded each time: that page may be remapped.
    if (offset + instruction.length <= PAGE_ENTRIES && this.codeEntries.length === PAGE_ENTRIES) {
      this.codeEntries[offset] = entry;
    }
    return entry;
  }

  private raiseDecodeFailure(failure: DecodeFailure): never {
    if (failure.reason === 'fetch-fault') {
      if (this.fetchFaultVector === VECTOR_PF) this.raisePageFault(this.fetchFaultLinear, this.fetchFaultCode);
      this.raise(VECTOR_GP, 0);
    }
    if (failure.reason === 'too-long') this.raise(VECTOR_GP, 0);
    // x87 escapes with CR0.EM or CR0.TS fault as #NM (the model has no FPU otherwise).
    const first = this.firstOpcodeByte();
    if (first >= 0xD8 && first <= 0xDF && (this.cr0 & (CR0_EM | CR0_TS)) !== 0) this.raise(VECTOR_NM);
    return this.raise(VECTOR_UD);
  }

  private firstOpcodeByte(): number {
    for (let index = 0; index < 15; index++) {
      const byte = this.fetchCodeByte(index);
      if (byte < 0) return -1;
      if (byte === 0x66 || byte === 0x67 || byte === 0xF0 || byte === 0xF2 || byte === 0xF3 || byte === 0x26 ||
        byte === 0x2E || byte === 0x36 || byte === 0x3E || byte === 0x64 || byte === 0x65) continue;
      return byte;
    }
    return -1;
  }

  private fetchCodeByte(index: number): number {
    if ((this.fetchEip >>> 0) + index > this.segLimit[SEG_CS]) {
      this.fetchFaultVector = VECTOR_GP;
      return -1;
    }
    const linear = (this.fetchLinear + index) | 0;
    const physical = this.probe(linear, false, this.userAccess);
    if (physical < 0) {
      this.fetchFaultVector = VECTOR_PF;
      this.fetchFaultLinear = linear;
      this.fetchFaultCode = this.probeErrorCode;
      return -1;
    }
    return this.memory.read8(physical);
  }

  /** Forces the loop to re-check the code page (CS, paging or cache changed). */
  invalidateCodeWindow(): void {
    this.codeSpan = 0;
    this.attention |= ATTENTION_CODE;
  }

  // ------------------------------------------------------------------ TLB and translation

  private probeErrorCode = 0;

  /** Linear -> physical for an access, filling the TLB; raises #PF. */
  translate(linear: number, write: boolean, user: boolean): number {
    const page = linear >>> 12;
    let entry = this.tlb[page];
    const denied = write
      ? (user ? TLB_USER_DENIED | TLB_USER_WRITE_DENIED : TLB_SUPERVISOR_WRITE_DENIED)
      : (user ? TLB_USER_DENIED : 0);
    if ((entry & TLB_VALID) === 0 || (entry & denied) !== 0) {
      entry = this.fillTlb(linear, write, user, false);
      if (entry === 0) this.raisePageFault(linear, this.probeErrorCode);
    }
    return entryPhysical(entry, linear);
  }

  /** Like translate, but returns -1 (error code in probeErrorCode) instead of raising. */
  probe(linear: number, write: boolean, user: boolean): number {
    const page = linear >>> 12;
    let entry = this.tlb[page];
    const denied = write
      ? (user ? TLB_USER_DENIED | TLB_USER_WRITE_DENIED : TLB_SUPERVISOR_WRITE_DENIED)
      : (user ? TLB_USER_DENIED : 0);
    if ((entry & TLB_VALID) === 0 || (entry & denied) !== 0) {
      entry = this.fillTlb(linear, write, user, false);
      if (entry === 0) return -1;
    }
    return entryPhysical(entry, linear);
  }

  /** Debugger view: linear -> physical with no side effects at all; -1 when not mapped. */
  peekTranslate(linear: number): number {
    if (!this.pagingEnabled) return linear >>> 0;
    const result = walkPageTables(this.memory, this.pagingControl, linear, false, false, true);
    return isWalkFault(result) ? -1 : entryPhysical(result, linear);
  }

  private fillTlb(linear: number, write: boolean, user: boolean, peek: boolean): number {
    let entry: number;
    if (!this.pagingEnabled) {
      entry = identityEntry();
    } else {
      entry = walkPageTables(this.memory, this.pagingControl, linear, write, user, peek);
      if (isWalkFault(entry)) {
        this.probeErrorCode = entry;
        return 0;
      }
    }
    const physicalPage = entryPhysical(entry, linear) >>> 12;
    if (physicalPage >= this.memory.pageCount) entry |= TLB_READ_HOOK | TLB_WRITE_HOOK;
    else if (this.isCodePage[physicalPage] !== 0) entry |= TLB_WRITE_HOOK;
    const page = linear >>> 12;
    const watch = this.watchPages[page];
    if (watch & 1) entry |= TLB_READ_HOOK;
    if (watch & 2) entry |= TLB_WRITE_HOOK;
    if (this.tlb[page] === 0) {
      if (this.tlbFilledPages.length > 65536) this.flushTlb();
      this.tlbFilledPages.push(page);
    } else {
      // A re-walk (page tables edited without invlpg) may map the page elsewhere: links are looked up again.
      this.codeEpoch++;
    }
    this.tlb[page] = entry;
    return entry;
  }

  flushTlb(): void {
    const pages = this.tlbFilledPages;
    for (let i = 0; i < pages.length; i++) this.tlb[pages[i]] = 0;
    pages.length = 0;
    this.codeEpoch++;
    this.invalidateCodeWindow();
  }

  invalidatePage(linear: number): void {
    this.tlb[linear >>> 12] = 0;
    this.codeEpoch++;
    this.invalidateCodeWindow();
  }

  /** Recomputes everything derived from CR0/CR3/CR4/CPL/EFLAGS.AC for memory access. */
  updateMemoryMode(): void {
    this.pagingEnabled = (this.cr0 & CR0_PG) !== 0;
    this.pagingControl.cr3 = this.cr3;
    this.pagingControl.writeProtect = (this.cr0 & CR0_WP) !== 0;
    this.pagingControl.pageSizeExtensions = (this.cr4 & CR4_PSE) !== 0;
    this.updateAccessMasks();
    this.flushTlb();
  }

  updateAccessMasks(): void {
    this.userAccess = this.cpl === 3;
    const alignmentChecking = this.cpl === 3 && (this.cr0 & CR0_AM) !== 0 && (this.flags & FLAG_AC) !== 0;
    const always = alignmentChecking ? TLB_ALWAYS : 0;
    this.readMask = TLB_VALID | TLB_READ_HOOK | always | (this.userAccess ? TLB_USER_DENIED : 0);
    this.writeMask = TLB_VALID | TLB_WRITE_HOOK | always |
      (this.userAccess ? TLB_USER_DENIED | TLB_USER_WRITE_DENIED : TLB_SUPERVISOR_WRITE_DENIED);
    this.updateCodeContext();
  }

  /** CS limit, code size and user access as one exact number (a limit needs 32 bits: a double holds 34). */
  private updateCodeContext(): void {
    this.codeContext = this.segLimit[SEG_CS] * 4 + (this.userAccess ? 2 : 0) + (this.codeBits === 16 ? 1 : 0);
  }

  /** Breakpoints were added or removed: pages that hold one run without compiled blocks or links. */
  breakpointsChanged(): void {
    this.codeEpoch++;
    this.invalidateCodeWindow();
  }

  setCpl(cpl: number): void {
    const previous = this.cpl;
    this.cpl = cpl;
    this.updateAccessMasks();
    this.invalidateCodeWindow();
    if (previous !== cpl && this.stopOnPrivilegeChange) {
      this.requestStop({ reason: 'privilege-change', eip: this.eip >>> 0, message: `privilege change: CPL ${previous} -> ${cpl}` });
    }
  }

  // ------------------------------------------------------------------ segmented memory access

  /** Effective address of the entry's memory operand (no segment). */
  effectiveAddress(entry: DecodedEntry): number {
    return (this.r32[entry.base] + (this.r32[entry.index] << entry.scaleShift) + entry.displacement) & entry.addressMask;
  }

  read8(segment: number, offset: number): number {
    if ((offset >>> 0) > this.segReadEnd[segment]) return this.readLinear(this.checkedLinear(segment, offset, 1, false), 1, this.userAccess);
    const linear = (this.segBase[segment] + offset) | 0;
    const entry = this.tlb[linear >>> 12];
    if ((entry & this.readMask) === TLB_VALID) return this.ramBytes[(entry & -4096) ^ linear];
    return this.readLinear(linear, 1, this.userAccess);
  }

  read16(segment: number, offset: number): number {
    if ((offset >>> 0) + 1 > this.segReadEnd[segment]) return this.readLinear(this.checkedLinear(segment, offset, 2, false), 2, this.userAccess);
    const linear = (this.segBase[segment] + offset) | 0;
    const entry = this.tlb[linear >>> 12];
    if ((entry & this.readMask) === TLB_VALID && (linear & 0xFFF) !== 0xFFF) {
      const physical = (entry & -4096) ^ linear;
      const bytes = this.ramBytes;
      return bytes[physical] | (bytes[physical + 1] << 8);
    }
    return this.readLinear(linear, 2, this.userAccess);
  }

  /** Signed 32-bit result. */
  read32(segment: number, offset: number): number {
    if ((offset >>> 0) + 3 > this.segReadEnd[segment]) return this.readLinear(this.checkedLinear(segment, offset, 4, false), 4, this.userAccess);
    const linear = (this.segBase[segment] + offset) | 0;
    const entry = this.tlb[linear >>> 12];
    if ((entry & this.readMask) === TLB_VALID && (linear & 0xFFF) <= 0xFFC) {
      const physical = (entry & -4096) ^ linear;
      if ((physical & 3) === 0) return this.ramDwords[physical >> 2];
      const bytes = this.ramBytes;
      return bytes[physical] | (bytes[physical + 1] << 8) | (bytes[physical + 2] << 16) | (bytes[physical + 3] << 24);
    }
    return this.readLinear(linear, 4, this.userAccess);
  }

  write8(segment: number, offset: number, value: number): void {
    if ((offset >>> 0) > this.segWriteEnd[segment]) { this.writeLinear(this.checkedLinear(segment, offset, 1, true), 1, value, this.userAccess); return; }
    const linear = (this.segBase[segment] + offset) | 0;
    const entry = this.tlb[linear >>> 12];
    if ((entry & this.writeMask) === TLB_VALID) { this.ramBytes[(entry & -4096) ^ linear] = value; return; }
    this.writeLinear(linear, 1, value, this.userAccess);
  }

  write16(segment: number, offset: number, value: number): void {
    if ((offset >>> 0) + 1 > this.segWriteEnd[segment]) { this.writeLinear(this.checkedLinear(segment, offset, 2, true), 2, value, this.userAccess); return; }
    const linear = (this.segBase[segment] + offset) | 0;
    const entry = this.tlb[linear >>> 12];
    if ((entry & this.writeMask) === TLB_VALID && (linear & 0xFFF) !== 0xFFF) {
      const physical = (entry & -4096) ^ linear;
      const bytes = this.ramBytes;
      bytes[physical] = value;
      bytes[physical + 1] = value >> 8;
      return;
    }
    this.writeLinear(linear, 2, value, this.userAccess);
  }

  write32(segment: number, offset: number, value: number): void {
    if ((offset >>> 0) + 3 > this.segWriteEnd[segment]) { this.writeLinear(this.checkedLinear(segment, offset, 4, true), 4, value, this.userAccess); return; }
    const linear = (this.segBase[segment] + offset) | 0;
    const entry = this.tlb[linear >>> 12];
    if ((entry & this.writeMask) === TLB_VALID && (linear & 0xFFF) <= 0xFFC) {
      const physical = (entry & -4096) ^ linear;
      if ((physical & 3) === 0) { this.ramDwords[physical >> 2] = value; return; }
      const bytes = this.ramBytes;
      bytes[physical] = value;
      bytes[physical + 1] = value >> 8;
      bytes[physical + 2] = value >> 16;
      bytes[physical + 3] = value >> 24;
      return;
    }
    this.writeLinear(linear, 4, value, this.userAccess);
  }

  /** Sized read: 1, 2 or 4 bytes (4 is signed int32, the others unsigned). */
  readSized(segment: number, offset: number, size: number): number {
    return size === 4 ? this.read32(segment, offset) : size === 2 ? this.read16(segment, offset) : this.read8(segment, offset);
  }

  writeSized(segment: number, offset: number, size: number, value: number): void {
    if (size === 4) this.write32(segment, offset, value);
    else if (size === 2) this.write16(segment, offset, value);
    else this.write8(segment, offset, value);
  }

  /**
   * The full segment check for an access of `size` bytes (limit, expand-down, type, null selector):
   * #GP(0), or #SS(0) for SS. Returns the linear address.
   */
  checkedLinear(segment: number, offset: number, size: number, write: boolean): number {
    const faultVector = segment === SEG_SS ? VECTOR_SS : VECTOR_GP;
    if (!this.segUsable[segment]) this.raise(faultVector, 0);
    const attributes = this.segAttributes[segment];
    const isCode = (attributes & 0x8) !== 0;
    if (write ? (isCode || (attributes & 0x2) === 0) : (isCode && (attributes & 0x2) === 0)) this.raise(faultVector, 0);
    const first = offset >>> 0;
    const last = first + size - 1;
    const limit = this.segLimit[segment];
    if (!isCode && (attributes & 0x4) !== 0) {
      const upper = (attributes & 0x4000) !== 0 ? 0xFFFFFFFF : 0xFFFF;
      if (first <= limit || last > upper) this.raise(faultVector, 0);
    } else if (last > limit) {
      this.raise(faultVector, 0);
    }
    return (this.segBase[segment] + offset) | 0;
  }

  // ------------------------------------------------------------------ linear memory access (slow paths)

  /** Reads `size` bytes at a linear address as `user` (false: a supervisor or implicit system access). */
  readLinear(linear: number, size: number, user: boolean): number {
    if (size > 1 && (linear & (size - 1)) !== 0 && user && (this.readMask & TLB_ALWAYS) !== 0) this.raise(VECTOR_AC, 0);
    const pageOffset = linear & 0xFFF;
    if (pageOffset + size <= PAGE_ENTRIES) {
      const physical = this.translate(linear, false, user);
      if (this.watchPages[linear >>> 12] !== 0) this.checkWatchpoints(linear, size, false);
      if (size === 1) return this.memory.read8(physical);
      if (size === 2) return this.memory.read16(physical);
      return this.memory.read32(physical) | 0;
    }
    // Crossing a page: translate both halves first so a #PF names the right page and nothing half-happens.
    const firstPhysical = this.translate(linear, false, user);
    const secondLinear = (linear + size - 1) & ~0xFFF;
    const secondPhysical = this.translate(secondLinear, false, user);
    if (this.watchPages[linear >>> 12] !== 0 || this.watchPages[secondLinear >>> 12] !== 0) this.checkWatchpoints(linear, size, false);
    let value = 0;
    for (let i = 0; i < size; i++) {
      const byteLinear = (linear + i) | 0;
      const physical = (byteLinear & ~0xFFF) === (linear & ~0xFFF) ? firstPhysical + i : secondPhysical + ((byteLinear & 0xFFF));
      value |= this.memory.read8(physical) << (8 * i);
    }
    return size === 4 ? value | 0 : value;
  }

  writeLinear(linear: number, size: number, value: number, user: boolean): void {
    if (size > 1 && (linear & (size - 1)) !== 0 && user && (this.writeMask & TLB_ALWAYS) !== 0) this.raise(VECTOR_AC, 0);
    const pageOffset = linear & 0xFFF;
    if (pageOffset + size <= PAGE_ENTRIES) {
      const physical = this.translate(linear, true, user);
      if (size === 1) this.memory.write8(physical, value & 0xFF);
      else if (size === 2) this.memory.write16(physical, value & 0xFFFF);
      else this.memory.write32(physical, value);
      this.afterPhysicalWrite(physical, size);
      if (this.watchPages[linear >>> 12] !== 0) this.checkWatchpoints(linear, size, true);
      return;
    }
    const firstPhysical = this.translate(linear, true, user);
    const secondLinear = (linear + size - 1) & ~0xFFF;
    const secondPhysical = this.translate(secondLinear, true, user);
    for (let i = 0; i < size; i++) {
      const byteLinear = (linear + i) | 0;
      const physical = (byteLinear & ~0xFFF) === (linear & ~0xFFF) ? firstPhysical + i : secondPhysical + (byteLinear & 0xFFF);
      this.memory.write8(physical, (value >>> (8 * i)) & 0xFF);
      this.afterPhysicalWrite(physical, 1);
    }
    if (this.watchPages[linear >>> 12] !== 0 || this.watchPages[secondLinear >>> 12] !== 0) this.checkWatchpoints(linear, size, true);
  }

  /** Keeps the decoded-instruction cache coherent with a write to physical memory. */
  afterPhysicalWrite(physical: number, size: number): void {
    const page = physical >>> 12;
    if (page >= this.memory.pageCount || this.isCodePage[page] === 0) return;
    const offset = physical & 0xFFF;
    // An instruction starting up to 14 bytes before the write may cover it.
    const from = Math.max(0, offset - 14);
    const to = Math.min(PAGE_ENTRIES - 1, offset + size - 1);
    for (const pages of [this.codePages32, this.codePages16]) {
      const entries = pages[page];
      if (entries === undefined) continue;
      let dropped = false;
      for (let start = from; start <= to; start++) {
        const entry = entries[start];
        if (entry !== undefined && start + entry.length > offset) {
          entries[start] = undefined;
          entry.block = null;
          dropped = true;
        }
      }
      // Whatever was linked to a dropped entry starts at most 15 bytes before it.
      for (let start = Math.max(0, from - 15); start <= to; start++) {
        const entry = entries[start];
        if (entry !== undefined) entry.next = null;
      }
      if (dropped) {
        // Every block covering a dropped entry starts at most BLOCK_MAX_BYTES before it; a block that is
        // running now must not run on into the rewritten code, so the loop is told to look again.
        for (let start = Math.max(0, from - BLOCK_MAX_BYTES); start <= to; start++) {
          const entry = entries[start];
          if (entry !== undefined && entry.block !== null) { entry.block = null; entry.heat = 0; }
        }
        this.codeEpoch++;
        this.attention |= ATTENTION_CODE;
      }
    }
  }

  /** Keeps the cache coherent after the host wrote [physical, physical + length) directly. */
  afterPhysicalWriteRange(physical: number, length: number): void {
    this.codeEpoch++;
    for (let page = Math.floor(physical / PAGE_ENTRIES); page * PAGE_ENTRIES < physical + length && page < this.memory.pageCount; page++) {
      this.codePages32[page]?.fill(undefined);
      this.codePages16[page]?.fill(undefined);
    }
  }

  /** Drops every decoded instruction (after a bulk memory load by the host). */
  invalidateAllCode(): void {
    this.codePages32.fill(undefined as unknown as (DecodedEntry | undefined)[]);
    this.codePages16.fill(undefined as unknown as (DecodedEntry | undefined)[]);
    this.isCodePage.fill(0);
    this.codeEntries = [];
    this.flushTlb();
  }

  private checkWatchpoints(linear: number, size: number, write: boolean): void {
    const first = linear >>> 0;
    const last = first + size - 1;
    for (const range of this.watchRanges) {
      if (write ? !range.write : !range.read) continue;
      if (last < range.start || first > range.end) continue;
      this.requestStop({
        reason: 'watchpoint', eip: this.eip >>> 0, address: first, access: write ? 'write' : 'read',
        message: `watchpoint: ${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} at ${hex32(first)}`,
      });
      return;
    }
  }

  /** Supervisor (implicit) accesses to system structures: GDT, IDT, TSS. */
  readSystem32(linear: number): number {
    // Descriptor and gate reads on every segment load: an aligned dword on a mapped, unwatched page is
    // read straight through the TLB (supervisor reads need only a valid entry).
    const entry = this.tlb[linear >>> 12];
    if ((entry & (TLB_VALID | TLB_READ_HOOK)) === TLB_VALID && (linear & 3) === 0) return this.ramDwords[((entry & -4096) ^ linear) >> 2];
    return this.readLinear(linear, 4, false);
  }
  readSystem16(linear: number): number { return this.readLinear(linear, 2, false); }

  /** A supervisor write of an aligned dword (an interrupt frame on the kernel stack): straight through the TLB when it can. */
  writeSupervisor32(linear: number, value: number): void {
    const entry = this.tlb[linear >>> 12];
    if ((entry & (TLB_VALID | TLB_WRITE_HOOK | TLB_SUPERVISOR_WRITE_DENIED)) === TLB_VALID && (linear & 3) === 0) {
      this.ramDwords[((entry & -4096) ^ linear) >> 2] = value;
      return;
    }
    this.writeLinear(linear, 4, value, false);
  }
  writeSystem32(linear: number, value: number): void { this.writeLinear(linear, 4, value, false); }

  /** Debugger read: no faults, no side effects; bytes that are not mapped come back as -1. */
  peekLinearByte(linear: number): number {
    const physical = this.peekTranslate(linear | 0);
    if (physical < 0 || physical >= this.memory.size) return -1;
    return this.memory.bytes[physical];
  }

  // ------------------------------------------------------------------ segments, flags, registers

  /** Loads a descriptor cache directly (no checks): the flat machine and sysenter/sysexit. */
  setSegmentCache(segment: number, selector: number, base: number, limit: number, attributes: number, usable = true): void {
    this.segSelector[segment] = selector & 0xFFFF;
    this.segBase[segment] = base | 0;
    this.segLimit[segment] = limit >>> 0;
    this.segAttributes[segment] = attributes & 0xF0FF;
    this.segUsable[segment] = usable ? 1 : 0;
    let readEnd = -1;
    let writeEnd = -1;
    if (usable && (attributes & 0x10) !== 0) {
      const isCode = (attributes & 0x8) !== 0;
      const expandDown = !isCode && (attributes & 0x4) !== 0;
      if (!expandDown) {
        if (!isCode || (attributes & 0x2) !== 0) readEnd = limit >>> 0;
        if (!isCode && (attributes & 0x2) !== 0) writeEnd = limit >>> 0;
      }
    }
    this.segReadEnd[segment] = readEnd;
    this.segWriteEnd[segment] = writeEnd;
    if (segment === SEG_SS) {
      const stackMask = (attributes & 0x4000) !== 0 ? -1 : 0xFFFF;
      // The run loop decides once per slice whether blocks (which push and pop with ESP) may run.
      if (stackMask !== this.stackMask) this.attention |= ATTENTION_CODE;
      this.stackMask = stackMask;
    }
    if (segment === SEG_CS) {
      this.codeBits = (attributes & 0x4000) !== 0 ? 32 : 16;
      this.updateCodeContext();
      this.invalidateCodeWindow();
    }
  }

  /** Flat 4 GiB ring-`cpl` segments (the flat machine's setup, and a reset state for tests). */
  setFlatSegments(cpl: number): void {
    const dpl = (cpl & 3) << 5;
    const code = 0xC09B | dpl;   // G, D, P, S, type 0xB (execute/read, accessed)
    const data = 0xC093 | dpl;   // G, B, P, S, type 0x3 (read/write, accessed)
    const codeSelector = cpl === 3 ? 0x1B : 0x08;
    const dataSelector = cpl === 3 ? 0x23 : 0x10;
    for (let segment = 0; segment < 6; segment++) {
      if (segment === SEG_CS) this.setSegmentCache(segment, codeSelector, 0, 0xFFFFFFFF, code);
      else this.setSegmentCache(segment, dataSelector, 0, 0xFFFFFFFF, data);
    }
    this.cpl = cpl;
    this.updateAccessMasks();
  }

  get eflags(): number {
    return readEflags(this);
  }

  /** Resets the decoded state that depends on EIP's page (after the host edits EIP or CS). */
  jumpTo(eip: number): void {
    this.eip = eip | 0;
    this.invalidateCodeWindow();
  }

  get interruptsEnabled(): boolean {
    return (this.flags & FLAG_IF) !== 0;
  }

  /** CR0 bits that changed memory behaviour: the loop picks the new mode up. */
  writeCr0(value: number): void {
    this.cr0 = (value | CR0_ET) | 0;
    this.updateMemoryMode();
  }

  setCr3(value: number): void {
    this.cr3 = value | 0;
    this.updateMemoryMode();
  }

  isProtectedMode(): boolean {
    return (this.cr0 & CR0_PE) !== 0;
  }
}

/**
 * Records that `to`'s block (at linear `linear`) ran right after `from`'s. The link is followed while the
 * epoch and the context are those of now: then the lookup would find the same entry (same translation,
 * same decoded code, no breakpoint added), its block fits the same span, and the fetch is as allowed.
 */
function linkBlocks(from: DecodedEntry, to: DecodedEntry, linear: number, epoch: number, context: number): void {
  from.successor = to;
  from.successorLinear = linear;
  from.successorEpoch = epoch;
  from.successorContext = context;
}

function undecodedHandler(cpu: Cpu): void {
  cpu.raise(VECTOR_UD);
}

function exceptionLabel(vector: number): string {
  return `${exceptionMnemonic(vector)} ${exceptionName(vector)}`;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
