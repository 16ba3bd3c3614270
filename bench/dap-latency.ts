// The `dap-latency` workload (issues 5 and 7): how long a client waits, over a separate-process adapter,
// (1) from sending `next` to receiving its `stopped` event and (2) from that `stopped` event to a full
// refresh of the views a client redraws on every stop (stackTrace, scopes of the top frame, variables of
// Registers, nt.idt, nt.ssdt, nt.kernelStack), the requests sent one after another as a client would.
// Instruction and line granularity are measured separately. readfile.asm exits after a dozen steps, so
// the program is restarted (same adapter process, so V8's optimised code stays warm) before it would
// exit; if it exits anyway, a fresh adapter is started.
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { findReadfileSample, lineMatching, millisecondsSince, nextStopOrEnd, startAdapterAtEntry } from './dap-client';
import { quantile } from './statistics';

/** Sampled steps per granularity, after WARM_UP_STEPS unrecorded ones. */
const SAMPLES_PER_GRANULARITY = 200;
const WARM_UP_STEPS = 60;
/**
 * The whole workload should take about 30 s (most of it restarts: each boots the NT model again); on a
 * slower machine each granularity stops sampling after this long and reports the samples it has.
 */
const SAMPLING_BUDGET_PER_GRANULARITY_MS = 14_000;

const THREAD_ID = 1;

type Granularity = 'instruction' | 'line';

/** Targets from the issues: issue 5 (speed section) and issue 7. */
export const DAP_LATENCY_TARGETS = {
  nextToStopped: { issue5Ms: 2, issue7Ms: 1 },
  stopToRefreshed: { issue5Ms: 15, issue7Ms: 10 },
} as const;

export interface DapLatencyRow {
  measurement: 'next-to-stopped' | 'stop-to-refreshed';
  granularity: Granularity;
  samples: number;
  medianMs: number;
  /** The spread beside the median: 10th and 90th percentiles. */
  p10Ms: number;
  p90Ms: number;
  issue5TargetMs: number;
  issue7TargetMs: number;
}

export interface DapLatencyResult {
  rows: DapLatencyRow[];
  /** Restarts of the program (restart request) and fresh adapters (the program exited anyway). */
  restarts: number;
  adapterStarts: number;
  wallSeconds: number;
}

/** What a client asks for after every stop; returns the top frame's line (to see the exit coming). */
async function refreshViews(client: DebugClient): Promise<number> {
  const trace = await client.stackTraceRequest({ threadId: THREAD_ID });
  const top = trace.body.stackFrames[0];
  const scopes = await client.scopesRequest({ frameId: top.id });
  const registers = scopes.body.scopes.find((scope) => scope.name.startsWith('Registers'));
  if (registers === undefined) throw new Error('dap-latency: the top frame has no Registers scope');
  await client.variablesRequest({ variablesReference: registers.variablesReference });
  await client.customRequest('nt.idt');
  await client.customRequest('nt.ssdt');
  await client.customRequest('nt.kernelStack');
  return top.line;
}

interface StepSample { nextToStoppedMs: number; stopToRefreshedMs: number }

export async function measureDapLatency(): Promise<DapLatencyResult> {
  const program = findReadfileSample();
  // Stepping over this call would end the program (and the debug session with it): restart instead.
  const exitCallLine = lineMatching(program, /^\s*call\s+NtTerminateProcess\b/);
  const started = process.hrtime.bigint();
  let restarts = 0;
  let adapterStarts = 1;
  let client = (await startAdapterAtEntry(program)).client;
  try {
    let line = await refreshViews(client);

    const restartProgram = async (): Promise<void> => {
      const stopped = nextStopOrEnd(client);
      await client.send('restart', {});
      if ((await stopped).kind !== 'stopped') throw new Error('dap-latency: restart did not stop on entry');
      restarts++;
      line = await refreshViews(client);
    };

    /** One `next`; undefined when the program ended instead (a fresh adapter is then at entry). */
    const step = async (granularity: Granularity): Promise<StepSample | undefined> => {
      if (line === exitCallLine) await restartProgram();
      const stoppedOrEnded = nextStopOrEnd(client);
      const sent = process.hrtime.bigint();
      await client.nextRequest({ threadId: THREAD_ID, granularity });
      const arrived = await stoppedOrEnded;
      if (arrived.kind === 'terminated') {
        await client.stop();
        client = (await startAdapterAtEntry(program)).client;
        adapterStarts++;
        line = await refreshViews(client);
        return undefined;
      }
      const nextToStoppedMs = Number(arrived.at - sent) / 1e6;
      // The clock starts when the event arrived, not when this code resumed: a client redraws from there.
      line = await refreshViews(client);
      return { nextToStoppedMs, stopToRefreshedMs: Number(process.hrtime.bigint() - arrived.at) / 1e6 };
    };

    const rows: DapLatencyRow[] = [];
    for (const granularity of ['instruction', 'line'] as const) {
      for (let i = 0; i < WARM_UP_STEPS; i++) await step(granularity);
      const samples: StepSample[] = [];
      const samplingStarted = process.hrtime.bigint();
      while (samples.length < SAMPLES_PER_GRANULARITY && millisecondsSince(samplingStarted) < SAMPLING_BUDGET_PER_GRANULARITY_MS) {
        const sample = await step(granularity);
        if (sample !== undefined) samples.push(sample);
      }
      const summarise = (measurement: DapLatencyRow['measurement'], values: number[], targets: { issue5Ms: number; issue7Ms: number }): DapLatencyRow => ({
        measurement, granularity, samples: values.length, medianMs: quantile(values, 0.5), p10Ms: quantile(values, 0.1), p90Ms: quantile(values, 0.9),
        issue5TargetMs: targets.issue5Ms, issue7TargetMs: targets.issue7Ms,
      });
      rows.push(summarise('next-to-stopped', samples.map((sample) => sample.nextToStoppedMs), DAP_LATENCY_TARGETS.nextToStopped));
      rows.push(summarise('stop-to-refreshed', samples.map((sample) => sample.stopToRefreshedMs), DAP_LATENCY_TARGETS.stopToRefreshed));
    }
    return { rows, restarts, adapterStarts, wallSeconds: millisecondsSince(started) / 1000 };
  } finally {
    // disconnect, then kill: the adapter process must not outlive the bench.
    await client.stop();
  }
}

/** Rows in bench/run.ts's table style, with the targets next to the figures. */
export function formatDapLatency(result: DapLatencyResult): string[] {
  const lines = [
    `DAP latency over a separate-process adapter (readfile.asm; ${result.restarts} restarts, ${result.adapterStarts} adapter process(es), ${result.wallSeconds.toFixed(1)} s)`,
    'measurement                      granularity  samples  median ms  (p10-p90)        target (issue 5 / issue 7)  median meets',
  ];
  for (const row of result.rows) {
    const description = row.measurement === 'next-to-stopped' ? 'next -> stopped' : 'stopped -> views refreshed';
    const meets = `${row.medianMs < row.issue5TargetMs ? 'yes' : 'NO'} / ${row.medianMs < row.issue7TargetMs ? 'yes' : 'NO'}`;
    lines.push(
      `${description.padEnd(33)}${row.granularity.padEnd(11)}  ${String(row.samples).padStart(7)}  ${row.medianMs.toFixed(3).padStart(9)}  ${`(${row.p10Ms.toFixed(3)}-${row.p90Ms.toFixed(3)})`.padEnd(15)}` +
      `  ${`< ${row.issue5TargetMs} ms / < ${row.issue7TargetMs} ms`.padStart(26)}  ${meets.padStart(12)}`,
    );
  }
  return lines;
}
