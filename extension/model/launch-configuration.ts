// The `ntsyscall` launch configuration (SPEC 6): its attributes, and filling one in for F5 on a file.

export const DEBUG_TYPE = 'ntsyscall';

/** Every launch attribute SPEC 6 names; the manifest must describe each. */
export const LAUNCH_ATTRIBUTES = ['program', 'drivers', 'kernel', 'ntdll', 'syscall', 'windows', 'stopOnEntry', 'clock', 'trace'] as const;
export type LaunchAttribute = typeof LAUNCH_ATTRIBUTES[number];

export const SYSCALL_MECHANISMS = ['auto', 'sysenter', 'int2e'] as const;
export const WINDOWS_VERSIONS = ['xp-sp3', 'nt4-sp6', 'win2k-sp4', '2003-sp2', 'vista-sp2', '7-sp1'] as const;
export const TRACE_LEVELS = ['none', 'syscalls', 'interrupts', 'instructions'] as const;

/** Language ids whose files this debugger can run and set breakpoints in. */
export const ASM_LANGUAGE_IDS = ['ntasm', 'asm', 'nasm', 'x86', 'x86asm'] as const;

export interface NtSyscallLaunchConfiguration {
  type: string;
  name: string;
  request: string;
  program?: string;
  drivers?: string[];
  kernel?: string;
  ntdll?: string;
  syscall?: typeof SYSCALL_MECHANISMS[number];
  windows?: typeof WINDOWS_VERSIONS[number];
  stopOnEntry?: boolean;
  clock?: number;
  trace?: typeof TRACE_LEVELS[number];
  [other: string]: unknown;
}

/** What `launch.json` starts with. */
export function initialConfigurations(): NtSyscallLaunchConfiguration[] {
  return [{
    type: DEBUG_TYPE, request: 'launch', name: 'Debug the system-call path (readfile.asm)',
    program: '${workspaceFolder}/programs/readfile.asm', syscall: 'auto', windows: 'xp-sp3', stopOnEntry: true,
  }];
}

/** Run and Debug's drop-down: each program twice, once per way into the kernel, to compare the paths. */
export function dynamicConfigurations(programPaths: readonly string[]): NtSyscallLaunchConfiguration[] {
  return [...programPaths].sort().flatMap((program) => {
    const fileName = program.split(/[\\/]/).pop() ?? program;
    return [
      { type: DEBUG_TYPE, request: 'launch', name: `${fileName} via int 2Eh (KiSystemService)`, program, syscall: 'int2e' as const, stopOnEntry: true },
      { type: DEBUG_TYPE, request: 'launch', name: `${fileName} via sysenter (KiFastCallEntry)`, program, syscall: 'sysenter' as const, stopOnEntry: true },
    ];
  });
}

export type CompletedConfiguration =
  | { readonly ok: true; readonly configuration: NtSyscallLaunchConfiguration }
  | { readonly ok: false; readonly message: string };

function isAsmFile(path: string | undefined, languageId: string | undefined): boolean {
  if (path === undefined) return false;
  return (languageId !== undefined && (ASM_LANGUAGE_IDS as readonly string[]).includes(languageId)) || /\.(asm|inc)$/i.test(path);
}

/**
 * Fills in a configuration VS Code resolves: an empty one (F5 without launch.json) debugs the open
 * assembly file; a partial one gets its type and request. Kernel and ntdll folders stay unset so
 * the adapter uses the bundled samples.
 */
export function completeLaunchConfiguration(given: Record<string, unknown>, activeFile?: { path: string; languageId?: string }): CompletedConfiguration {
  const isEmpty = given['type'] === undefined && given['request'] === undefined && given['name'] === undefined;
  if (isEmpty) {
    if (!isAsmFile(activeFile?.path, activeFile?.languageId)) {
      return { ok: true, configuration: { type: DEBUG_TYPE, request: 'launch', name: 'Debug the default sample', stopOnEntry: true } };
    }
    if (activeFile!.path.toLowerCase().endsWith('.inc')) {
      return { ok: false, message: `${activeFile!.path} is an include file: open the program (.asm) that includes it and press F5 there.` };
    }
    return { ok: true, configuration: { type: DEBUG_TYPE, request: 'launch', name: 'Debug the open file', program: activeFile!.path, stopOnEntry: true } };
  }
  const configuration: NtSyscallLaunchConfiguration = {
    ...given, type: DEBUG_TYPE, request: typeof given['request'] === 'string' ? given['request'] : 'launch',
    name: typeof given['name'] === 'string' ? given['name'] : 'NT System Call Debugger',
  };
  const problem = attributeProblem(configuration);
  return problem === undefined ? { ok: true, configuration } : { ok: false, message: problem };
}

/** The first attribute whose value cannot work, in words for the person who wrote launch.json. */
export function attributeProblem(configuration: NtSyscallLaunchConfiguration): string | undefined {
  const oneOf = (name: LaunchAttribute, allowed: readonly string[]): string | undefined => {
    const value = configuration[name];
    return value === undefined || (typeof value === 'string' && allowed.includes(value))
      ? undefined : `"${name}" must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`;
  };
  const problems = [
    oneOf('syscall', SYSCALL_MECHANISMS), oneOf('windows', WINDOWS_VERSIONS), oneOf('trace', TRACE_LEVELS),
    configuration.program !== undefined && typeof configuration.program !== 'string' ? '"program" must be a path to an .asm file' : undefined,
    configuration.drivers !== undefined && !(Array.isArray(configuration.drivers) && configuration.drivers.every((driver) => typeof driver === 'string'))
      ? '"drivers" must be a list of paths to .asm files' : undefined,
    configuration.clock !== undefined && !(typeof configuration.clock === 'number' && Number.isInteger(configuration.clock) && configuration.clock >= 0)
      ? '"clock" must be a whole number of instructions (0 turns the clock off)' : undefined,
    configuration.stopOnEntry !== undefined && typeof configuration.stopOnEntry !== 'boolean' ? '"stopOnEntry" must be true or false' : undefined,
  ];
  return problems.find((problem) => problem !== undefined);
}
