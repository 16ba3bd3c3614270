// The booted NT model the system-call rows, the kernel-path mix (bench/kernel-mix.ts) and the memory
// probe (bench/memory-peak.ts) run: a program that calls NtClose in a loop, built as a launch builds it
// (adapter/target/nt-system-builder.ts) and run to its first instruction. A snapshot taken there lets
// each measured run start from the same machine without assembling and booting again.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildNtSystem, type NtSystem } from '../adapter/target/nt-system-builder';
import { directAssembler, type Assembler } from '../core/asm/assembly-cache';
import type { Machine, MachineSnapshot } from '../core/machine/machine';

export type SyscallMechanism = 'sysenter' | 'int2e';

/** NtClose on a handle that is not open: the shortest complete service round trip (a status comes back). */
export function syscallProgramSource(systemCalls: number): string {
  return `; bench: NtClose in a loop, then NtTerminateProcess
        bits 32
        org 0x00400000
        extern NtClose
        extern NtTerminateProcess
        section .text
        global start
start:  mov esi, ${systemCalls}
again:  push 0x1234
        call NtClose
        dec esi
        jnz again
        push 0
        push -1
        call NtTerminateProcess
        hlt
`;
}

export interface LaunchedSyscallSystem {
  system: NtSystem;
  machine: Machine;
  mechanism: SyscallMechanism;
  systemCalls: number;
  /** The machine at the program's first instruction, no breakpoint armed (absent when not asked for). */
  atEntry: MachineSnapshot | undefined;
  /** `again`: where each NtClose round trip starts and ends. */
  loopHead: number;
  /** Assemble + link + boot + run to the program's first instruction (what stopOnEntry shows). */
  launchSeconds: number;
}

export interface LaunchOptions {
  systemCalls: number;
  /** Guest RAM; absent: the launch's default (the Machine's). */
  memoryBytes?: number;
  /** Keep a snapshot at the entry so runs can start again from there (a copy of guest RAM). */
  snapshot: boolean;
  /** What assembles the modules; by default the assembler itself, so a launch assembles everything. */
  assembler?: Assembler;
}

export function launchSyscallSystem(mechanism: SyscallMechanism, options: LaunchOptions): LaunchedSyscallSystem {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-bench-'));
  const programFile = path.join(directory, 'syscalls.asm');
  fs.writeFileSync(programFile, syscallProgramSource(options.systemCalls));
  try {
    const started = process.hrtime.bigint();
    const build = buildNtSystem({
      program: programFile, drivers: [], kernel: undefined, ntdll: undefined, syscall: mechanism,
      windows: 'xp-sp3', stopOnEntry: false, clock: 0, trace: 'none',
    }, { memoryBytes: options.memoryBytes }, options.assembler ?? directAssembler);
    if (!build.ok) throw new Error(`${build.summary}\n${build.problems.join('\n')}`);
    const system = build.system;
    const machine = system.booted.machine;
    machine.addBreakpoint(system.programEntry);
    for (;;) {
      const stop = machine.runSlice(1_000_000);
      if (stop.reason === 'breakpoint') break;
      if (stop.reason !== 'slice') throw new Error(`syscalls (${mechanism}): boot stopped with ${stop.reason}: ${stop.message}`);
    }
    const launchSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    machine.removeBreakpoint(system.programEntry);
    const loopHead = system.symbols.findSymbol(`${system.programName}!again`)?.address;
    if (loopHead === undefined) throw new Error('syscalls: the program has no `again` label');
    return { system, machine, mechanism, systemCalls: options.systemCalls, atEntry: options.snapshot ? machine.snapshot() : undefined, loopHead, launchSeconds };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

export interface SyscallRun { instructions: number; seconds: number; cpuSeconds: number }

/**
 * From the program's entry (the snapshot, or where the machine is when there is none), with `breakpoints`
 * armed on pages never executed, to the program's exit.
 */
export function runSyscallsToExit(launched: LaunchedSyscallSystem, breakpoints: number): SyscallRun {
  const { machine, system } = launched;
  if (launched.atEntry !== undefined) machine.restore(launched.atEntry);
  system.booted.control.exitStatus = undefined;
  const armed: number[] = [];
  for (let i = 0; i < breakpoints; i++) armed.push(0x70000000 + i * 4096 + 0x10);
  for (const address of armed) machine.addBreakpoint(address);
  try {
    const first = machine.instructionCount;
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    for (;;) {
      const stop = machine.runSlice(50_000_000);
      if (stop.reason === 'slice') continue;
      if (stop.reason !== 'hlt' || system.booted.control.exitStatus === undefined) {
        throw new Error(`syscalls (${launched.mechanism}): unexpected stop ${stop.reason}: ${stop.message}`);
      }
      break;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    return { instructions: machine.instructionCount - first, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    for (const address of armed) machine.removeBreakpoint(address);
  }
}
