// The launch's boot step: assemble and link ntoskrnl (+ drivers) and ntdll + the program, then let the
// NT loader build the machine. Problems come back as `file:line:col: message` lines, never as throws.
import * as fs from 'fs';
import * as path from 'path';
import { defaultAssemblyCache, type Assembler } from '../../core/asm/assembly-cache';
import { formatDiagnostic } from '../../core/asm/diagnostics';
import { linkModules, type LinkResult } from '../../core/asm/linker';
import type { ModuleSpec } from '../../core/asm/module';
import { bootNtMachine, NtBootError, ntdllModuleSpec, ntoskrnlModuleSpec, type NtBootedMachine } from '../../core/nt/boot';
import type { MachineOptions } from '../../core/machine/machine';
import { PROGRAM_IMAGE_BASE } from '../../core/nt/memory-map';
import type { LaunchSettings } from './launch-settings';
import { SymbolIndex } from './symbol-index';

export interface NtSystem {
  booted: NtBootedMachine;
  symbols: SymbolIndex;
  programName: string;
  /** Where ring 3 starts: ntdll!BaseProcessStartThunk, or the program itself when ntdll has no thunk. */
  userEntry: number;
  /** The program's `start` (or its first byte): where stopOnEntry stops. */
  programEntry: number;
}

export type NtSystemBuild =
  | { ok: true; system: NtSystem; warnings: string[] }
  | { ok: false; problems: string[]; summary: string };

/** The bundled samples/ folder, found from the code's location or the working directory. */
export function bundledSamplesDirectory(): string | undefined {
  for (const start of [__dirname, process.cwd()]) {
    let directory = path.resolve(start);
    for (;;) {
      if (fs.existsSync(path.join(directory, 'samples', 'kernel', 'ntoskrnl.asm'))) return path.join(directory, 'samples');
      const parent = path.dirname(directory);
      if (parent === directory) break;
      directory = parent;
    }
  }
  return undefined;
}

function failure(summary: string, problems: string[] = []): NtSystemBuild {
  return { ok: false, summary, problems };
}

function moduleNameOf(file: string): string {
  return path.basename(file, path.extname(file)).replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Builds the whole machine as SPEC 6's launch attributes describe it (`machine.memoryBytes`: guest RAM, for
 * the bench). Modules come from `assembler`: by default the assembly cache, so an unchanged kernel and ntdll
 * are not assembled again at every launch.
 */
export function buildNtSystem(settings: LaunchSettings, machine: Pick<MachineOptions, 'memoryBytes'> = {},
  assembler: Assembler = defaultAssemblyCache()): NtSystemBuild {
  if (settings.drivers.length > 1) return failure('drivers: the model loads one driver so far; list a single .asm file');
  const samples = bundledSamplesDirectory();
  const kernelFolder = settings.kernel ?? (samples && path.join(samples, 'kernel'));
  const ntdllFolder = settings.ntdll ?? (samples && path.join(samples, 'ntdll'));
  if (kernelFolder === undefined || ntdllFolder === undefined) return failure('cannot find the bundled samples/ folder: set "kernel" and "ntdll" in launch.json');
  const kernelFile = path.resolve(kernelFolder, 'ntoskrnl.asm');
  const ntdllFile = path.resolve(ntdllFolder, 'ntdll.asm');
  const program = path.resolve(settings.program ?? path.join(samples ?? '.', 'programs', 'readfile.asm'));
  const driver = settings.drivers[0] === undefined ? undefined : path.resolve(settings.drivers[0]);
  for (const [what, file] of [['kernel', kernelFile], ['ntdll', ntdllFile], ['program', program], ['drivers', driver]] as const) {
    if (file !== undefined && !fs.existsSync(file)) return failure(`${what}: ${file}: no such file`);
  }
  const programName = moduleNameOf(program);
  if (programName === 'nt' || programName === 'ntdll') return failure(`program: a program cannot be named '${programName}' (that name belongs to a system module)`);
  // the version's service numbering: the same sources with a WINDOWS_* define, as `ntsyscall run --windows` builds them
  const kernelSpecs: ModuleSpec[] = [ntoskrnlModuleSpec(path.dirname(kernelFile), settings.windows)];
  const driverName = driver === undefined ? undefined : moduleNameOf(driver);
  if (driver !== undefined && driverName !== undefined) {
    // A driver is loaded where its own `org` says.
    const origin = assembler.assemble({ fileName: driver }).origin;
    kernelSpecs.push({ name: driverName === 'nt' ? 'driver' : driverName, entryFile: driver, mode: 'kernel', base: origin });
  }
  const kernelLink = linkModules(kernelSpecs, { assembler });
  const userLink = linkModules([
    ntdllModuleSpec(path.dirname(ntdllFile), settings.windows),
    { name: programName, entryFile: program, mode: 'user', base: PROGRAM_IMAGE_BASE },
  ], { assembler });
  const diagnostics = [...kernelLink.diagnostics, ...userLink.diagnostics];
  const lines = diagnostics.map(formatDiagnostic);
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0];
    return failure(`assembly failed with ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${path.basename(first.file)}:${first.line}:${first.column} (${first.message}) first`, lines);
  }
  const links: LinkResult[] = [kernelLink, userLink];
  const symbols = new SymbolIndex(links);
  const programEntry = symbols.findSymbol(`${programName}!start`)?.address ?? PROGRAM_IMAGE_BASE;
  // XP starts every process in a thunk that calls the program with its entry in EAX.
  const userEntry = symbols.findSymbol('ntdll!BaseProcessStartThunk')?.address ?? programEntry;
  const driverEntry = kernelSpecs[1] === undefined ? undefined : symbols.findSymbol(`${kernelSpecs[1].name}!DriverEntry`)?.address;
  if (kernelSpecs[1] !== undefined && driverEntry === undefined) return failure(`drivers: ${driver}: the driver has no global DriverEntry`, lines);
  try {
    const booted = bootNtMachine({
      modules: [...kernelLink.modules, ...userLink.modules], userEntry, processStartAddress: programEntry, driverEntry,
      machine: { memoryBytes: machine.memoryBytes, sepSupported: settings.syscall !== 'int2e', clockInterval: settings.clock },
    });
    return { ok: true, system: { booted, symbols, programName, userEntry, programEntry }, warnings: lines };
  } catch (error) {
    if (error instanceof NtBootError) return failure(`the loader refused the modules: ${error.message}`, lines);
    return failure(`the loader failed: ${error instanceof Error ? error.message : String(error)}`, lines);
  }
}
