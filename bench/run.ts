// `npm run bench`: million instructions per second of the emulator on (a) a register ALU/branch loop,
// (b) a memory-heavy loop with paging on, (c) a rep movsd copy (also MB/s), each with no breakpoints
// and with 100 breakpoints armed on other pages; then system calls per second round trip (NtClose in
// a loop, through sysenter and through int 0x2e, on the booted NT model), launch time (assemble
// everything + boot to the program's first instruction) and peak resident memory. Median of several
// runs after a warm-up. `--json` for one JSON object instead of the table; `--v8-inlining` raises V8's
// cumulative inlining budget first (what `node --max-inlined-bytecode-size-cumulative=3000` does);
// `--only NAME[,NAME]` runs just those workloads (register-loop, memory-loop, rep-movsd-arguments,
// rep-movsd-bulk, syscalls, dap-latency). dap-latency (bench/dap-latency.ts) times `next` -> `stopped`
// and stopped -> refreshed views over the built adapter in a separate process.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import { buildNtSystem, type NtSystem } from '../adapter/target/nt-system-builder';
import { assemble } from '../core/asm/assembler';
import { formatDiagnostic } from '../core/asm/diagnostics';
import { CR0_PG, CR0_WP } from '../core/cpu/constants';
import { Machine } from '../core/machine/machine';
import type { DapLatencyResult } from './dap-latency';

const CODE = 0x100000;
const PAGE_DIRECTORY = 0x10000;
const RUNS = 5;

interface Workload {
  name: string;
  description: string;
  paging: boolean;
  source: string;
  /** Bytes copied per run (for MB/s), when the workload copies. */
  bytesCopied?: number;
}

const REGISTER_LOOP: Workload = {
  name: 'register-loop',
  description: '(a) register ALU/branch loop',
  paging: false,
  source: `bits 32
org 0x${CODE.toString(16)}
        mov ecx, 10000000
        mov ebx, 3
.loop:  add eax, ebx
        xor edx, eax
        sub esi, 7
        inc edi
        cmp edi, ecx
        dec ecx
        jnz .loop
        hlt
`,
};

const MEMORY_LOOP: Workload = {
  name: 'memory-loop',
  description: '(b) memory-heavy loop, paging on',
  paging: true,
  source: `bits 32
org 0x${CODE.toString(16)}
        mov ecx, 5000000
        mov ebp, 0x400000
        xor esi, esi
.loop:  mov eax, [ebp+esi]
        add eax, [ebp+esi+4]
        mov [ebp+esi+8], eax
        push eax
        pop edx
        add esi, 4
        and esi, 0xFFFC
        dec ecx
        jnz .loop
        hlt
`,
};

const ARGUMENT_COPIES = 2_000_000;
const ARGUMENT_COPY: Workload = {
  name: 'rep-movsd-arguments',
  description: '(c) rep movsd, 36-byte copies (9 arguments)',
  paging: true,
  bytesCopied: 36 * ARGUMENT_COPIES,
  source: `bits 32
org 0x${CODE.toString(16)}
        mov ebx, ${ARGUMENT_COPIES}
        cld
.again: mov esi, 0x400000      ; like KiSystemService copying ArgumentTable[n] bytes from [edx]
        mov edi, 0x800000
        mov ecx, 9
        rep movsd
        dec ebx
        jnz .again
        hlt
`,
};

const COPY_DWORDS = 1 << 18;   // 1 MiB per rep movsd
const COPY_REPEATS = 100;
const COPY_LOOP: Workload = {
  name: 'rep-movsd-bulk',
  description: '(c) rep movsd, 1 MiB copies x 100',
  paging: true,
  bytesCopied: COPY_DWORDS * 4 * COPY_REPEATS,
  source: `bits 32
org 0x${CODE.toString(16)}
        mov ebx, ${COPY_REPEATS}
        cld
.again: mov esi, 0x400000
        mov edi, 0x800000
        mov ecx, ${COPY_DWORDS}
        rep movsd
        dec ebx
        jnz .again
        hlt
`,
};

function buildMachine(workload: Workload, breakpoints: number): Machine {
  const machine = new Machine({ memoryBytes: 16 * 1024 * 1024 });
  const assembled = assemble({ fileName: `${workload.name}.asm`, source: workload.source });
  if (!assembled.ok) throw new Error(assembled.diagnostics.map(formatDiagnostic).join('\n'));
  machine.writePhysical(assembled.origin, assembled.image);
  const cpu = machine.cpu;
  cpu.setFlatSegments(0);
  cpu.r32[4] = 0x90000;
  if (workload.paging) {
    // Identity-map the first 12 MiB with 4 KiB pages (two-level tables at 0x10000).
    for (let table = 0; table < 3; table++) {
      const tableAddress = PAGE_DIRECTORY + 0x1000 * (table + 1);
      machine.memory.write32(PAGE_DIRECTORY + table * 4, tableAddress | 7);
      for (let i = 0; i < 1024; i++) machine.memory.write32(tableAddress + i * 4, ((table * 1024 + i) * 4096) | 7);
    }
    cpu.cr3 = PAGE_DIRECTORY;
    cpu.writeCr0(cpu.cr0 | CR0_PG | CR0_WP);
  }
  // Breakpoints armed on other pages: 0xC00000.. (never executed), one per page.
  for (let i = 0; i < breakpoints; i++) machine.addBreakpoint(0xC00000 + i * 4096 + 0x10);
  cpu.jumpTo(assembled.origin);
  return machine;
}

interface Measurement { instructions: number; seconds: number; cpuSeconds: number }

function runOnce(workload: Workload, breakpoints: number): Measurement {
  const machine = buildMachine(workload, breakpoints);
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let instructions = 0;
  for (;;) {
    const stop = machine.runSlice(50_000_000);
    instructions += stop.instructions;
    if (stop.reason !== 'slice') {
      if (stop.reason !== 'hlt') throw new Error(`${workload.name}: unexpected stop ${stop.reason}: ${stop.message}`);
      break;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  return { instructions, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Row {
  workload: string;
  description: string;
  breakpoints: number;
  instructions: number;
  /** By wall-clock time. */
  mips: number;
  /** By this process's CPU time: steadier when other processes share the cores. */
  cpuMips: number;
  megabytesPerSecond?: number;
}

function measure(workload: Workload, breakpoints: number): Row {
  runOnce(workload, breakpoints); // warm-up: lets V8 optimise the loop and handlers
  const samples: Measurement[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(runOnce(workload, breakpoints));
  const mips = median(samples.map((sample) => sample.instructions / sample.seconds / 1e6));
  const cpuMips = median(samples.map((sample) => sample.instructions / sample.cpuSeconds / 1e6));
  const row: Row = { workload: workload.name, description: workload.description, breakpoints, instructions: samples[0].instructions, mips, cpuMips };
  if (workload.bytesCopied !== undefined) row.megabytesPerSecond = median(samples.map((sample) => workload.bytesCopied! / sample.seconds / 1e6));
  return row;
}

// ------------------------------------------------------------------ system calls and launch

const SYSTEM_CALLS = 200_000;
/** NtClose on a handle that is not open: the shortest complete service round trip (a status comes back). */
const SYSCALL_PROGRAM = `; bench: NtClose in a loop, then NtTerminateProcess
        bits 32
        org 0x00400000
        extern NtClose
        extern NtTerminateProcess
        section .text
        global start
start:  mov esi, ${SYSTEM_CALLS}
again:  push 0x1234
        call NtClose
        dec esi
        jnz again
        push 0
        push -1
        call NtTerminateProcess
        hlt
`;

type SyscallMechanism = 'sysenter' | 'int2e';

function buildSyscallSystem(programFile: string, mechanism: SyscallMechanism): NtSystem {
  const build = buildNtSystem({
    program: programFile, drivers: [], kernel: undefined, ntdll: undefined, syscall: mechanism,
    windows: 'xp-sp3', stopOnEntry: false, clock: 0, trace: 'none',
  });
  if (!build.ok) throw new Error(`${build.summary}\n${build.problems.join('\n')}`);
  return build.system;
}

interface SyscallMeasurement { seconds: number; cpuSeconds: number; instructions: number; launchSeconds: number }

function runSyscallsOnce(programFile: string, mechanism: SyscallMechanism, breakpoints: number): SyscallMeasurement {
  const launchStarted = process.hrtime.bigint();
  const system = buildSyscallSystem(programFile, mechanism);
  const machine = system.booted.machine;
  // Launch ends at the program's first instruction (what stopOnEntry shows).
  machine.addBreakpoint(system.programEntry);
  for (;;) {
    const stop = machine.runSlice(1_000_000);
    if (stop.reason === 'breakpoint') break;
    if (stop.reason !== 'slice') throw new Error(`syscalls: boot stopped with ${stop.reason}: ${stop.message}`);
  }
  const launchSeconds = Number(process.hrtime.bigint() - launchStarted) / 1e9;
  machine.removeBreakpoint(system.programEntry);
  for (let i = 0; i < breakpoints; i++) machine.addBreakpoint(0x70000000 + i * 4096 + 0x10);
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const firstInstruction = machine.instructionCount;
  for (;;) {
    const stop = machine.runSlice(50_000_000);
    if (stop.reason === 'slice') continue;
    if (stop.reason !== 'hlt' || system.booted.control.exitStatus === undefined) throw new Error(`syscalls: unexpected stop ${stop.reason}: ${stop.message}`);
    break;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, instructions: machine.instructionCount - firstInstruction, launchSeconds };
}

interface SyscallRow {
  mechanism: SyscallMechanism;
  breakpoints: number;
  systemCalls: number;
  /** Round trips per second by wall-clock time and by this process's CPU time. */
  callsPerSecond: number;
  cpuCallsPerSecond: number;
  instructionsPerCall: number;
  mips: number;
  launchMilliseconds: number;
}

function measureSyscalls(mechanism: SyscallMechanism, breakpoints: number): SyscallRow {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-bench-'));
  const programFile = path.join(directory, 'syscalls.asm');
  fs.writeFileSync(programFile, SYSCALL_PROGRAM);
  try {
    runSyscallsOnce(programFile, mechanism, breakpoints); // warm-up
    const samples: SyscallMeasurement[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(runSyscallsOnce(programFile, mechanism, breakpoints));
    return {
      mechanism, breakpoints, systemCalls: SYSTEM_CALLS,
      callsPerSecond: median(samples.map((sample) => SYSTEM_CALLS / sample.seconds)),
      cpuCallsPerSecond: median(samples.map((sample) => SYSTEM_CALLS / sample.cpuSeconds)),
      instructionsPerCall: samples[0].instructions / SYSTEM_CALLS,
      mips: median(samples.map((sample) => sample.instructions / sample.cpuSeconds / 1e6)),
      launchMilliseconds: median(samples.map((sample) => sample.launchSeconds * 1000)),
    };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

export const V8_INLINING_FLAG = '--max-inlined-bytecode-size-cumulative=3000';

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const tuned = process.argv.includes('--v8-inlining');
  // Set before any emulator function is optimised; V8 reads the budget when it compiles.
  if (tuned) v8.setFlagsFromString(V8_INLINING_FLAG);
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex >= 0 ? new Set((process.argv[onlyIndex + 1] ?? '').split(',')) : undefined;
  const selected = (name: string): boolean => only === undefined || only.has(name);
  const rows: Row[] = [];
  for (const workload of [REGISTER_LOOP, MEMORY_LOOP, ARGUMENT_COPY, COPY_LOOP]) {
    if (!selected(workload.name)) continue;
    for (const breakpoints of [0, 100]) rows.push(measure(workload, breakpoints));
  }
  const syscallRows: SyscallRow[] = [];
  if (selected('syscalls')) {
    for (const mechanism of ['sysenter', 'int2e'] as const) {
      for (const breakpoints of [0, 100]) syscallRows.push(measureSyscalls(mechanism, breakpoints));
    }
  }
  // Run last: it measures another process, and this one's heap should not matter to it.
  // Loaded only when selected: it needs the DAP client packages, which the emulator workloads do not.
  const dapLatencyModule = selected('dap-latency') ? await import('./dap-latency') : undefined;
  const dapLatency: DapLatencyResult | undefined = await dapLatencyModule?.measureDapLatency();
  // Peak resident set of this process over the whole bench (the largest guest is the NT model's).
  const peakResidentMegabytes = process.resourceUsage().maxRSS / 1024;
  if (json) {
    process.stdout.write(JSON.stringify({
      node: process.version, runs: RUNS, v8Flags: tuned ? [V8_INLINING_FLAG] : [], rows, syscalls: syscallRows, dapLatency, peakResidentMegabytes,
    }) + '\n');
    return;
  }
  const lines = [
    `NT System Call Debugger — emulator benchmark (Node ${process.version}, median of ${RUNS} runs after a warm-up` +
      `${tuned ? `, V8 ${V8_INLINING_FLAG}` : ', default V8 flags'})`,
    '',
    'workload                                      breakpoints  instructions  MIPS(wall)  MIPS(cpu)     MB/s   vs. 0 bp',
  ];
  for (const row of rows) {
    const base = rows.find((other) => other.workload === row.workload && other.breakpoints === 0)!;
    // Bulk copies retire few instructions: compare their throughput instead of their MIPS.
    const measure = (r: Row): number => (r.instructions < 100_000 && r.megabytesPerSecond !== undefined ? r.megabytesPerSecond : r.cpuMips);
    const change = row.breakpoints === 0 ? '' : `${(((measure(row) - measure(base)) / measure(base)) * 100).toFixed(1)}%`;
    lines.push(
      `${row.description.padEnd(46)}${String(row.breakpoints).padStart(11)}  ${String(row.instructions).padStart(12)}  ${row.mips.toFixed(1).padStart(10)}  ${row.cpuMips.toFixed(1).padStart(9)}` +
      `  ${row.megabytesPerSecond === undefined ? '       -' : row.megabytesPerSecond.toFixed(0).padStart(7)}  ${change.padStart(9)}`,
    );
  }
  if (syscallRows.length > 0) {
    lines.push('', 'system calls (NtClose round trips)  breakpoints  calls/s(wall)  calls/s(cpu)  instr/call  MIPS(cpu)  launch ms  vs. 0 bp');
    for (const row of syscallRows) {
      const base = syscallRows.find((other) => other.mechanism === row.mechanism && other.breakpoints === 0)!;
      const change = row.breakpoints === 0 ? '' : `${(((row.cpuCallsPerSecond - base.cpuCallsPerSecond) / base.cpuCallsPerSecond) * 100).toFixed(1)}%`;
      lines.push(
        `${row.mechanism.padEnd(35)}${String(row.breakpoints).padStart(12)}  ${row.callsPerSecond.toFixed(0).padStart(13)}  ${row.cpuCallsPerSecond.toFixed(0).padStart(12)}` +
        `  ${row.instructionsPerCall.toFixed(1).padStart(10)}  ${row.mips.toFixed(1).padStart(9)}  ${row.launchMilliseconds.toFixed(1).padStart(9)}  ${change.padStart(8)}`,
      );
    }
  }
  if (dapLatencyModule !== undefined && dapLatency !== undefined) lines.push('', ...dapLatencyModule.formatDapLatency(dapLatency));
  lines.push('', `peak resident memory: ${peakResidentMegabytes.toFixed(0)} MB`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
