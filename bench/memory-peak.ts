// Peak resident memory for a 64 MiB guest (issue 7: under 150 MB), measured in a child process of its
// own so the bench's other machines and samples do not count: the child launches the NT model with the
// NtClose loop as a debug session would (assemble, link, boot, run to the program), runs it to the end
// and reports its peak resident set, with where the memory went: the resident set after
// Node started and loaded the code, after the launch and after the run; V8's heap; and the large
// typed arrays of the machine (allocated sizes: a page of them is resident only once touched).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as v8 from 'v8';
import { launchSyscallSystem } from './syscall-system';

export const MEMORY_TARGET_MEGABYTES = 150;
const CHILD_FLAG = '--memory-peak-child';
const MEGABYTE = 1024 * 1024;

export interface MemoryPeak {
  guestMegabytes: number;
  systemCalls: number;
  /** The launch (assemble + link + boot to the program) in this fresh process: cold, as a new adapter's is. */
  coldLaunchMilliseconds: number;
  /** The child's peak resident set: VmHWM on Linux, else process.resourceUsage().maxRSS. */
  peakResidentMegabytes: number;
  /**
   * process.resourceUsage().maxRSS as the child sees it. On Linux it is not the child's own figure: the
   * kernel keeps the high-water mark of the forked copy of the parent across exec, so a child of a large
   * bench process reports at least the parent's resident set.
   */
  maxRssMegabytes: number;
  /** The child's resident set at three points (process.memoryUsage().rss). */
  residentAfterStartMegabytes: number;
  residentAfterLaunchMegabytes: number;
  residentAfterRunMegabytes: number;
  /** V8 after the run: live heap, heap reserved, and memory outside the heap (ArrayBuffers, malloc). */
  heapUsedMegabytes: number;
  heapTotalMegabytes: number;
  peakMallocedMegabytes: number;
  arrayBuffersMegabytes: number;
  /** Allocated sizes of the machine's large typed arrays. */
  typedArrays: { name: string; megabytes: number }[];
}

function runChild(guestMegabytes: number, systemCalls: number): MemoryPeak {
  const rss = (): number => process.memoryUsage().rss / MEGABYTE;
  const residentAfterStartMegabytes = rss();
  const launched = launchSyscallSystem('sysenter', { systemCalls, memoryBytes: guestMegabytes * MEGABYTE, snapshot: false });
  const residentAfterLaunchMegabytes = rss();
  const { machine, system } = launched;
  for (;;) {
    const stop = machine.runSlice(50_000_000);
    if (stop.reason === 'slice') continue;
    if (stop.reason !== 'hlt' || system.booted.control.exitStatus === undefined) throw new Error(`memory: unexpected stop ${stop.reason}: ${stop.message}`);
    break;
  }
  const residentAfterRunMegabytes = rss();
  const heap = v8.getHeapStatistics();
  const usage = process.memoryUsage();
  const cpu = machine.cpu;
  const typedArrays = [
    { name: 'guest RAM (PhysicalMemory.bytes)', megabytes: machine.memory.bytes.byteLength / MEGABYTE },
    { name: 'Cpu.tlb (Int32Array, 1M entries)', megabytes: cpu.tlb.byteLength / MEGABYTE },
    { name: 'Cpu.breakpointPages (Uint16Array, 1M entries)', megabytes: cpu.breakpointPages.byteLength / MEGABYTE },
    { name: 'Cpu.watchPages (Uint8Array, 1M entries)', megabytes: cpu.watchPages.byteLength / MEGABYTE },
  ];
  return {
    guestMegabytes, systemCalls, coldLaunchMilliseconds: launched.launchSeconds * 1000,
    peakResidentMegabytes: peakResidentOfThisImage() ?? process.resourceUsage().maxRSS / 1024,
    maxRssMegabytes: process.resourceUsage().maxRSS / 1024,
    residentAfterStartMegabytes, residentAfterLaunchMegabytes, residentAfterRunMegabytes,
    heapUsedMegabytes: heap.used_heap_size / MEGABYTE,
    heapTotalMegabytes: heap.total_heap_size / MEGABYTE,
    peakMallocedMegabytes: heap.peak_malloced_memory / MEGABYTE,
    arrayBuffersMegabytes: usage.arrayBuffers / MEGABYTE,
    typedArrays,
  };
}

/** VmHWM from /proc/self/status: the peak resident set of this process image since exec (Linux only). */
function peakResidentOfThisImage(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** Spawns `node memory-peak.js` (this file, compiled) and returns what it measured. */
export function measurePeakMemory(guestMegabytes = 64, systemCalls = 100_000): MemoryPeak {
  const child = spawnSync(process.execPath, [__filename, CHILD_FLAG, String(guestMegabytes), String(systemCalls)], { encoding: 'utf8', cwd: process.cwd() });
  if (child.status !== 0) throw new Error(`memory: the child process failed (${child.status ?? child.signal}):\n${child.stderr}`);
  return JSON.parse(child.stdout) as MemoryPeak;
}

export function formatMemoryPeak(peak: MemoryPeak): string[] {
  const meets = peak.peakResidentMegabytes < MEMORY_TARGET_MEGABYTES ? 'meets' : 'OVER';
  const mb = (value: number): string => `${value.toFixed(0)} MB`;
  return [
    `peak resident memory, ${peak.guestMegabytes} MiB guest in its own process (launch + ${peak.systemCalls} NtClose round trips): ` +
      `${mb(peak.peakResidentMegabytes)} (target < ${MEMORY_TARGET_MEGABYTES} MB: ${meets})`,
    `    resident after Node start ${mb(peak.residentAfterStartMegabytes)}, after launch ${mb(peak.residentAfterLaunchMegabytes)}, after the run ${mb(peak.residentAfterRunMegabytes)};` +
      ` V8 heap ${mb(peak.heapUsedMegabytes)} used of ${mb(peak.heapTotalMegabytes)}, array buffers ${mb(peak.arrayBuffersMegabytes)}`,
    `    typed arrays, allocated (resident only where touched): ${peak.typedArrays.map((array) => `${array.name} ${array.megabytes.toFixed(0)} MB`).join(', ')}`,
  ];
}

if (require.main === module && process.argv[2] === CHILD_FLAG) {
  const peak = runChild(Number(process.argv[3]), Number(process.argv[4]));
  process.stdout.write(JSON.stringify(peak) + '\n');
}
