// `npm run bench`: million instructions per second of the emulator on (a) a register ALU/branch loop,
// (b) a memory-heavy loop with paging on, (c) rep movsd copies (also MB/s), (d) the ring-0 instruction
// mix of the NtClose path, decoded from the kernel and re-assembled into a flat loop (bench/kernel-mix.ts),
// each with no breakpoints and with 100 armed on other pages; then system calls per second round trip
// (NtClose in a loop, through sysenter and through int 0x2e, on the booted NT model), launch time
// (assemble everything + boot to the program's first instruction), the peak resident memory of a 64 MiB
// guest in a process of its own (bench/memory-peak.ts), and the DAP latencies (bench/dap-latency.ts).
// Every figure is a median with its spread (min-max of the runs) after a warm-up. The runs with 0 and
// with 100 breakpoints alternate, in pairs, and the breakpoint cost is the per-pair change of CPU time
// with its interquartile range, so a reader can tell a cost from noise (bench/statistics.ts).
// `--json` for one JSON object instead of the table; `--v8-inlining` raises V8's cumulative inlining
// budget first (what `node --max-inlined-bytecode-size-cumulative=3000` does); `--only NAME[,NAME]` runs
// just those workloads (register-loop, memory-loop, rep-movsd-arguments, rep-movsd-bulk, kernel-mix,
// syscalls, memory, launch, dap-latency). Launch is measured three ways: in this process (warm) assembling
// everything and from the assembly cache, and as F5 meets it, a fresh adapter process to the stop on entry
// (bench/launch-time.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import { assemble } from '../core/asm/assembler';
import { formatDiagnostic } from '../core/asm/diagnostics';
import { CR0_PG, CR0_WP } from '../core/cpu/constants';
import { Machine } from '../core/machine/machine';
import type { DapLatencyResult } from './dap-latency';
import { buildKernelMixLoop, formatKernelMix, traceRoundTrip, type KernelMix } from './kernel-mix';
import { FileAssemblyCache } from '../core/asm/assembly-cache';
import type { DapLaunchResult } from './launch-time';
import { formatMemoryPeak, measurePeakMemory, type MemoryPeak } from './memory-peak';
import { formatPairedChange, formatSpread, pairedChange, spreadOf, type PairedChange, type Spread } from './statistics';
import { launchSyscallSystem, runSyscallsToExit, type LaunchedSyscallSystem, type SyscallMechanism, type SyscallRun } from './syscall-system';

const CODE = 0x100000;
const PAGE_DIRECTORY = 0x10000;
/** Measured pairs (one run with 0 breakpoints, one with 100, in alternating order) after a warm-up pair. */
const PAIRS = 9;
const BREAKPOINTS_ARMED = 100;
/** Issue 7: 100 armed breakpoints cost under 5 %. */
const BREAKPOINT_COST_TARGET_PERCENT = 5;
/** Launches per mechanism for the launch time (each assembles and boots the whole system). */
const LAUNCHES = 5;
const SYSTEM_CALLS = 100_000;

interface Workload {
  name: string;
  description: string;
  paging: boolean;
  source: string;
  /** Bytes copied per run (for MB/s), when the workload copies. */
  bytesCopied?: number;
  /** Memory to fill before the run (identity-mapped: physical = linear). */
  data?: { address: number; bytes: Uint8Array }[];
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
const COPY_REPEATS = 1600;     // ~0.1 s a run: long enough that a scheduler tick is not the whole figure
const COPY_LOOP: Workload = {
  name: 'rep-movsd-bulk',
  description: `(c) rep movsd, 1 MiB copies x ${COPY_REPEATS}`,
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

/** About as many instructions per run as (b). */
const KERNEL_MIX_INSTRUCTIONS = 40_000_000;

function kernelMixWorkload(launched: readonly LaunchedSyscallSystem[]): { workload: Workload; mix: KernelMix } {
  const loop = buildKernelMixLoop(launched.map(traceRoundTrip));
  const iterations = Math.ceil(KERNEL_MIX_INSTRUCTIONS / loop.mix.instructionsPerIteration);
  return {
    mix: loop.mix,
    workload: {
      name: 'kernel-mix', description: '(d) NtClose ring-0 mix, paging on', paging: true,
      source: loop.source(iterations), data: loop.data(iterations),
    },
  };
}

function buildMachine(workload: Workload, breakpoints: number): Machine {
  const machine = new Machine({ memoryBytes: 16 * 1024 * 1024 });
  const assembled = assemble({ fileName: `${workload.name}.asm`, source: workload.source });
  if (!assembled.ok) throw new Error(assembled.diagnostics.map(formatDiagnostic).join('\n'));
  machine.writePhysical(assembled.origin, assembled.image);
  for (const { address, bytes } of workload.data ?? []) machine.writePhysical(address, bytes);
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

/**
 * A warm-up pair (lets V8 optimise the loop and handlers), then PAIRS pairs of runs without and with
 * breakpoints, the order alternating so neither side always runs first.
 */
function measureInPairs<T extends { cpuSeconds: number }>(run: (breakpoints: number) => T): { without: T[]; with: T[] } {
  run(0);
  run(BREAKPOINTS_ARMED);
  const without: T[] = [];
  const armed: T[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    if (pair % 2 === 0) { without.push(run(0)); armed.push(run(BREAKPOINTS_ARMED)); }
    else { armed.push(run(BREAKPOINTS_ARMED)); without.push(run(0)); }
  }
  return { without, with: armed };
}

interface Row {
  workload: string;
  description: string;
  breakpoints: number;
  instructions: number;
  /** By wall-clock time. */
  mips: Spread;
  /** By this process's CPU time: steadier when other processes share the cores. */
  cpuMips: Spread;
  /** By CPU time, when the workload copies. */
  cpuMegabytesPerSecond?: Spread;
}

/** 100 armed breakpoints against none: the per-pair change of CPU time. */
interface BreakpointCost {
  subject: string;
  description: string;
  byCpuTime: PairedChange;
  targetPercent: number;
}

function measureWorkload(workload: Workload): { rows: Row[]; cost: BreakpointCost } {
  const samples = measureInPairs((breakpoints) => runOnce(workload, breakpoints));
  const rowOf = (breakpoints: number, runs: Measurement[]): Row => {
    const row: Row = {
      workload: workload.name, description: workload.description, breakpoints, instructions: runs[0].instructions,
      mips: spreadOf(runs.map((run) => run.instructions / run.seconds / 1e6)),
      cpuMips: spreadOf(runs.map((run) => run.instructions / run.cpuSeconds / 1e6)),
    };
    if (workload.bytesCopied !== undefined) row.cpuMegabytesPerSecond = spreadOf(runs.map((run) => workload.bytesCopied! / run.cpuSeconds / 1e6));
    return row;
  };
  return {
    rows: [rowOf(0, samples.without), rowOf(BREAKPOINTS_ARMED, samples.with)],
    cost: {
      subject: workload.name, description: workload.description, targetPercent: BREAKPOINT_COST_TARGET_PERCENT,
      byCpuTime: pairedChange(samples.without.map((run) => run.cpuSeconds), samples.with.map((run) => run.cpuSeconds)),
    },
  };
}

// ------------------------------------------------------------------ system calls and launch

interface SyscallRow {
  mechanism: SyscallMechanism;
  breakpoints: number;
  systemCalls: number;
  /** Round trips per second by wall-clock time and by this process's CPU time. */
  callsPerSecond: Spread;
  cpuCallsPerSecond: Spread;
  /** Ring 3 and ring 0 together: the whole loop. */
  instructionsPerCall: number;
  cpuMips: Spread;
}

interface LaunchRow {
  mechanism: SyscallMechanism;
  /** Assembling kernel, ntdll and program. */
  milliseconds: Spread;
  /** The same launch with the modules from a filled assembly cache. */
  fromCacheMilliseconds: Spread;
}

/**
 * A warm-up launch, then LAUNCHES launches per mechanism, alternating, each assembling everything and
 * each from a filled assembly cache; the last of each is kept for the runs. (The cold launch, in a fresh
 * process as a new adapter's, comes from bench/launch-time.ts and the memory probe.)
 */
function launchSystems(): { launches: LaunchRow[]; systems: LaunchedSyscallSystem[] } {
  const mechanisms: SyscallMechanism[] = ['sysenter', 'int2e'];
  const cacheFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-bench-cache-'));
  try {
    const cache = new FileAssemblyCache(cacheFolder);
    for (const mechanism of mechanisms) {
      launchSyscallSystem(mechanism, { systemCalls: SYSTEM_CALLS, snapshot: false });
      launchSyscallSystem(mechanism, { systemCalls: SYSTEM_CALLS, snapshot: false, assembler: cache });
    }
    const times = new Map<SyscallMechanism, number[]>(mechanisms.map((mechanism) => [mechanism, []]));
    const cachedTimes = new Map<SyscallMechanism, number[]>(mechanisms.map((mechanism) => [mechanism, []]));
    const systems = new Map<SyscallMechanism, LaunchedSyscallSystem>();
    for (let launch = 0; launch < LAUNCHES; launch++) {
      for (const mechanism of mechanisms) {
        cachedTimes.get(mechanism)!.push(launchSyscallSystem(mechanism, { systemCalls: SYSTEM_CALLS, snapshot: false, assembler: cache }).launchSeconds * 1000);
        const launched = launchSyscallSystem(mechanism, { systemCalls: SYSTEM_CALLS, snapshot: launch === LAUNCHES - 1 });
        times.get(mechanism)!.push(launched.launchSeconds * 1000);
        systems.set(mechanism, launched);
      }
    }
    return {
      launches: mechanisms.map((mechanism) => ({ mechanism, milliseconds: spreadOf(times.get(mechanism)!), fromCacheMilliseconds: spreadOf(cachedTimes.get(mechanism)!) })),
      systems: mechanisms.map((mechanism) => systems.get(mechanism)!),
    };
  } finally {
    fs.rmSync(cacheFolder, { recursive: true, force: true });
  }
}

function measureSyscalls(launched: LaunchedSyscallSystem): { rows: SyscallRow[]; cost: BreakpointCost } {
  const samples = measureInPairs((breakpoints) => runSyscallsToExit(launched, breakpoints));
  const rowOf = (breakpoints: number, runs: SyscallRun[]): SyscallRow => ({
    mechanism: launched.mechanism, breakpoints, systemCalls: launched.systemCalls,
    callsPerSecond: spreadOf(runs.map((run) => launched.systemCalls / run.seconds)),
    cpuCallsPerSecond: spreadOf(runs.map((run) => launched.systemCalls / run.cpuSeconds)),
    instructionsPerCall: runs[0].instructions / launched.systemCalls,
    cpuMips: spreadOf(runs.map((run) => run.instructions / run.cpuSeconds / 1e6)),
  });
  return {
    rows: [rowOf(0, samples.without), rowOf(BREAKPOINTS_ARMED, samples.with)],
    cost: {
      subject: `syscalls-${launched.mechanism}`, description: `NtClose round trips, ${launched.mechanism}`, targetPercent: BREAKPOINT_COST_TARGET_PERCENT,
      byCpuTime: pairedChange(samples.without.map((run) => run.cpuSeconds), samples.with.map((run) => run.cpuSeconds)),
    },
  };
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
  const benchStarted = process.hrtime.bigint();

  const rows: Row[] = [];
  const costs: BreakpointCost[] = [];
  for (const workload of [REGISTER_LOOP, MEMORY_LOOP, ARGUMENT_COPY, COPY_LOOP]) {
    if (!selected(workload.name)) continue;
    const measured = measureWorkload(workload);
    rows.push(...measured.rows);
    costs.push(measured.cost);
  }
  // The NT systems serve (d)'s trace and the system-call rows; launching them is the launch time.
  const needSystems = selected('kernel-mix') || selected('syscalls') || selected('launch');
  const { launches, systems } = needSystems ? launchSystems() : { launches: [], systems: [] };
  let kernelMix: KernelMix | undefined;
  if (selected('kernel-mix')) {
    const { workload, mix } = kernelMixWorkload(systems);
    kernelMix = mix;
    const measured = measureWorkload(workload);
    rows.push(...measured.rows);
    costs.push(measured.cost);
  }
  const syscallRows: SyscallRow[] = [];
  if (selected('syscalls')) {
    for (const launched of systems) {
      const measured = measureSyscalls(launched);
      syscallRows.push(...measured.rows);
      costs.push(measured.cost);
    }
  }
  systems.length = 0; // let the guests go before the child and the adapter run
  const memory: MemoryPeak | undefined = selected('memory') ? measurePeakMemory() : undefined;
  // Run last: they measure other processes, and this one's heap should not matter to them.
  // Loaded only when selected: they need the DAP client packages, which the emulator workloads do not.
  const launchModule = selected('launch') ? await import('./launch-time') : undefined;
  const dapLaunch: DapLaunchResult | undefined = await launchModule?.measureDapLaunch();
  const dapLatencyModule = selected('dap-latency') ? await import('./dap-latency') : undefined;
  const dapLatency: DapLatencyResult | undefined = await dapLatencyModule?.measureDapLatency();
  // This process over the whole bench: many machines, samples and snapshots; the issue's figure is `memory`.
  const benchPeakResidentMegabytes = process.resourceUsage().maxRSS / 1024;
  const benchSeconds = Number(process.hrtime.bigint() - benchStarted) / 1e9;
  if (json) {
    process.stdout.write(JSON.stringify({
      node: process.version, pairs: PAIRS, breakpointsArmed: BREAKPOINTS_ARMED, v8Flags: tuned ? [V8_INLINING_FLAG] : [],
      rows, kernelMix, syscalls: syscallRows, launches, dapLaunch, breakpointCosts: costs, memory, dapLatency, benchPeakResidentMegabytes, benchSeconds,
    }) + '\n');
    return;
  }
  const lines = [
    `NT System Call Debugger — emulator benchmark (Node ${process.version}, ${tuned ? `V8 ${V8_INLINING_FLAG}` : 'default V8 flags'}; ` +
      `median (min-max) of ${PAIRS} runs after a warm-up; runs with 0 and ${BREAKPOINTS_ARMED} breakpoints alternate)`,
  ];
  if (rows.length > 0) {
    lines.push('', `${'workload'.padEnd(44)}${'bp'.padStart(4)}  ${'instructions'.padStart(12)}  ${'MIPS(wall)'.padStart(20)}  ${'MIPS(cpu)'.padStart(20)}  ${'MB/s(cpu)'.padStart(20)}`);
    for (const row of rows) {
      lines.push(
        `${row.description.padEnd(44)}${String(row.breakpoints).padStart(4)}  ${String(row.instructions).padStart(12)}  ${formatSpread(row.mips, 1).padStart(20)}` +
        `  ${formatSpread(row.cpuMips, 1).padStart(20)}  ${(row.cpuMegabytesPerSecond === undefined ? '-' : formatSpread(row.cpuMegabytesPerSecond, 0)).padStart(20)}`,
      );
    }
  }
  if (kernelMix !== undefined) lines.push('', ...formatKernelMix(kernelMix));
  if (syscallRows.length > 0) {
    lines.push('', `${'system calls (NtClose round trips)'.padEnd(36)}${'bp'.padStart(4)}  ${'calls/s(wall)'.padStart(24)}  ${'calls/s(cpu)'.padStart(24)}  ${'instr/call'.padStart(10)}  ${'MIPS(cpu)'.padStart(17)}`);
    for (const row of syscallRows) {
      lines.push(
        `${row.mechanism.padEnd(36)}${String(row.breakpoints).padStart(4)}  ${formatSpread(row.callsPerSecond, 0).padStart(24)}  ${formatSpread(row.cpuCallsPerSecond, 0).padStart(24)}` +
        `  ${row.instructionsPerCall.toFixed(1).padStart(10)}  ${formatSpread(row.cpuMips, 1).padStart(17)}`,
      );
    }
  }
  if (launches.length > 0 || memory !== undefined) {
    lines.push('', 'launch (assemble + link + boot to the program\'s first instruction), in this process (warm), ' +
      `median (min-max) of ${LAUNCHES}: assembling everything / modules from the assembly cache`);
    for (const launch of launches) {
      lines.push(`    ${launch.mechanism.padEnd(9)} ${formatSpread(launch.milliseconds, 0)} ms / ${formatSpread(launch.fromCacheMilliseconds, 0)} ms`);
    }
    if (memory !== undefined) lines.push(`    cold, in a fresh process (sysenter), assembling everything: ${memory.coldLaunchMilliseconds.toFixed(0)} ms`);
  }
  if (launchModule !== undefined && dapLaunch !== undefined) lines.push('', ...launchModule.formatDapLaunch(dapLaunch));
  if (costs.length > 0) {
    lines.push('', `${BREAKPOINTS_ARMED} breakpoints armed on other pages vs. none: change of CPU time per run, ${PAIRS} interleaved pairs`,
      `${'workload'.padEnd(44)}  ${'median [p25..p75], pairs slower, sign test, verdict'.padEnd(56)}  target`);
    for (const cost of costs) {
      const meets = cost.byCpuTime.percent.median < cost.targetPercent ? 'meets' : 'OVER';
      lines.push(`${cost.description.padEnd(44)}  ${formatPairedChange(cost.byCpuTime).padEnd(56)}  < ${cost.targetPercent}%: ${meets}`);
    }
  }
  if (dapLatencyModule !== undefined && dapLatency !== undefined) lines.push('', ...dapLatencyModule.formatDapLatency(dapLatency));
  if (memory !== undefined) lines.push('', ...formatMemoryPeak(memory));
  lines.push('', `this bench process: peak resident ${benchPeakResidentMegabytes.toFixed(0)} MB (many machines at once; not the issue's figure), ${benchSeconds.toFixed(0)} s`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
