// Runs the same snippet image and case records in the project's emulator (a flat ring-0 FlatMachine):
// records are loaded into guest memory, each form's case loop runs until its hlt, and a #DE at the
// instruction under test is recorded the way native-runner.c records SIGFPE, then the loop resumes.
import { OUT_REGISTERS, RECORD_BYTES } from './record-layout';
import { SnippetAddresses } from './snippet-image';

/** The part of core/machine/flat-machine.ts the oracle uses. */
export interface FlatRegisters {
  eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number; eip: number; eflags: number;
}
export interface FlatStop {
  readonly reason: 'hlt' | 'exception' | 'limit' | 'triple-fault';
  readonly vector?: number;
  readonly eip: number;
  readonly message: string;
}
export interface FlatMachineUnderTest {
  load(address: number, bytes: Uint8Array): void;
  run(initial: Partial<FlatRegisters>, options?: { maxInstructions?: number }): { registers: FlatRegisters; instructions: number; stop: FlatStop };
}
export type ReadGuestMemory = (address: number, length: number) => Uint8Array;

/** Guest layout: stack below the image, records above it. */
export const IMAGE_ORIGIN = 0x00100000;
const STACK_TOP = 0x000ff000;
const RECORDS_BASE = 0x00200000;
/** Instructions per case in the loop (12 around the instruction under test) with room to spare. */
const INSTRUCTIONS_PER_CASE = 24;

export function guestMemoryBytes(maxRecords: number): number {
  return RECORDS_BASE + maxRecords * RECORD_BYTES + 0x1000;
}

export interface EmulatorJob {
  readonly snippet: number;
  readonly firstRecord: number;
  readonly count: number;
}

export interface EmulatorRunOutcome {
  readonly records: Uint32Array;
  /** Per job index: why the loop stopped early, when it did (cases after that point stay FAULT_NOT_RUN). */
  readonly jobProblems: Map<number, string>;
  readonly instructions: number;
}

/**
 * Runs `jobs` over `records` (relative to the chunk). The machine already holds the image at IMAGE_ORIGIN.
 * A run that ends anywhere but the snippet's hlt or a fault at the instruction under test is a job problem.
 */
export function runInEmulator(
  machine: FlatMachineUnderTest, readMemory: ReadGuestMemory, addresses: readonly SnippetAddresses[],
  records: Uint32Array, jobs: readonly EmulatorJob[],
): EmulatorRunOutcome {
  machine.load(RECORDS_BASE, new Uint8Array(records.buffer, records.byteOffset, records.byteLength));
  const jobProblems = new Map<number, string>();
  let instructions = 0;
  jobs.forEach((job, jobIndex) => {
    const snippet = addresses[job.snippet];
    let esi = RECORDS_BASE + job.firstRecord * RECORD_BYTES;
    let edi = job.count;
    let eip = snippet.entry;
    for (;;) {
      let result: ReturnType<FlatMachineUnderTest['run']>;
      try {
        result = machine.run({ eax: 0, ebx: 0, ecx: 0, edx: 0, ebp: 0, esi, edi, eip, esp: STACK_TOP, eflags: 0x2 }, { maxInstructions: edi * INSTRUCTIONS_PER_CASE + 16 });
      } catch (error) {
        // the emulator must never throw on guest code: report it as a finding for this form, go on with the next
        jobProblems.set(jobIndex, `the emulator threw ${(error as Error).stack ?? String(error)}`);
        return;
      }
      instructions += result.instructions;
      const { stop, registers } = result;
      if (stop.reason === 'hlt' && registers.edi === 0) return;
      if (stop.reason === 'exception' && stop.eip === snippet.instruction && stop.vector !== undefined) {
        // as native-runner.c does for SIGFPE: the registers at the fault, and 1 + vector
        const out = new Uint32Array([registers.eax, registers.ebx, registers.ecx, registers.edx, registers.eflags, 1 + stop.vector]);
        machine.load(registers.esi + OUT_REGISTERS, new Uint8Array(out.buffer));
        esi = registers.esi;
        edi = registers.edi;
        eip = snippet.next;
        continue;
      }
      jobProblems.set(jobIndex, `the case loop stopped (${stop.reason}${stop.vector !== undefined ? ` vector ${stop.vector}` : ''}) at eip 0x${(stop.eip >>> 0).toString(16)} ` +
        `with esi 0x${(registers.esi >>> 0).toString(16)}: ${stop.message}`);
      return;
    }
  });
  const bytes = readMemory(RECORDS_BASE, records.byteLength);
  const output = new Uint32Array(records.length);
  new Uint8Array(output.buffer).set(bytes.subarray(0, output.byteLength));
  return { records: output, jobProblems, instructions };
}
