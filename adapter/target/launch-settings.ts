// The launch attributes of SPEC 6, checked: every wrong value becomes a sentence saying what to fix.
import { isWindowsVersion, WINDOWS_VERSIONS, type WindowsVersion } from '../../core/nt/syscall-list';

export type SyscallMechanism = 'auto' | 'sysenter' | 'int2e';
export type TraceLevel = 'none' | 'syscalls' | 'interrupts' | 'instructions';
const TRACE_LEVELS: readonly TraceLevel[] = ['none', 'syscalls', 'interrupts', 'instructions'];

export interface LaunchSettings {
  /** The user program (.asm); undefined: the bundled programs/readfile.asm. */
  program: string | undefined;
  drivers: string[];
  /** Folders with ntoskrnl.asm and ntdll.asm; undefined: the bundled samples. */
  kernel: string | undefined;
  ntdll: string | undefined;
  syscall: SyscallMechanism;
  windows: WindowsVersion;
  stopOnEntry: boolean;
  clock: number;
  trace: TraceLevel;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new LaunchSettingsError(`'${name}' must be a file or folder path (a non-empty string)`);
  return value;
}

export class LaunchSettingsError extends Error {}

/** Parses the launch request's arguments; throws LaunchSettingsError with the fix. */
export function parseLaunchSettings(args: unknown): LaunchSettings {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new LaunchSettingsError('launch needs an arguments object');
  const record = args as Record<string, unknown>;
  const drivers = record.drivers ?? [];
  if (!Array.isArray(drivers) || drivers.some((driver) => typeof driver !== 'string' || driver.length === 0)) {
    throw new LaunchSettingsError("'drivers' must be a list of .asm file paths");
  }
  const syscall = record.syscall ?? 'auto';
  if (syscall !== 'auto' && syscall !== 'sysenter' && syscall !== 'int2e') throw new LaunchSettingsError(`'syscall' must be auto, sysenter or int2e, not ${JSON.stringify(syscall)}`);
  const windows = record.windows ?? 'xp-sp3';
  if (typeof windows !== 'string' || !isWindowsVersion(windows)) throw new LaunchSettingsError(`'windows' must be one of ${WINDOWS_VERSIONS.join(', ')}, not ${JSON.stringify(windows)}`);
  const stopOnEntry = record.stopOnEntry ?? false;
  if (typeof stopOnEntry !== 'boolean') throw new LaunchSettingsError("'stopOnEntry' must be true or false");
  const clock = record.clock ?? 0;
  if (typeof clock !== 'number' || !Number.isSafeInteger(clock) || clock < 0) throw new LaunchSettingsError("'clock' must be a whole number of instructions between ticks (0: no clock)");
  const trace = record.trace ?? 'none';
  if (typeof trace !== 'string' || !(TRACE_LEVELS as readonly string[]).includes(trace)) throw new LaunchSettingsError(`'trace' must be one of ${TRACE_LEVELS.join(', ')}`);
  return {
    program: optionalString(record.program, 'program'),
    drivers: drivers as string[],
    kernel: optionalString(record.kernel, 'kernel'),
    ntdll: optionalString(record.ntdll, 'ntdll'),
    syscall, windows, stopOnEntry, clock, trace: trace as TraceLevel,
  };
}
