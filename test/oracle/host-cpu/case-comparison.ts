// Compares host and emulator outputs case by case under the comparison mask, and keeps the tallies the
// test prints: per instruction and size, and the first mismatches in full.
import { FAULT_NOT_RUN, IN_EFLAGS, MEMORY_AREA, OUT_EFLAGS, OUT_FAULT, OUT_REGISTERS, RECORD_WORDS } from './record-layout';
import { ComparisonMask, comparisonMaskFor, flagNames, newComparisonMask } from './flag-rules';
import { AluVariant, displayText } from './variants';

const STATUS_FLAGS_MASK = 0x8d5;
const REGISTER_NAMES = ['eax', 'ebx', 'ecx', 'edx'];

export interface InstructionTally {
  cases: number;
  mismatches: number;
  hostDivideErrors: number;
}

export interface CaseMismatch {
  readonly variant: AluVariant;
  /** One line per part: inputs, host outputs, emulator outputs, what differs. */
  readonly description: string;
  /** A key that groups mismatches of the same kind (form and differing outputs) for the findings list. */
  readonly kind: string;
}

export class ComparisonTally {
  readonly perInstruction = new Map<string, InstructionTally>();
  /** Per variant: the status flags the host changed in some completed case (checks the table's flag sets). */
  readonly hostChangedFlags: number[];
  readonly firstMismatches: CaseMismatch[] = [];
  /** The first mismatch of each kind. */
  readonly distinctMismatches = new Map<string, CaseMismatch>();
  cases = 0;
  /** Cases from enumerated spaces (the rest are random). */
  enumeratedCases = 0;
  mismatches = 0;
  hostDivideErrors = 0;
  emulatorDivideErrors = 0;
  harnessProblems: string[] = [];
  private readonly mask: ComparisonMask = newComparisonMask();

  constructor(variantCount: number, private readonly keepMismatches: number) {
    this.hostChangedFlags = new Array<number>(variantCount).fill(0);
  }

  compareRecord(variant: AluVariant, staticUndefined: number, input: Uint32Array, host: Uint32Array, emulator: Uint32Array, record: number, caseLabel: string): void {
    const base = record * RECORD_WORDS;
    const mask = this.mask;
    comparisonMaskFor(variant, staticUndefined, input, base, mask);
    const key = `${variant.summaryName} ${variant.size}`;
    let tally = this.perInstruction.get(key);
    if (!tally) this.perInstruction.set(key, (tally = { cases: 0, mismatches: 0, hostDivideErrors: 0 }));
    tally.cases++;
    this.cases++;
    if (variant.exhaustive) this.enumeratedCases++;

    const hostFault = host[base + OUT_FAULT / 4];
    const emulatorFault = emulator[base + OUT_FAULT / 4];
    if (hostFault === FAULT_NOT_RUN) {
      if (this.harnessProblems.length < 10) this.harnessProblems.push(`host runner did not reach ${caseLabel} (${displayText(variant)})`);
      return;
    }
    if (hostFault === 1) {
      tally.hostDivideErrors++;
      this.hostDivideErrors++;
    } else if (hostFault === 0) {
      this.hostChangedFlags[variant.index] |= (input[base + IN_EFLAGS / 4] ^ host[base + OUT_EFLAGS / 4]) & STATUS_FLAGS_MASK;
    }
    if (emulatorFault === 1) this.emulatorDivideErrors++;

    const differences: string[] = [];
    if (emulatorFault === FAULT_NOT_RUN) differences.push('not run');
    else if (hostFault !== emulatorFault) differences.push('fault');
    else {
      for (let i = 0; i < 4; i++) {
        if ((host[base + OUT_REGISTERS / 4 + i] ^ emulator[base + OUT_REGISTERS / 4 + i]) & mask.words[i]) differences.push(REGISTER_NAMES[i]);
      }
      for (let i = 0; i < 4; i++) {
        if ((host[base + MEMORY_AREA / 4 + i] ^ emulator[base + MEMORY_AREA / 4 + i]) & mask.words[4 + i]) differences.push(`mem[${i}]`);
      }
      if (hostFault === 0) {
        const flagDifference = (host[base + OUT_EFLAGS / 4] ^ emulator[base + OUT_EFLAGS / 4]) & mask.flags;
        if (flagDifference) differences.push(`flags ${flagNames(flagDifference)}`);
      }
    }
    if (differences.length === 0) return;
    tally.mismatches++;
    this.mismatches++;
    const kind = `${displayText(variant)} | ${differences.join(', ')}`;
    if (this.firstMismatches.length < this.keepMismatches || !this.distinctMismatches.has(kind)) {
      const mismatch = { variant, kind, description: describeCase(variant, input, host, emulator, base, mask, differences, caseLabel) };
      if (this.firstMismatches.length < this.keepMismatches) this.firstMismatches.push(mismatch);
      if (!this.distinctMismatches.has(kind) && this.distinctMismatches.size < 500) this.distinctMismatches.set(kind, mismatch);
    }
  }
}

const hex = (value: number): string => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;

function describeOutputs(words: Uint32Array, base: number): string {
  const fault = words[base + OUT_FAULT / 4];
  const registers = REGISTER_NAMES.map((name, i) => `${name}=${hex(words[base + OUT_REGISTERS / 4 + i])}`).join(' ');
  const memory = [0, 1, 2, 3].map((i) => hex(words[base + MEMORY_AREA / 4 + i])).join(' ');
  const outcome = fault === 0 ? 'completed' : fault === FAULT_NOT_RUN ? 'NOT RUN' : `fault vector ${fault - 1}`;
  const eflags = words[base + OUT_EFLAGS / 4];
  return `${registers} eflags=${hex(eflags)} [${flagNames(eflags & 0xcd5)}] mem=[${memory}] ${outcome}`;
}

function describeCase(variant: AluVariant, input: Uint32Array, host: Uint32Array, emulator: Uint32Array, base: number, mask: ComparisonMask, differences: string[], caseLabel: string): string {
  const inputs = REGISTER_NAMES.map((name, i) => `${name}=${hex(input[base + i])}`).join(' ');
  const inputMemory = [0, 1, 2, 3].map((i) => hex(input[base + MEMORY_AREA / 4 + i])).join(' ');
  const inputFlags = input[base + IN_EFLAGS / 4];
  return [
    `${displayText(variant)}   (${variant.size}-bit, ${caseLabel})`,
    `  input    ${inputs} eflags=${hex(inputFlags)} [${flagNames(inputFlags & 0xcd5)}] mem=[${inputMemory}]`,
    `  host     ${describeOutputs(host, base)}`,
    `  emulator ${describeOutputs(emulator, base)}`,
    `  differs: ${differences.join(', ')}   (flags compared: ${flagNames(mask.flags)})`,
  ].join('\n');
}
