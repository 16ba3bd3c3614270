// Drives one oracle run: forms -> one NASM image -> random case records in chunks -> the host CPU and the
// emulator run the same bytes over the same records -> case-by-case comparison. (A host that cannot run
// 32-bit code runs the same instructions from a long-mode image, see host-reference.ts.)
import type { InstructionForm } from '../../../core/isa/types';
import { ComparisonTally } from './case-comparison';
import { generateCase } from './case-generator';
import { EmulatorJob, FlatMachineUnderTest, IMAGE_ORIGIN, ReadGuestMemory, guestMemoryBytes, runInEmulator } from './emulator-side';
import { flagMask, flagNames, rowForEncoding, sdmMayBeUndefined } from './flag-rules';
import { HostReference, HostRoute, UncheckedForm } from './host-reference';
import { RECORD_WORDS } from './record-layout';
import { SeededRandom } from './seeded-random';
import { readSnippetAddresses, snippetImageSource } from './snippet-image';
import { AluVariant, buildVariants, displayText, exhaustiveCaseCount } from './variants';

export interface AluOracleOptions {
  readonly seed: number;
  /** Random cases, shared among the sampled forms; the enumerated 8-bit spaces come on top. */
  readonly sampledCases: number;
  /** Leave out the enumerated spaces (for quick runs). */
  readonly skipEnumerated?: boolean;
  /** Records per chunk: bounds memory use (64 bytes each, three copies) and the guest memory size. */
  readonly chunkRecords: number;
  readonly host: HostReference;
  readonly assemble: (source: string) => Uint8Array;
  readonly table: readonly InstructionForm[];
  readonly createMachine: (memoryBytes: number) => { machine: FlatMachineUnderTest; readMemory: ReadGuestMemory };
  readonly keepMismatches: number;
}

export interface AluOracleReport {
  readonly seed: number;
  readonly variants: readonly AluVariant[];
  readonly tally: ComparisonTally;
  readonly tableProblems: string[];
  readonly runProblems: string[];
  /** Per variant index: what executed the form on the host side (undefined: nothing could, see `unchecked`). */
  readonly hostRoutes: readonly (HostRoute | undefined)[];
  /** Forms left out of the comparison because no reference on this host can execute them. */
  readonly unchecked: readonly UncheckedForm[];
  readonly seconds: { assemble: number; generate: number; host: number; emulator: number; compare: number };
  readonly emulatorInstructions: number;
}

/** Sampled forms share `sampledCases` by weight; enumerated forms add their whole space on top. */
function caseCounts(variants: readonly AluVariant[], sampledCases: number): number[] {
  const totalWeight = variants.reduce((sum, variant) => sum + variant.weight, 0);
  return variants.map((variant) => variant.exhaustive ? exhaustiveCaseCount(variant.exhaustive) : Math.max(64, Math.ceil((sampledCases * variant.weight) / totalWeight)));
}

export function runAluOracle(options: AluOracleOptions): AluOracleReport {
  const seconds = { assemble: 0, generate: 0, host: 0, emulator: 0, compare: 0 };
  const timed = <T>(phase: keyof typeof seconds, work: () => T): T => {
    const start = process.hrtime.bigint();
    try {
      return work();
    } finally {
      seconds[phase] += Number(process.hrtime.bigint() - start) / 1e9;
    }
  };
  const random = new SeededRandom(options.seed);
  const variants = buildVariants(random).filter((variant) => !(options.skipEnumerated && variant.exhaustive)).map((variant, index) => ({ ...variant, index }));
  const image = timed('assemble', () => options.assemble(snippetImageSource(variants, IMAGE_ORIGIN)));
  const addresses = readSnippetAddresses(image, IMAGE_ORIGIN);
  const host = timed('assemble', () => options.host.prepare(variants, image));
  const checkedVariants = variants.filter((variant) => host.routes[variant.index] !== undefined);

  // The static part of each mask comes from the table row NASM's encoding selects.
  const tableProblems: string[] = [];
  const tableRows: (InstructionForm | undefined)[] = variants.map((variant) => {
    const offset = addresses[variant.index].instruction - IMAGE_ORIGIN;
    const bytes = image.subarray(offset, offset + 16);
    const row = rowForEncoding(options.table, variant.mnemonic, bytes);
    const hexBytes = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    if (!row) {
      tableProblems.push(`no table row for '${displayText(variant)}' (bytes ${hexBytes}...)`);
      return undefined;
    }
    const tooBroad = flagMask(row.flagsUndefined) & ~sdmMayBeUndefined(variant.mnemonic);
    if (tooBroad) tableProblems.push(`table row ${describeRow(row)} leaves ${flagNames(tooBroad)} undefined; the SDM defines them`);
    return row;
  });
  const staticUndefined = tableRows.map((row) => flagMask(row?.flagsUndefined));

  const counts = caseCounts(variants, options.sampledCases);
  const tally = new ComparisonTally(variants.length, options.keepMismatches);
  const runProblems: string[] = [];
  let emulatorInstructions = 0;
  const { machine, readMemory } = options.createMachine(guestMemoryBytes(options.chunkRecords));
  machine.load(IMAGE_ORIGIN, image);

  let next = 0;
  let caseNumber = 0;
  while (next < checkedVariants.length) {
    const chunkVariants: AluVariant[] = [];
    let chunkSize = 0;
    while (next < checkedVariants.length && (chunkVariants.length === 0 || chunkSize + counts[checkedVariants[next].index] <= options.chunkRecords)) {
      chunkVariants.push(checkedVariants[next]);
      chunkSize += counts[checkedVariants[next].index];
      next++;
    }
    const input = new Uint32Array(chunkSize * RECORD_WORDS);
    const jobs: EmulatorJob[] = [];
    const recordVariant = new Uint32Array(chunkSize);
    timed('generate', () => {
      let record = 0;
      for (const variant of chunkVariants) {
        jobs.push({ snippet: variant.index, firstRecord: record, count: counts[variant.index] });
        for (let i = 0; i < counts[variant.index]; i++, record++) {
          recordVariant[record] = variant.index;
          generateCase(variant, random, input, record, i);
        }
      }
    });
    const jobTriples = new Uint32Array(jobs.flatMap((job) => [job.snippet, job.firstRecord, job.count]));
    const hostRun = timed('host', () => host.run(input, jobTriples));
    if (!hostRun.ok) {
      runProblems.push(hostRun.message);
      break;
    }
    const emulated = timed('emulator', () => runInEmulator(machine, readMemory, addresses, input.slice(), jobs));
    emulatorInstructions += emulated.instructions;
    for (const [jobIndex, problem] of emulated.jobProblems) {
      if (runProblems.length < 40) runProblems.push(`${displayText(variants[jobs[jobIndex].snippet])}: ${problem}`);
    }
    timed('compare', () => {
      for (let record = 0; record < chunkSize; record++, caseNumber++) {
        const variant = variants[recordVariant[record]];
        tally.compareRecord(variant, staticUndefined[variant.index], input, hostRun.records, emulated.records, record, `seed ${options.seed} case #${caseNumber}`);
      }
    });
  }

  // Data-driven check of the table: every flag the host changed must be written or undefined in the row,
  // and every flag the row says it writes must have changed in some case of the forms that use the row.
  const changedPerRow = new Map<InstructionForm, number>();
  variants.forEach((variant, index) => {
    const row = tableRows[index];
    if (!row || variant.consumer) return; // after a consumer the flags are no longer the row's alone
    if (host.routes[index] === undefined) return; // never run on the host: nothing to say about its flags
    changedPerRow.set(row, (changedPerRow.get(row) ?? 0) | tally.hostChangedFlags[index]);
    const declared = flagMask(row.flagsWritten) | flagMask(row.flagsUndefined);
    const undeclared = tally.hostChangedFlags[index] & ~declared;
    if (undeclared) tableProblems.push(`'${displayText(variant)}' changed ${flagNames(undeclared)} on the host, but table row ${describeRow(row)} neither writes nor undefines them`);
  });
  for (const [row, changed] of changedPerRow) {
    const neverChanged = flagMask(row.flagsWritten) & ~changed;
    if (neverChanged) tableProblems.push(`table row ${describeRow(row)} writes ${flagNames(neverChanged)}, but the host never changed them`);
  }
  return { seed: options.seed, variants, tally, tableProblems: [...new Set(tableProblems)], runProblems, hostRoutes: host.routes, unchecked: host.unchecked, seconds, emulatorInstructions };
}

function describeRow(row: InstructionForm): string {
  const bytes = row.opcode.map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return `${row.mnemonic} ${row.operands.join(', ')} (${bytes}${typeof row.modrm === 'number' ? ` /${row.modrm}` : ''}${row.operandSize ? `, o${row.operandSize}` : ''})`;
}
