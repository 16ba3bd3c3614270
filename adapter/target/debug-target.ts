// The debugger's runtime: one booted NT machine with its symbols, run in slices on the event loop so a
// pause gets through, with breakpoints, exception filters, stepping by line or instruction (into and out
// of the kernel across int 0x2e / sysenter), and the call stack. It knows nothing of the protocol: the
// session translates its calls and events (STYLE.md 2).
import type { InterruptEvent } from '../../core/cpu/interrupts';
import { decodeBytes } from '../../core/isa/decoder';
import { disassembleRange } from '../../core/isa/disassembler';
import type { Machine, MachineStop, WatchAccess } from '../../core/machine/machine';
import { decodeIdt } from '../../core/nt/decoders/idt';
import type { IdtEntryView } from '../../core/nt/decoders/shapes';
import { bundledSyscallTable } from '../../core/nt/syscall-list';
import type { EvaluationContext } from '../expression/evaluation-context';
import { BreakpointTable, type BreakpointOptions, type BreakpointRecord } from './breakpoint-table';
import { CallStackWalker, type StackFrame } from './call-stack';
import { describeInterrupt, filtersMatching, type ExceptionFilterId } from './exception-filters';
import type { LaunchSettings } from './launch-settings';
import { guestMemoryOf, readLinearBytes } from './machine-access';
import { machineEvaluationContext } from './machine-evaluation-context';
import type { NtSystem } from './nt-system-builder';
import type { SourceLocation, SymbolIndex } from './symbol-index';

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' | 'data breakpoint' | 'exception' | 'pause';

export interface ExceptionStopInfo {
  /** The filter that stopped, or 'machine' for a stop the machine forced (triple fault, halt). */
  filter: ExceptionFilterId | 'machine' | 'condition';
  /** Short name: `int 0x2e`, `#PF`, `sysenter`, `ring 3 -> ring 0`. */
  name: string;
  description: string;
}

export interface TargetStop {
  reason: StopReason;
  description: string;
  hitBreakpointIds?: number[];
  exception?: ExceptionStopInfo;
}

export type OutputCategory = 'stdout' | 'console' | 'stderr';

export interface TargetListener {
  stopped(stop: TargetStop): void;
  output(category: OutputCategory, text: string): void;
  /** The guest ended: its NtTerminateProcess status, or 3 for a machine stop. */
  exited(status: number, description: string): void;
}

export type StepGranularity = 'line' | 'instruction';

/** An arrival that ends a run: an address (with the stack back at or above `minEsp`), or a ring. */
interface Waypoint {
  address?: number;
  minEsp?: number;
  cpl?: number;
}

type RunOutcome = { kind: 'reached' } | { kind: 'stopped'; stop: TargetStop } | { kind: 'ended' } | { kind: 'cancelled' };

export const EXIT_STATUS_MACHINE_STOP = 3;
/** Steps taken between looks at the event loop while stepping by line. */
const STEPS_PER_TURN = 2000;
const TARGET_SLICE_MILLISECONDS = 4;
const MIN_SLICE = 1000;
const MAX_SLICE = 2_000_000;

const hex8 = (value: number): string => `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

function sameLine(left: SourceLocation | undefined, right: SourceLocation | undefined): boolean {
  return left !== undefined && right !== undefined && left.file === right.file && left.line === right.line;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class NtDebugTarget {
  readonly machine: Machine;
  readonly symbols: SymbolIndex;
  readonly breakpoints: BreakpointTable;
  readonly walker: CallStackWalker;
  readonly evaluation: EvaluationContext;
  private readonly filters = new Set<ExceptionFilterId>();
  private interruptVectors: number[] | undefined;
  private lastInterrupt: InterruptEvent | undefined;
  private lastUserInterrupt: InterruptEvent | undefined;
  private readonly hooks = new Map<number, () => void>();
  private sliceSize = 50_000;
  private running = false;
  private pauseRequested = false;
  private generation = 0;
  private ended: { status: number; description: string } | undefined;
  private exitReported = false;
  private outputLine = '';
  /** The last stop, for exceptionInfo. */
  lastStop: TargetStop | undefined;

  constructor(readonly system: NtSystem, readonly settings: LaunchSettings, private readonly listener: TargetListener) {
    this.machine = system.booted.machine;
    this.symbols = system.symbols;
    this.breakpoints = new BreakpointTable(this.machine);
    this.walker = new CallStackWalker(this.machine, this.symbols);
    this.evaluation = machineEvaluationContext(this.machine, this.symbols);
    this.machine.debugPort.onByte = (byte) => this.debugByte(byte);
    this.machine.onInterrupt((event) => this.interruptDelivered(event));
    if (settings.trace === 'syscalls' || settings.trace === 'interrupts' || settings.trace === 'instructions') this.installSyscallTrace();
  }

  get isRunning(): boolean {
    return this.running;
  }

  get hasEnded(): boolean {
    return this.exitReported;
  }

  // ------------------------------------------------------------------ output and traces

  private debugByte(byte: number): void {
    this.outputLine += String.fromCharCode(byte);
    if (byte === 10 || this.outputLine.length >= 4096) this.flushOutput();
  }

  flushOutput(): void {
    if (this.outputLine.length === 0) return;
    this.listener.output('stdout', this.outputLine);
    this.outputLine = '';
  }

  private interruptDelivered(event: InterruptEvent): void {
    this.lastInterrupt = { ...event };
    if (event.fromCpl === 3) this.lastUserInterrupt = this.lastInterrupt;
    if (this.settings.trace === 'interrupts' || this.settings.trace === 'instructions') {
      this.listener.output('console', `${describeInterrupt(event, this.idtGate(event.vector), this.name(event.handler))} at ${this.name(event.eip)}\n`);
    }
  }

  private installSyscallTrace(): void {
    const dispatch = this.symbols.findSymbol('nt!KiSystemServiceRepeat');
    if (dispatch === undefined) return;
    const table = bundledSyscallTable(this.settings.windows);
    this.hooks.set(dispatch.address, () => {
      const registers = this.machine.registers();
      const index = registers.eax & 0xFFF;
      const shadow = (registers.eax >>> 12) & 1;
      const name = shadow === 0 ? table.serviceAt(index)?.name : undefined;
      this.listener.output('console', `syscall ${name ?? 'service'} (0x${registers.eax.toString(16)}) arguments at ${hex8(registers.edx)} from ${this.name(registers.eip)}\n`);
    });
    this.breakpoints.armAddress(dispatch.address);
    const exit = this.symbols.findSymbol('nt!KiServiceExit');
    if (exit === undefined) return;
    this.hooks.set(exit.address, () => {
      const registers = this.machine.registers();
      this.listener.output('console', `  -> status ${hex8(registers.eax)}\n`);
    });
    this.breakpoints.armAddress(exit.address);
  }

  name(address: number): string {
    return this.symbols.symbolize(address) ?? hex8(address);
  }

  idtGate(vector: number): IdtEntryView | undefined {
    const registers = this.machine.registers();
    const idt = decodeIdt(guestMemoryOf(this.machine), registers.idtr.base, registers.idtr.limit, (address) => this.symbols.symbolize(address));
    return idt.ok ? idt.value.entries[vector] : undefined;
  }

  // ------------------------------------------------------------------ breakpoints and filters

  setExceptionFilters(filters: readonly ExceptionFilterId[], interruptVectors: number[] | undefined): void {
    this.filters.clear();
    for (const filter of filters) this.filters.add(filter);
    this.interruptVectors = interruptVectors;
    this.arm(false);
  }

  /** Sets the machine's stop conditions from the filters (plus a privilege stop a step may need). */
  private arm(privilegeStop: boolean): void {
    const machine = this.machine;
    for (let vector = 0; vector < 256; vector++) machine.setStopOnVector(vector, false);
    if (this.filters.has('int2e')) machine.setStopOnVector(0x2E, true);
    if (this.filters.has('hardware')) machine.setStopOnVector(machine.clock.vector, true);
    if (this.filters.has('interrupt')) {
      const vectors = this.interruptVectors ?? Array.from({ length: 256 - 0x14 }, (_, index) => index + 0x14);
      for (const vector of vectors) machine.setStopOnVector(vector, true);
    }
    machine.setStopOnExceptions(this.filters.has('exception') || (this.filters.has('interrupt') && (this.interruptVectors ?? []).some((vector) => vector < 0x14)));
    machine.setStopOnSysenter(this.filters.has('sysenter'));
    machine.setStopOnPrivilegeChange(this.filters.has('ring') || privilegeStop);
  }

  addCodeBreakpoint(kind: 'source' | 'function' | 'instruction', owner: string, addresses: number[], options: BreakpointOptions, message?: string): BreakpointRecord {
    return this.breakpoints.add(kind, owner, addresses, options, message);
  }

  addDataBreakpoint(owner: string, start: number, length: number, access: WatchAccess, options: BreakpointOptions): BreakpointRecord {
    return this.breakpoints.addWatch(owner, start, length, access, options);
  }

  // ------------------------------------------------------------------ run control

  /** Starts the run after launch: to the program's entry when asked to stop there. */
  start(stopOnEntry: boolean): void {
    if (stopOnEntry) {
      void this.execute(async () => {
        const outcome = await this.runUntil({ address: this.system.programEntry });
        return outcome.kind === 'reached' ? { kind: 'stopped', stop: { reason: 'entry', description: `entry: ${this.name(this.system.programEntry)} in ring 3, after the kernel booted` } } : outcome;
      });
    } else this.continue();
  }

  continue(): void {
    void this.execute(() => this.runUntil({}));
  }

  pause(): void {
    if (this.running) this.pauseRequested = true;
  }

  /** Ends every run in progress (terminate, restart). */
  cancel(): void {
    this.generation++;
    this.running = false;
    this.flushOutput();
  }

  stepIn(granularity: StepGranularity): void {
    void this.execute(async () => {
      if (granularity === 'instruction') return this.stepped(await this.stepOnce());
      return this.stepLines(false);
    });
  }

  next(granularity: StepGranularity): void {
    void this.execute(async () => {
      if (granularity === 'instruction') return this.stepped(await this.stepOverOnce());
      return this.stepLines(true);
    });
  }

  /** Out of the current function to its caller; out of the kernel's outermost frame back to ring 3. */
  stepOut(): void {
    void this.execute(async () => {
      const frames = this.callStack();
      const caller = frames[1];
      let outcome: RunOutcome;
      // No caller found in the kernel (e.g. KiFastCallEntry before it built the frame): out of the kernel.
      if (caller === undefined) outcome = this.machine.registers().cpl === 0 ? await this.runUntil({ cpl: 3 }) : await this.stepOnce();
      else if (caller.kind === 'trap-frame') outcome = await this.runUntil({ cpl: 3 });
      else if (caller.returnSlot !== undefined) outcome = await this.runUntil({ address: caller.pc, minEsp: caller.returnSlot + 4 });
      else outcome = await this.runUntil({ address: caller.pc });
      return this.stepped(outcome);
    });
  }

  private stepped(outcome: RunOutcome): RunOutcome {
    return outcome.kind === 'reached' ? { kind: 'stopped', stop: { reason: 'step', description: `stepped to ${this.name(this.machine.registers().eip)}` } } : outcome;
  }

  /** Runs one operation to its stop; the listener hears exactly one stopped or exited event. */
  private async execute(operation: () => Promise<RunOutcome>): Promise<void> {
    if (this.running) return;
    if (this.ended !== undefined) {
      this.reportExit();
      return;
    }
    this.running = true;
    this.pauseRequested = false;
    const generation = ++this.generation;
    let outcome: RunOutcome;
    try {
      outcome = await operation();
    } catch (error) {
      // A bug in the adapter or the machine must not end the process: report it as a stop.
      const message = error instanceof Error ? error.message : String(error);
      outcome = { kind: 'stopped', stop: { reason: 'exception', description: `internal error: ${message}`, exception: { filter: 'machine', name: 'internal error', description: message } } };
    }
    if (generation !== this.generation) return;
    this.running = false;
    this.pauseRequested = false;
    this.arm(false);
    this.flushOutput();
    if (outcome.kind === 'stopped') {
      this.lastStop = outcome.stop;
      this.listener.stopped(outcome.stop);
    } else if (outcome.kind === 'ended') this.reportExit();
  }

  private reportExit(): void {
    if (this.exitReported || this.ended === undefined) return;
    this.exitReported = true;
    this.flushOutput();
    this.listener.exited(this.ended.status, this.ended.description);
  }

  /** The line under EIP (undefined where no module's line table covers it). */
  currentLine(): SourceLocation | undefined {
    return this.symbols.lineOf(this.machine.registers().eip);
  }

  private async stepLines(over: boolean): Promise<RunOutcome> {
    const startLine = this.currentLine();
    const generation = this.generation;
    for (let steps = 1; ; steps++) {
      const outcome = over ? await this.stepOverOnce() : await this.stepOnce();
      if (outcome.kind !== 'reached') return outcome;
      const line = this.currentLine();
      if (!sameLine(line, startLine) && (line !== undefined || startLine === undefined)) return this.stepped(outcome);
      if (steps % STEPS_PER_TURN === 0) {
        await nextTurn();
        if (generation !== this.generation) return { kind: 'cancelled' };
        if (this.pauseRequested) return { kind: 'stopped', stop: { reason: 'pause', description: `paused at ${this.name(this.machine.registers().eip)}` } };
      }
    }
  }

  /** The instruction at EIP, when it decodes. */
  private currentInstruction(): { mnemonic: string; length: number } | undefined {
    const eip = this.machine.registers().eip;
    const bytes = readLinearBytes(this.machine, eip, 16) ?? readLinearBytes(this.machine, eip, 1);
    if (bytes === undefined) return undefined;
    const decoded = decodeBytes(bytes, 0, eip, 32);
    return decoded.ok ? { mnemonic: decoded.instruction.form.mnemonic, length: decoded.instruction.length } : undefined;
  }

  /** Steps one instruction, running calls and traps (int n, sysenter) to their return as one step. */
  private async stepOverOnce(): Promise<RunOutcome> {
    const instruction = this.currentInstruction();
    const registers = this.machine.registers();
    if (instruction === undefined) return this.stepOnce();
    const after = (registers.eip + instruction.length) >>> 0;
    if (instruction.mnemonic === 'call') return this.runUntil({ address: after, minEsp: registers.esp });
    const trap = instruction.mnemonic === 'int' || instruction.mnemonic === 'into' || instruction.mnemonic === 'sysenter';
    if (trap && registers.cpl === 3) return this.runUntil({ cpl: 3 });
    if (trap) return this.runUntil({ address: after, minEsp: registers.esp });
    return this.stepOnce();
  }

  /** Executes one instruction (or delivers one pending interrupt). */
  private async stepOnce(): Promise<RunOutcome> {
    const stop = this.machine.step();
    const judged = this.judgeMachineStop(stop, {});
    if (judged !== 'continue') return judged;
    return this.judgeArrival({});
  }

  /** After an instruction: a user breakpoint at the new EIP stops a multi-instruction step. */
  private judgeArrival(waypoint: Waypoint): RunOutcome {
    const registers = this.machine.registers();
    if (this.reached(waypoint)) return { kind: 'reached' };
    const hook = this.hooks.get(registers.eip);
    if (hook) hook();
    const verdict = this.judgeBreakpoints(registers.eip);
    if (verdict !== undefined) return { kind: 'stopped', stop: verdict };
    return { kind: 'reached' };
  }

  private reached(waypoint: Waypoint): boolean {
    const registers = this.machine.registers();
    if (waypoint.cpl !== undefined) return registers.cpl === waypoint.cpl;
    if (waypoint.address === undefined) return false;
    return registers.eip === (waypoint.address >>> 0) && (waypoint.minEsp === undefined || registers.esp >= waypoint.minEsp);
  }

  /** Runs in slices until the waypoint, a stop the user asked for, a pause, or the end of the guest. */
  private async runUntil(waypoint: Waypoint): Promise<RunOutcome> {
    const generation = this.generation;
    const temporary = waypoint.address;
    if (temporary !== undefined) this.breakpoints.armAddress(temporary);
    this.arm(waypoint.cpl !== undefined);
    try {
      for (;;) {
        if (generation !== this.generation) return { kind: 'cancelled' };
        if (this.pauseRequested) return { kind: 'stopped', stop: { reason: 'pause', description: `paused at ${this.name(this.machine.registers().eip)}` } };
        if (this.settings.trace === 'instructions') {
          const outcome = await this.traceInstructions(waypoint);
          if (outcome !== 'continue') return outcome;
          continue;
        }
        const started = Date.now();
        const stop = this.machine.runSlice(this.sliceSize);
        this.tuneSlice(stop, Date.now() - started);
        const judged = this.judgeMachineStop(stop, waypoint);
        if (judged !== 'continue') return judged;
        await nextTurn();
      }
    } finally {
      if (temporary !== undefined) this.breakpoints.disarmAddress(temporary);
    }
  }

  private async traceInstructions(waypoint: Waypoint): Promise<RunOutcome | 'continue'> {
    for (let count = 0; count < 200; count++) {
      const eip = this.machine.registers().eip;
      const bytes = readLinearBytes(this.machine, eip, 16) ?? new Uint8Array(0);
      const [line] = disassembleRange(bytes, eip, 1, { style: 'windbg', symbolize: (address) => this.symbols.symbolize(address) });
      this.listener.output('console', `${this.name(eip)} ${hex8(eip)} ${line?.text ?? '??'}\n`);
      const stop = this.machine.step();
      const judged = this.judgeMachineStop(stop, waypoint);
      if (judged !== 'continue') return judged;
      const arrival = this.judgeArrival(waypoint);
      if (arrival.kind !== 'reached' || this.reached(waypoint)) return arrival;
    }
    await nextTurn();
    return 'continue';
  }

  /** Keeps a slice near a few milliseconds, so pause is answered quickly at any machine speed. */
  private tuneSlice(stop: MachineStop, elapsed: number): void {
    if (stop.reason !== 'slice') return;
    const scaled = elapsed <= 0 ? this.sliceSize * 2 : Math.floor(this.sliceSize * TARGET_SLICE_MILLISECONDS / elapsed);
    this.sliceSize = Math.max(MIN_SLICE, Math.min(MAX_SLICE, scaled, this.sliceSize * 2));
  }

  /** Decides what a machine stop means for this run: go on, the waypoint, a user stop, or the end. */
  private judgeMachineStop(stop: MachineStop, waypoint: Waypoint): RunOutcome | 'continue' {
    switch (stop.reason) {
      case 'slice': case 'step': return 'continue';
      case 'breakpoint': {
        if (this.reached(waypoint)) return { kind: 'reached' };
        const hook = this.hooks.get(stop.eip >>> 0);
        if (hook) hook();
        const verdict = this.judgeBreakpoints(stop.eip);
        return verdict === undefined ? 'continue' : { kind: 'stopped', stop: verdict };
      }
      case 'watchpoint': {
        const verdict = this.judgeWatch(stop);
        return verdict === undefined ? 'continue' : { kind: 'stopped', stop: verdict };
      }
      case 'interrupt': case 'exception': {
        if (this.reached(waypoint)) return { kind: 'reached' };
        const event = this.lastInterrupt;
        const filter = event === undefined ? undefined : filtersMatching(event, this.filters, this.interruptVectors);
        if (event === undefined || filter === undefined) return 'continue';
        const description = describeInterrupt(event, this.idtGate(event.vector), this.name(event.handler));
        const name = description.slice(0, description.indexOf(' from ring'));
        return { kind: 'stopped', stop: { reason: 'exception', description, exception: { filter, name, description } } };
      }
      case 'sysenter': {
        if (this.reached(waypoint)) return { kind: 'reached' };
        const from = /at 0x([0-9a-f]+)/i.exec(stop.message);
        const registers = this.machine.registers();
        const origin = from ? this.name(parseInt(from[1], 16)) : 'ring 3';
        const description = `sysenter from ring 3 at ${origin}: IA32_SYSENTER_EIP -> ${this.name(registers.eip)} (CS 0x${registers.cs.selector.toString(16).padStart(2, '0')}, ESP ${hex8(registers.esp)})`;
        return { kind: 'stopped', stop: { reason: 'exception', description, exception: { filter: 'sysenter', name: 'sysenter', description } } };
      }
      case 'privilege-change': {
        if (this.reached(waypoint)) return { kind: 'reached' };
        if (!this.filters.has('ring')) return 'continue';
        const change = /CPL (\d) -> (\d)/.exec(stop.message);
        const name = change ? `ring ${change[1]} -> ring ${change[2]}` : 'privilege change';
        const description = `${name} at ${this.name(this.machine.registers().eip)}`;
        return { kind: 'stopped', stop: { reason: 'exception', description, exception: { filter: 'ring', name, description } } };
      }
      case 'sysexit': return 'continue';
      case 'hlt': {
        const status = this.system.booted.control.exitStatus;
        if (status !== undefined) {
          this.ended = { status, description: `the process exited with status ${hex8(status)} after ${this.machine.instructionCount} instructions` };
          return { kind: 'ended' };
        }
        return this.machineStopped(`the processor halted with interrupts disabled at ${this.name(stop.eip)}`, 'hlt');
      }
      default: {
        const bugCheck = this.system.booted.control.bugCheck;
        const extra = bugCheck ? ` (bug check ${hex8(bugCheck[0])})` : '';
        return this.machineStopped(`${stop.message}${extra}`, stop.reason);
      }
    }
  }

  /** A stop after which the machine cannot go on: shown as an exception stop, the next resume ends the session. */
  private machineStopped(description: string, name: string): RunOutcome {
    this.ended = { status: EXIT_STATUS_MACHINE_STOP, description: `machine stopped: ${description}` };
    return { kind: 'stopped', stop: { reason: 'exception', description, exception: { filter: 'machine', name, description } } };
  }

  private judgeBreakpoints(address: number): TargetStop | undefined {
    const records = this.breakpoints.at(address);
    const stoppedBy: BreakpointRecord[] = [];
    let errorText: string | undefined;
    for (const record of records) {
      const verdict = this.breakpoints.judge(record, this.evaluation);
      if (verdict.action === 'stop') stoppedBy.push(record);
      else if (verdict.action === 'log') this.listener.output('console', `${verdict.text}\n`);
      else if (verdict.action === 'stop-with-error') { stoppedBy.push(record); errorText = verdict.text; }
    }
    if (stoppedBy.length === 0) return undefined;
    const kind = stoppedBy[0].kind;
    const reason: StopReason = kind === 'function' ? 'function breakpoint' : kind === 'instruction' ? 'instruction breakpoint' : 'breakpoint';
    if (errorText !== undefined) this.listener.output('stderr', `${errorText}\n`);
    return { reason, description: `${reason} at ${this.name(address)}`, hitBreakpointIds: stoppedBy.map((record) => record.id) };
  }

  private judgeWatch(stop: MachineStop): TargetStop | undefined {
    const stoppedBy: BreakpointRecord[] = [];
    for (const record of this.breakpoints.watchesCovering(stop.address)) {
      const verdict = this.breakpoints.judge(record, this.evaluation);
      if (verdict.action === 'stop' || verdict.action === 'stop-with-error') stoppedBy.push(record);
      else if (verdict.action === 'log') this.listener.output('console', `${verdict.text}\n`);
    }
    if (stoppedBy.length === 0) return undefined;
    const address = stop.address ?? 0;
    const description = `data breakpoint: ${stop.access ?? 'access'} of ${hex8(address)} (${this.name(address)}), next instruction ${this.name(stop.eip)}`;
    return { reason: 'data breakpoint', description, hitBreakpointIds: stoppedBy.map((record) => record.id) };
  }

  // ------------------------------------------------------------------ inspection

  callStack(): StackFrame[] {
    return this.walker.walk(this.lastUserInterrupt);
  }

  userEntry(): ReturnType<CallStackWalker['userEntry']> {
    return this.walker.userEntry(this.lastUserInterrupt);
  }
}
