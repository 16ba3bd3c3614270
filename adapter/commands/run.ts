// `ntsyscall run [PROGRAM.asm] [--driver D.asm]... [--syscall auto|sysenter|int2e] [--windows VERSION]
// [--trace none|syscalls|interrupts|instructions] [--json] [--max-instructions N] [--clock N]` (SPEC 5):
// links ntoskrnl, ntdll, the program (and drivers), boots the NT model and runs it to the end,
// printing the system calls, interrupts (and sysenter/sysexit), output and exit as text or as one
// JSON object per line.
// Exit status: the guest's NtTerminateProcess status; 2 for bad input or assembly errors; 3 when the
// machine stops (instruction limit, triple fault, bug check, a halt with no exit status).
import * as fs from 'fs';
import * as path from 'path';
import { defaultAssemblyCache, type Assembler } from '../../core/asm/assembly-cache';
import { formatDiagnostic } from '../../core/asm/diagnostics';
import { linkModules, type LinkResult } from '../../core/asm/linker';
import type { ModuleSpec } from '../../core/asm/module';
import { interruptNameForTrace, type InterruptEvent } from '../../core/cpu/interrupts';
import { disassembleRange } from '../../core/isa/disassembler';
import { bootNtMachine, NtBootError, ntdllModuleSpec, ntoskrnlModuleSpec, type NtBootedMachine } from '../../core/nt/boot';
import {
  KPCR_CURRENT_THREAD, KTHREAD_SERVICE_TABLE, KTRAP_FRAME_CS, KTRAP_FRAME_EIP, SERVICE_DESCRIPTOR_LIMIT,
  SERVICE_DESCRIPTOR_NUMBER,
} from '../../core/nt/ks386';
import { KIP0PCRADDRESS, NTDLL_BASE, PROGRAM_IMAGE_BASE } from '../../core/nt/memory-map';
import { bundledSyscallTable, DEFAULT_WINDOWS_VERSION, defaultSyscallListDirectory, isWindowsVersion, WINDOWS_VERSIONS, type WindowsVersion } from '../../core/nt/syscall-list';
import type { CommandOutput } from '../cli';

const USAGE = `usage: ntsyscall run [PROGRAM.asm] [--driver D.asm]... [--syscall auto|sysenter|int2e] [--windows VERSION]
                     [--trace none|syscalls|interrupts|instructions] [--json] [--max-instructions N] [--clock N]
`;
export const RUN_DEFAULT_MAX_INSTRUCTIONS = 10_000_000;
const SLICE = 100_000;
/** XP's name for the code every process starts in (kernel32 there; the model's ntdll may export it). */
const NTDLL_PROCESS_START_THUNK = 'BaseProcessStartThunk';
const EXIT_BAD_INPUT = 2;
const EXIT_MACHINE_STOP = 3;
const TRACE_LEVELS = ['none', 'syscalls', 'interrupts', 'instructions'] as const;
type TraceLevel = (typeof TRACE_LEVELS)[number];
type SyscallMechanism = 'auto' | 'sysenter' | 'int2e';

interface RunOptions {
  program: string | undefined;
  drivers: string[];
  syscall: SyscallMechanism;
  windows: WindowsVersion;
  trace: TraceLevel;
  json: boolean;
  maxInstructions: number;
  clock: number;
}

function parsePositiveInteger(text: string | undefined, allowZero: boolean): number | undefined {
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && (value > 0 || (allowZero && value === 0)) ? value : undefined;
}

function parseArguments(args: readonly string[]): RunOptions | string {
  const options: RunOptions = {
    program: undefined, drivers: [], syscall: 'auto', windows: DEFAULT_WINDOWS_VERSION, trace: 'syscalls', json: false,
    maxInstructions: RUN_DEFAULT_MAX_INSTRUCTIONS, clock: 0,
  };
  for (let i = 0; i < args.length; i++) {
    const argument = args[i];
    const equals = argument.startsWith('--') ? argument.indexOf('=') : -1;
    const name = equals >= 0 ? argument.slice(0, equals) : argument;
    const value = (): string | undefined => (equals >= 0 ? argument.slice(equals + 1) : args[++i]);
    switch (name) {
      case '--json': options.json = true; break;
      case '--driver': {
        const driver = value();
        if (!driver) return '--driver needs a file name';
        options.drivers.push(driver);
        break;
      }
      case '--syscall': {
        const mechanism = value();
        if (mechanism !== 'auto' && mechanism !== 'sysenter' && mechanism !== 'int2e') return `--syscall takes auto, sysenter or int2e, not '${mechanism ?? ''}'`;
        options.syscall = mechanism;
        break;
      }
      case '--windows': {
        const version = value() ?? '';
        if (!isWindowsVersion(version)) return `--windows takes one of ${WINDOWS_VERSIONS.join(', ')}, not '${version}'`;
        options.windows = version;
        break;
      }
      case '--trace': {
        const level = value() ?? '';
        if (!(TRACE_LEVELS as readonly string[]).includes(level)) return `--trace takes ${TRACE_LEVELS.join(', ')}, not '${level}'`;
        options.trace = level as TraceLevel;
        break;
      }
      case '--max-instructions': {
        const parsed = parsePositiveInteger(value(), false);
        if (parsed === undefined) return '--max-instructions needs a positive whole number';
        options.maxInstructions = parsed;
        break;
      }
      case '--clock': {
        const parsed = parsePositiveInteger(value(), true);
        if (parsed === undefined) return '--clock needs a whole number of instructions between ticks (0: no clock)';
        options.clock = parsed;
        break;
      }
      default:
        if (argument.startsWith('-')) return `unknown option '${argument}'`;
        if (options.program !== undefined) return `only one program can run (got '${options.program}' and '${argument}')`;
        options.program = argument;
    }
  }
  return options;
}

/** The bundled samples/ folder (next to samples/syscalls/). */
function samplesDirectory(): string | undefined {
  const lists = defaultSyscallListDirectory();
  return lists === undefined ? undefined : path.dirname(lists);
}

/** The org a module file declares: a driver is loaded where its source says. */
function originOf(file: string, assembler: Assembler): number {
  return assembler.assemble({ fileName: file }).origin;
}

interface LinkedSystem {
  kernel: LinkResult;
  user: LinkResult;
  programName: string;
  /** The drivers' module names, in command-line order. */
  driverNames: string[];
}

/** Where the generated boot-driver loader goes: the last page of the kernel's boot mapping. */
const BOOT_DRIVER_LOADER_BASE = 0x807FF000;

/**
 * The kernel calls one DriverEntry (the boot block has one slot); for several drivers this
 * generated module is that entry and calls each driver's DriverEntry in command-line order, as
 * XP's IopInitializeBootDrivers does for the boot drivers.
 */
function linkBootDriverLoader(driverEntries: readonly number[], samples: string): LinkResult {
  const calls = driverEntries.flatMap((entry) => [
    '        push 0                          ; RegistryPath',
    '        push 0                          ; DriverObject',
    `        mov eax, 0x${entry.toString(16).toUpperCase()}`,
    '        call eax                        ; a driver\'s DriverEntry',
  ]);
  const source = [
    '; IopInitializeBootDrivers: generated by `ntsyscall run` to call every driver\'s DriverEntry.',
    '        bits 32', `        org 0x${BOOT_DRIVER_LOADER_BASE.toString(16).toUpperCase()}`,
    '        global DriverEntry', 'DriverEntry:', ...calls,
    '        xor eax, eax', '        ret 2*4', '',
  ].join('\n');
  return linkModules([{ name: 'IopInitializeBootDrivers', entryFile: path.join(samples, 'drivers', 'boot-driver-loader.asm'), mode: 'kernel', base: BOOT_DRIVER_LOADER_BASE, source }]);
}

function linkSystem(options: RunOptions, samples: string, output: CommandOutput): LinkedSystem | undefined {
  const program = path.resolve(options.program ?? path.join(samples, 'programs', 'readfile.asm'));
  const programName = path.basename(program, '.asm');
  // An unchanged kernel and ntdll come from the assembly cache (core/asm/assembly-cache.ts).
  const assembler = defaultAssemblyCache();
  const kernelSpecs: ModuleSpec[] = [ntoskrnlModuleSpec(path.join(samples, 'kernel'), options.windows)];
  const driverNames: string[] = [];
  for (const file of options.drivers) {
    const driver = path.resolve(file);
    const driverName = path.basename(driver, '.asm');
    if (driverNames.includes(driverName) || [programName, 'nt', 'ntdll'].includes(driverName)) {
      output.stderr(`ntsyscall run: two modules would be named '${driverName}'\n`);
      return undefined;
    }
    driverNames.push(driverName);
    kernelSpecs.push({ name: driverName, entryFile: driver, mode: 'kernel', base: originOf(driver, assembler) });
  }
  const kernel = linkModules(kernelSpecs, { assembler });
  const user = linkModules([
    ntdllModuleSpec(path.join(samples, 'ntdll'), options.windows),
    { name: programName, entryFile: program, mode: 'user', base: PROGRAM_IMAGE_BASE },
  ], { assembler });
  const diagnostics = [...kernel.diagnostics, ...user.diagnostics];
  for (const diagnostic of diagnostics) output.stderr(`${formatDiagnostic(diagnostic)}\n`);
  if (!kernel.ok || !user.ok) return undefined;
  return { kernel, user, programName, driverNames };
}

interface PendingSyscall {
  frame: number;
  via: 'int2e' | 'sysenter' | 'kernel';
  number: number;
  table: number;
  name: string | undefined;
  previousMode: 'user' | 'kernel';
  args: number[];
}

const hex8 = (value: number): string => `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
const hex = (value: number): string => `0x${(value >>> 0).toString(16).toUpperCase()}`;

/** Follows one run: turns breakpoints in the kernel's entry, dispatch and exit code into syscall events. */
class RunTracer {
  private sequence = 0;
  private entryVia: 'int2e' | 'sysenter' = 'int2e';
  private readonly pending: PendingSyscall[] = [];
  private outputLine = '';

  constructor(
    private readonly booted: NtBootedMachine,
    private readonly system: LinkedSystem,
    private readonly options: RunOptions,
    private readonly output: CommandOutput,
  ) {
    this.systemServiceAddress = this.kernelSymbol('KiSystemService');
    this.fastCallEntryAddress = this.kernelSymbol('KiFastCallEntry');
    this.dispatcherAddress = this.kernelSymbol('KiSystemServiceRepeat');
    this.serviceExitAddress = this.kernelSymbol('KiServiceExit');
    this.fullRestoreExitAddress = this.kernelSymbol('KiServiceExit2');
    const exit2 = this.kernelSymbol('KiSystemCallExit2');
    const code = booted.machine.readLinear(exit2, 32);
    const offset = code.findIndex((byte, index) => byte === 0x0F && code[index + 1] === 0x35);
    this.sysexitAddress = offset < 0 ? undefined : exit2 + offset;
  }

  /** The `sysexit` instruction in nt!KiSystemCallExit2 (undefined if the kernel has none). */
  readonly sysexitAddress: number | undefined;
  readonly systemServiceAddress: number;
  readonly fastCallEntryAddress: number;
  readonly dispatcherAddress: number;
  readonly serviceExitAddress: number;
  /** nt!KiServiceExit2: NtContinue and NtRaiseException leave their system call through it. */
  readonly fullRestoreExitAddress: number;

  /** Where the tracer needs a breakpoint. */
  breakpointAddresses(): number[] {
    const addresses = [this.systemServiceAddress, this.fastCallEntryAddress, this.dispatcherAddress, this.serviceExitAddress, this.fullRestoreExitAddress];
    return this.sysexitAddress === undefined ? addresses : [...addresses, this.sysexitAddress];
  }

  tracesInterrupts(): boolean {
    return this.options.trace === 'interrupts' || this.options.trace === 'instructions';
  }

  symbolize(address: number): string {
    return this.system.kernel.symbolize(address) ?? this.system.user.symbolize(address) ?? hex8(address);
  }

  kernelSymbol(name: string): number {
    const symbol = this.system.kernel.findSymbol(`nt!${name}`);
    if (!symbol) throw new NtBootError(`ntoskrnl has no symbol ${name}`);
    return symbol.address;
  }

  emit(event: Record<string, unknown>, text: string): void {
    this.flushOutput();
    this.output.stdout(this.options.json ? `${JSON.stringify(event)}\n` : `${text}\n`);
  }

  /** Debug-port bytes, shown a line at a time. */
  outputByte(byte: number): void {
    this.outputLine += String.fromCharCode(byte);
    if (byte === 10) this.flushOutput();
  }

  flushOutput(): void {
    if (this.outputLine.length === 0) return;
    const text = this.outputLine;
    this.outputLine = '';
    this.output.stdout(this.options.json ? `${JSON.stringify({ type: 'output', text })}\n` : text.endsWith('\n') ? text : `${text}\n`);
  }

  interrupt(event: InterruptEvent): void {
    if (!this.tracesInterrupts()) return;
    const name = interruptNameForTrace(event.vector);
    const handler = this.symbolize(event.handler);
    const cause = event.kind === 'software' ? `int ${hex(event.vector)}` : event.kind === 'hardware' ? `hardware interrupt ${hex(event.vector)}` : `exception ${name} (${hex(event.vector)})`;
    const error = event.errorCode === undefined ? '' : `, error code ${hex(event.errorCode)}`;
    this.emit({
      type: 'interrupt', vector: event.vector, kind: event.kind, name, errorCode: event.errorCode, fromCpl: event.fromCpl,
      toCpl: event.toCpl, eip: hex8(event.eip), handler,
    }, `${cause} from ring ${event.fromCpl} at ${this.symbolize(event.eip)}${error}: IDT[${hex(event.vector)}] -> ${handler}`);
  }

  /** A breakpoint the tracer placed was reached; false when the address is not one of them. */
  breakpoint(address: number): boolean {
    const machine = this.booted.machine;
    const registers = machine.registers();
    if (address === this.systemServiceAddress) { this.entryVia = 'int2e'; return true; }
    if (address === this.fastCallEntryAddress) {
      this.entryVia = 'sysenter';
      // sysenter saves no EIP: the user stack (EDX) holds the return address into the Nt stub.
      const returnAddress = this.read32(registers.edx);
      if (this.tracesInterrupts()) {
        this.emit({ type: 'sysenter', userEsp: hex8(registers.edx), returnAddress: this.symbolize(returnAddress), handler: this.symbolize(address) },
          `sysenter from ring 3 (user ESP ${hex8(registers.edx)}, returns to ${this.symbolize(returnAddress)}): MSR 0x176 -> ${this.symbolize(address)}`);
      }
      return true;
    }
    if (address === this.sysexitAddress) {
      if (this.tracesInterrupts()) {
        this.emit({ type: 'sysexit', eip: this.symbolize(registers.edx), esp: hex8(registers.ecx) },
          `sysexit to ring 3: EIP = EDX = ${this.symbolize(registers.edx)}, ESP = ECX = ${hex8(registers.ecx)}`);
      }
      return true;
    }
    if (address === this.dispatcherAddress) {
      const frame = registers.ebp;
      const fromUser = (this.read32(frame + KTRAP_FRAME_CS) & 1) === 1;
      const number = registers.eax;
      const table = (number >>> 12) & 1;
      const index = number & 0xFFF;
      const call: PendingSyscall = {
        frame, via: fromUser ? this.entryVia : 'kernel', number, table, previousMode: fromUser ? 'user' : 'kernel',
        name: table === 0 ? bundledSyscallTable(this.options.windows).serviceAt(index)?.name : this.shadowServiceName(index),
        args: this.readArguments(table, index, registers.edx),
      };
      // KiBBTUnexpectedRange may send the same call through the dispatcher again (GUI conversion).
      const top = this.pending[this.pending.length - 1];
      if (top && top.frame === frame && top.number === number) {
        this.pending[this.pending.length - 1] = call;
        return true;
      }
      // A call that left without KiServiceExit (NtContinue, NtCallbackReturn) freed its frame.
      const abandoned = this.pending.findIndex((pending) => pending.frame === frame);
      if (abandoned >= 0) for (const left of this.pending.splice(abandoned)) this.reportSyscall(left, undefined);
      this.pending.push(call);
      return true;
    }
    if (address === this.fullRestoreExitAddress) {
      // A call that resumes the thread with a new CONTEXT (NtContinue) ends here, without a status.
      const index = this.pending.findIndex((call) => call.frame === registers.ebp);
      if (index >= 0) {
        const [call] = this.pending.splice(index, 1);
        this.reportSyscall(call, undefined, this.read32(registers.ebp + KTRAP_FRAME_EIP));
      }
      return true;
    }
    if (address === this.serviceExitAddress) {
      const index = this.pending.findIndex((call) => call.frame === registers.ebp);
      if (index >= 0) {
        const [call] = this.pending.splice(index, 1);
        this.reportSyscall(call, registers.eax);
      }
      return true;
    }
    return false;
  }

  /** Calls still inside the kernel when the run ended (NtTerminateProcess never returns). */
  reportUnfinished(): void {
    for (const call of this.pending.splice(0)) this.reportSyscall(call, undefined);
  }

  /** `continuesAt`: where a call that does not return (NtContinue) sends the thread. */
  private reportSyscall(call: PendingSyscall, status: number | undefined, continuesAt?: number): void {
    if (this.options.trace === 'none') return;
    this.sequence++;
    const name = call.name ?? `service ${hex(call.number)}`;
    const event: Record<string, unknown> = {
      type: 'syscall', seq: this.sequence, number: call.number & 0xFFF, table: call.table, name: call.name ?? null,
      via: call.via, previousMode: call.previousMode, args: call.args.map(hex8),
      status: status === undefined ? null : hex8(status), instructions: this.booted.machine.instructionCount,
    };
    if (continuesAt !== undefined) event.continuesAt = this.symbolize(continuesAt);
    const result = status !== undefined ? `-> ${hex8(status)}` : continuesAt !== undefined ? `continues at ${this.symbolize(continuesAt)}` : 'did not return';
    this.emit(event, `syscall ${name} (${hex(call.number)}) via ${call.via} from ${call.previousMode} mode (${call.args.map(hex).join(', ')}) ${result}`);
  }

  /** The win32k-style table has no syscall list: its services are named by their symbols in nt. */
  private shadowServiceName(index: number): string | undefined {
    const table = this.system.kernel.findSymbol('nt!W32pServiceTable');
    if (!table) return undefined;
    const limit = this.read32(this.kernelSymbol('KeServiceDescriptorTableShadow') + 0x10 + SERVICE_DESCRIPTOR_LIMIT);
    if (index >= limit) return undefined;
    const symbol = this.system.kernel.symbolize(this.read32(table.address + index * 4));
    return symbol?.startsWith('nt!') && !symbol.includes('+') ? symbol.slice(3) : undefined;
  }

  private readArguments(table: number, index: number, pointer: number): number[] {
    const thread = this.read32(KIP0PCRADDRESS + KPCR_CURRENT_THREAD);
    const descriptor = this.read32(thread + KTHREAD_SERVICE_TABLE) + table * 0x10;
    if (index >= this.read32(descriptor + SERVICE_DESCRIPTOR_LIMIT)) return [];
    const argumentBytes = this.booted.machine.readLinear(this.read32(descriptor + SERVICE_DESCRIPTOR_NUMBER) + index, 1)[0] ?? 0;
    const values: number[] = [];
    for (let offset = 0; offset < argumentBytes; offset += 4) {
      const bytes = this.booted.machine.readLinear(pointer + offset, 4);
      if (bytes.some((byte) => byte === undefined)) break;
      values.push(((bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0));
    }
    return values;
  }

  instruction(eip: number): void {
    const bytes = Uint8Array.from(this.booted.machine.readLinear(eip, 16).map((byte) => byte ?? 0));
    const symbolize = (address: number): string | undefined => this.system.kernel.symbolize(address) ?? this.system.user.symbolize(address);
    const [line] = disassembleRange(bytes, eip, 1, { style: 'windbg', symbolize });
    const where = this.symbolize(eip);
    const text = line?.text ?? '(undecodable)';
    this.emit({ type: 'instruction', eip: hex8(eip), symbol: where, bytes: line?.bytesHex ?? '', text }, `${where} ${hex8(eip)} ${line?.bytesHex ?? ''} ${text}`);
  }

  private read32(address: number): number {
    const bytes = this.booted.machine.readLinear(address, 4);
    return ((bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16) | ((bytes[3] ?? 0) << 24)) >>> 0;
  }
}

/** Runs one program on the NT model; resolves to the process exit status (see the top of this file). */
export async function runRunCommand(args: readonly string[], output: CommandOutput): Promise<number> {
  const options = parseArguments(args);
  if (typeof options === 'string') {
    output.stderr(`ntsyscall run: ${options}\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  for (const file of [options.program, ...options.drivers]) {
    if (file !== undefined && !fs.existsSync(file)) {
      output.stderr(`ntsyscall run: ${file}: no such file\n`);
      return EXIT_BAD_INPUT;
    }
  }
  const samples = samplesDirectory();
  if (samples === undefined) {
    output.stderr('ntsyscall run: cannot find the bundled samples/ folder\n');
    return EXIT_BAD_INPUT;
  }
  const system = linkSystem(options, samples, output);
  if (!system) return EXIT_BAD_INPUT;

  let tracer: RunTracer | undefined;
  let booted: NtBootedMachine;
  try {
    const programEntry = system.user.findSymbol(`${system.programName}!start`)?.address ?? PROGRAM_IMAGE_BASE;
    // With a start thunk in ntdll, ring 3 begins there and the thunk calls the program (EAX) and
    // then NtTerminateProcess with its return value; without one, at the program itself.
    const startThunk = system.user.modules.find((module) => module.name === 'ntdll')?.exports[NTDLL_PROCESS_START_THUNK];
    const driverEntries = system.driverNames.map((name) => {
      const entry = system.kernel.findSymbol(`${name}!DriverEntry`)?.address;
      if (entry === undefined) throw new NtBootError(`driver '${name}' has no global DriverEntry`);
      return entry;
    });
    const loader = driverEntries.length > 1 ? linkBootDriverLoader(driverEntries, samples) : undefined;
    if (loader !== undefined && !loader.ok) throw new NtBootError(`the boot-driver loader did not link: ${loader.diagnostics.map(formatDiagnostic).join('; ')}`);
    const driverEntry = loader === undefined ? driverEntries[0] : loader.findSymbol('IopInitializeBootDrivers!DriverEntry')?.address;
    booted = bootNtMachine({
      modules: [...system.kernel.modules, ...(loader?.modules ?? []), ...system.user.modules], userEntry: startThunk ?? programEntry,
      processStartAddress: programEntry, driverEntry,
      machine: { sepSupported: options.syscall !== 'int2e', clockInterval: options.clock, onDebugOutput: (byte) => tracer?.outputByte(byte) },
    });
    tracer = new RunTracer(booted, system, options, output);
  } catch (error) {
    if (!(error instanceof NtBootError)) throw error;
    output.stderr(`ntsyscall run: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const machine = booted.machine;
  machine.instructionLimit = options.maxInstructions;
  machine.onInterrupt((event) => tracer!.interrupt(event));
  for (const address of tracer.breakpointAddresses()) machine.addBreakpoint(address);

  let reason: 'terminated' | 'halted' | 'limit' | 'triple-fault';
  let message: string;
  for (;;) {
    if (options.trace === 'instructions') {
      // step() runs through breakpoints without reporting them: look at the address first.
      const eip = machine.registers().eip;
      tracer.breakpoint(eip);
      if (!machine.cpu.halted) tracer.instruction(eip);
    }
    const stop = options.trace === 'instructions' ? machine.step() : machine.runSlice(SLICE);
    if (stop.reason === 'slice' || stop.reason === 'step') continue;
    if (stop.reason === 'breakpoint' && tracer.breakpoint(stop.eip)) continue;
    message = stop.message;
    if (stop.reason === 'hlt') reason = booted.control.exitStatus === undefined ? 'halted' : 'terminated';
    else if (stop.reason === 'limit') reason = 'limit';
    else if (stop.reason === 'triple-fault') reason = 'triple-fault';
    else reason = 'halted';
    break;
  }
  tracer.reportUnfinished();
  tracer.flushOutput();
  const status = booted.control.exitStatus;
  const bugCheck = booted.control.bugCheck;
  const where = tracer.symbolize(machine.registers().eip);
  const exitEvent: Record<string, unknown> = {
    type: 'exit', status: reason === 'terminated' && status !== undefined ? hex8(status) : null, instructions: machine.instructionCount, reason,
  };
  if (bugCheck) exitEvent.bugCheck = { code: hex8(bugCheck[0]), parameters: bugCheck.slice(1).map(hex8) };
  if (reason !== 'terminated') exitEvent.message = `${message} (${where})`;
  const summary = reason === 'terminated'
    ? `exit status ${hex8(status ?? 0)} after ${machine.instructionCount} instructions`
    : `machine stopped (${reason}) at ${where} after ${machine.instructionCount} instructions: ${message}${bugCheck ? `, bug check ${hex8(bugCheck[0])}` : ''}`;
  tracer.emit(exitEvent, summary);
  return reason === 'terminated' && status !== undefined ? status : EXIT_MACHINE_STOP;
}


/**
 * `npm start` (SPEC 5): the default sample twice, through int 2Eh and through sysenter, each trace
 * under a heading. Resolves to 0 when both runs exit with status 0, else the first other status.
 */
export async function runStartCommand(args: readonly string[], output: CommandOutput): Promise<number> {
  let result = 0;
  for (const [mechanism, heading] of [['int2e', 'int 2Eh -> nt!KiSystemService'], ['sysenter', 'sysenter -> nt!KiFastCallEntry']] as const) {
    output.stdout(`== the default sample through ${heading} ==\n`);
    const status = await runRunCommand(['--syscall', mechanism, '--trace', 'interrupts', ...args], output);
    if (result === 0 && status !== 0) result = status;
    output.stdout('\n');
  }
  return result;
}
