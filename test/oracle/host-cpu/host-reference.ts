// The reference side of the oracle: what executes each form on this host. The host CPU running 32-bit code
// is the primary reference. A host that cannot run 32-bit code (a 64-bit kernel without IA-32 emulation)
// runs the forms that mean the same in long mode on the CPU as 64-bit code, and the rest (daa/das/aaa/aas,
// which do not exist there) as 32-bit code under qemu-i386: an emulator, so those are said to be.
import { findExecutable } from '../../support/oracle-tools';
import { LongModeRefusals, longModeRefusals } from './long-mode-forms';
import { HostRunResult, NativeRunner, compileNativeRunner, runOnHost, runnerExecutes } from './native-host';
import { IMAGE_ORIGIN } from './emulator-side';
import { RECORD_WORDS } from './record-layout';
import { snippetImageSource } from './snippet-image';
import { AluVariant } from './variants';

/** What executed a form: 32-bit code on the CPU, long-mode code on the CPU, or 32-bit code under qemu-i386. */
export type HostRoute = 'cpu-32-bit' | 'cpu-long-mode' | 'qemu-i386';

export interface HostTools {
  readonly nasm: string;
  readonly assemble: (source: string) => Uint8Array;
}

/** Runners found on this host; `legacyUnderEmulation` only when 32-bit code cannot run natively. */
type HostRunners =
  | { readonly kind: 'native-32-bit'; readonly legacy: NativeRunner }
  | { readonly kind: 'long-mode'; readonly long: NativeRunner; readonly ndisasm: string; readonly legacyUnderEmulation?: NativeRunner; readonly whyNoLegacy?: string };

export type HostReferenceDiscovery = { readonly ok: true; readonly reference: HostReference } | { readonly ok: false; readonly reason: string };

/** A form no reference on this host can execute, and why. */
export interface UncheckedForm {
  readonly variant: AluVariant;
  readonly reason: string;
}

/** The host side prepared for one variant list: the route of each form and a runner for batches of records. */
export interface PreparedHost {
  /** Per variant index; undefined for a form that no reference here can execute (see `unchecked`). */
  readonly routes: readonly (HostRoute | undefined)[];
  readonly unchecked: readonly UncheckedForm[];
  /** Runs `jobs` (snippet, first record, count triples) over a copy of `records`, each job on its form's route. */
  run(records: Uint32Array, jobs: Uint32Array): HostRunResult;
}

/** Builds and probes the runners; `ndisasm` is needed only when the host cannot run 32-bit code. */
export function discoverHostReference(tools: HostTools, findNdisasm: () => string | undefined): HostReferenceDiscovery {
  const legacy = compileNativeRunner('32-bit');
  if (legacy.ok && runnerExecutes(legacy.runner)) return { ok: true, reference: new HostReference(tools, { kind: 'native-32-bit', legacy: legacy.runner }) };
  const whyNotLegacy = legacy.ok ? `the 32-bit runner ${legacy.runner.executable} does not execute (a kernel without IA-32 emulation, or a noexec temporary folder)` : legacy.reason;
  const long = compileNativeRunner('64-bit');
  if (!long.ok || !runnerExecutes(long.runner)) {
    const whyNotLong = long.ok ? `the 64-bit runner ${long.runner.executable} does not execute either` : long.reason;
    return { ok: false, reason: `${whyNotLegacy}; ${whyNotLong}` };
  }
  const ndisasm = findNdisasm();
  if (!ndisasm) return { ok: false, reason: `${whyNotLegacy}; the long-mode runner needs ndisasm to check its forms (apt-get install nasm)` };
  const qemu = findExecutable('qemu-i386');
  const emulated = legacy.ok && qemu ? { executable: legacy.runner.executable, launcher: qemu } : undefined;
  const runners: HostRunners = emulated && runnerExecutes(emulated)
    ? { kind: 'long-mode', long: long.runner, ndisasm, legacyUnderEmulation: emulated }
    : { kind: 'long-mode', long: long.runner, ndisasm, whyNoLegacy: `${whyNotLegacy}, and ${!legacy.ok ? 'so qemu-i386 has nothing to run' : qemu ? `qemu-i386 (${qemu}) cannot run it` : "qemu-i386 is not installed (apt-get install qemu-user)"}` };
  return { ok: true, reference: new HostReference(tools, runners) };
}

export class HostReference {
  constructor(private readonly tools: HostTools, private readonly runners: HostRunners) {}

  /** `legacyImage` is the 32-bit image the emulator runs (snippet-image.ts) for exactly these variants. */
  prepare(variants: readonly AluVariant[], legacyImage: Uint8Array): PreparedHost {
    const runners = this.runners;
    if (runners.kind === 'native-32-bit') {
      return { routes: variants.map(() => 'cpu-32-bit'), unchecked: [], run: (records, jobs) => runOnHost(runners.legacy, legacyImage, records, jobs) };
    }
    const refusals: LongModeRefusals = longModeRefusals(this.tools.nasm, runners.ndisasm, variants);
    const longImage = this.tools.assemble(snippetImageSource(variants, IMAGE_ORIGIN, 'long-64', new Set(refusals.keys())));
    const legacyRoute: HostRoute | undefined = runners.legacyUnderEmulation ? 'qemu-i386' : undefined;
    const routes = variants.map((variant) => refusals.has(variant.index) ? legacyRoute : 'cpu-long-mode');
    const unchecked = runners.legacyUnderEmulation ? [] : variants.filter((variant) => refusals.has(variant.index))
      .map((variant) => ({ variant, reason: `${refusals.get(variant.index)}; ${runners.whyNoLegacy}` }));
    const run = (records: Uint32Array, jobs: Uint32Array): HostRunResult => {
      const longJobs: number[] = [];
      const legacyJobs: number[] = [];
      for (let at = 0; at < jobs.length; at += 3) {
        const route = routes[jobs[at]];
        if (route === 'cpu-long-mode') longJobs.push(jobs[at], jobs[at + 1], jobs[at + 2]);
        else if (route === 'qemu-i386') legacyJobs.push(jobs[at], jobs[at + 1], jobs[at + 2]);
        else return { ok: false, message: `no host reference can run snippet ${jobs[at]}` };
      }
      // each runner writes only the records of its own jobs, so the outputs merge job by job
      const merged = records.slice();
      const batches: [NativeRunner | undefined, Uint8Array, number[]][] = [[runners.long, longImage, longJobs], [runners.legacyUnderEmulation, legacyImage, legacyJobs]];
      for (const [runner, image, batch] of batches) {
        if (batch.length === 0 || !runner) continue;
        const result = runOnHost(runner, image, records, new Uint32Array(batch));
        if (!result.ok) return result;
        for (let at = 0; at < batch.length; at += 3) {
          const from = batch[at + 1] * RECORD_WORDS;
          const to = (batch[at + 1] + batch[at + 2]) * RECORD_WORDS;
          merged.set(result.records.subarray(from, to), from);
        }
      }
      return { ok: true, records: merged };
    };
    return { routes, unchecked, run };
  }
}

/** One line for the test output: which reference ran which forms. */
export function describeHostRoutes(variants: readonly AluVariant[], routes: readonly (HostRoute | undefined)[]): string {
  const mnemonics = (route: HostRoute): string => [...new Set(variants.filter((variant) => routes[variant.index] === route).map((variant) => variant.mnemonic))].join('/');
  const count = (route: HostRoute): number => variants.filter((variant) => routes[variant.index] === route).length;
  if (count('cpu-long-mode') === 0) return `host-CPU oracle: all ${count('cpu-32-bit')} forms ran as 32-bit code on the host CPU`;
  const parts = [`${count('cpu-long-mode')} 8/16/32-bit ALU forms ran natively in long mode`];
  if (count('qemu-i386')) parts.push(`${mnemonics('qemu-i386')} (${count('qemu-i386')} forms) ran under qemu-i386 (TCG), not on the host CPU`);
  return `host-CPU oracle: this host cannot run 32-bit code; ${parts.join(', ')}`;
}
