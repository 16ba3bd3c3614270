// Round trip over the whole instruction corpus: nasm assembles each line -> our decoder and NASM-syntax
// formatter turn the bytes back into text -> nasm (and our own assembler) must turn that text into the
// very same bytes. Every line sits in its own 16-byte slot at the same address in both runs, so branch
// targets and the lengths of the other lines cannot interfere.
import * as assert from 'assert';
import { assemble } from '../../core/asm/assembler';
import type { DecodedInstruction } from '../../core/isa/decoded';
import { decodeBytes } from '../../core/isa/decoder';
import { formatInstruction } from '../../core/isa/disassembler';
import { INSTRUCTION_TABLE } from '../../core/isa/table';
import { nasmAssemble, requireOracle } from '../support/oracle-tools';
import {
  CORPUS_SLOT_BYTES,
  type CorpusEntry,
  corpusEntryAddress,
  corpusNasmSource,
  generateInstructionCorpus,
} from './instruction-corpus';

const hex = (bytes: ArrayLike<number>): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');

/** corpusNasmSource writes two header lines, then four lines per entry with the entry's text third. */
const entryOfSourceLine = (line: number): number => Math.floor((line - 3) / 4);

/** The bytes of each slot, cut to the lengths the source's trailing table records. */
function slotsOf(image: Uint8Array, count: number): Uint8Array[] {
  const lengthTable = count * CORPUS_SLOT_BYTES;
  return Array.from({ length: count }, (_, index) => image.subarray(index * CORPUS_SLOT_BYTES, index * CORPUS_SLOT_BYTES + image[lengthTable + index]));
}

/**
 * Assembles the entries with nasm in one run. Lines nasm rejects are reported and replaced by `nop` so the
 * rest still gets checked (a few reruns at most).
 */
function assembleAllWithNasm(nasm: string, entries: CorpusEntry[]): { slots: Uint8Array[]; rejected: Map<number, string> } {
  const rejected = new Map<number, string>();
  let current = entries;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const image = nasmAssemble(nasm, corpusNasmSource(current));
      return { slots: slotsOf(image, current.length), rejected };
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? error);
      const lines = stderr.split('\n').filter((line) => / error: /.test(line));
      if (lines.length === 0) throw error;
      current = current.slice();
      for (const line of lines) {
        const match = /:(\d+): error: (.*)$/.exec(line);
        const index = match ? entryOfSourceLine(Number(match[1])) : -1;
        if (index < 0 || index >= current.length) throw new Error(`nasm failed outside the corpus lines: ${line}`);
        rejected.set(index, `${current[index].text}: ${match![2]}`);
        current[index] = { ...current[index], text: 'nop' };
      }
    }
  }
  throw new Error('nasm kept rejecting lines after five attempts');
}

/**
 * Corpus lines whose NASM bytes are not one instruction to a CPU, or not a valid one; each is left out of
 * the round trip with the reason, and the count is printed.
 */
const NOT_ONE_VALID_INSTRUCTION: readonly { pattern: RegExp; reason: string }[] = [
  { pattern: /^o16 f?wait$/, reason: 'nasm writes 9B 66: FWAIT, then an operand-size prefix belonging to nothing' },
  {
    pattern: /^o16 (call|jmp|j[a-z]+|push) (?!word|short|byte)/,
    reason: 'nasm writes 66 but keeps a 4-byte displacement or immediate; a CPU reads 66 E8 / 66 68 with 2 bytes and the last two as another instruction',
  },
  { pattern: /^mov cs, /, reason: 'SDM: loading cs with mov is #UD; the decoder rejects it' },
];

function exclusionReason(text: string): string | undefined {
  return NOT_ONE_VALID_INSTRUCTION.find(({ pattern }) => pattern.test(text))?.reason;
}

describe('round trip: nasm -> decoder -> NASM text -> nasm, over the instruction corpus', function () {
  const corpus = generateInstructionCorpus();
  let original: Uint8Array[] = [];
  let disassembled: CorpusEntry[] = [];
  const decodeFailures: string[] = [];
  const excludedLines: string[] = [];
  let rejectedByNasm = 0;
  /** Entries left out of the comparison: rejected by nasm, or not one valid instruction. */
  const skipped = new Set<number>();

  before(function () {
    const nasm = requireOracle('nasm', 'apt-get install nasm', 'disassembler round trip');
    if (!nasm) return;
    const assembled = assembleAllWithNasm(nasm, corpus);
    // lines nasm rejects are the corpus's own problem, reported by nasm-encoder.test; nothing to round-trip
    rejectedByNasm = assembled.rejected.size;
    original = assembled.slots;
    disassembled = corpus.map((entry, index) => {
      const bytes = original[index];
      if (assembled.rejected.has(index)) {
        skipped.add(index);
        return { ...entry, text: 'nop' };
      }
      const result = decodeBytes(bytes, 0, corpusEntryAddress(index), 32);
      // an exclusion applies only where the bytes really are not one valid instruction
      const excluded = !result.ok || result.instruction.length !== bytes.length ? exclusionReason(entry.text) : undefined;
      if (excluded) {
        skipped.add(index);
        excludedLines.push(`${entry.text} [${hex(bytes)}]: ${excluded}`);
        return { ...entry, text: entry.text };
      }
      if (!result.ok) {
        decodeFailures.push(`${entry.text} [${hex(bytes)}]: ${result.reason}: ${result.message}`);
        return { ...entry, text: 'nop' };
      }
      if (result.instruction.length !== bytes.length) {
        decodeFailures.push(`${entry.text} [${hex(bytes)}]: decoded length ${result.instruction.length}`);
      }
      return { ...entry, text: formatInstruction(result.instruction, { style: 'nasm', bits: 32 }) };
    });
  });

  it(`decodes every line of the corpus (${corpus.length} lines) to its full length`, function () {
    if (original.length === 0) return this.skip();
    if (rejectedByNasm > 0) console.log(`      left out: ${rejectedByNasm} corpus lines nasm itself rejects`);
    console.log(`      left out: ${excludedLines.length} lines that are not one valid instruction, e.g.`);
    for (const line of excludedLines.slice(0, 4)) console.log(`        ${line}`);
    assert.strictEqual(decodeFailures.length, 0, `${decodeFailures.length} lines:\n${decodeFailures.slice(0, 30).join('\n')}`);
  });

  it('nasm re-assembles the disassembly to the same bytes', function () {
    const nasm = requireOracle('nasm', 'apt-get install nasm', 'disassembler round trip');
    if (!nasm || original.length === 0) return this.skip();
    const reassembled = assembleAllWithNasm(nasm, disassembled);
    const differences: string[] = [];
    disassembled.forEach((entry, index) => {
      if (skipped.has(index) || reassembled.rejected.has(index)) return;
      if (hex(reassembled.slots[index]) !== hex(original[index])) {
        differences.push(`${corpus[index].text} [${hex(original[index])}] -> '${entry.text}' [${hex(reassembled.slots[index])}]`);
      }
    });
    const compared = corpus.length - skipped.size;
    const rejected = [...reassembled.rejected.entries()].filter(([index]) => !skipped.has(index)).map(([index, message]) => `${corpus[index].text} [${hex(original[index])}] -> ${message}`);
    console.log(`      round trip through nasm: ${compared - differences.length - rejected.length} of ${compared} lines identical`);
    assert.strictEqual(rejected.length + differences.length, 0,
      `nasm rejected ${rejected.length} and assembled ${differences.length} differently:\n${[...rejected, ...differences].slice(0, 40).join('\n')}`);
  });

  it('our assembler re-assembles the disassembly to the same bytes', function () {
    if (original.length === 0) return this.skip();
    // lines our assembler rejects are reported and replaced by nop, so the others still get compared
    const rejected = new Map<number, string>();
    let source = disassembled;
    let result = assemble({ fileName: 'roundtrip.asm', source: corpusNasmSource(source) });
    for (let attempt = 0; attempt < 3 && !result.ok; attempt++) {
      source = source.slice();
      for (const diagnostic of result.diagnostics.filter((each) => each.severity === 'error')) {
        const index = entryOfSourceLine(diagnostic.line);
        if (index < 0 || index >= source.length) continue;
        rejected.set(index, `${disassembled[index].text}: ${diagnostic.message}`);
        source[index] = { ...source[index], text: 'nop' };
      }
      result = assemble({ fileName: 'roundtrip.asm', source: corpusNasmSource(source) });
    }
    assert.ok(result.ok, `our assembler fails on the round-trip source outside its lines: ${result.diagnostics.slice(0, 5).map((each) => each.message).join('; ')}`);
    const slots = slotsOf(result.image, disassembled.length);
    const differences: string[] = [];
    disassembled.forEach((entry, index) => {
      if (skipped.has(index) || rejected.has(index)) return;
      if (hex(slots[index]) !== hex(original[index])) {
        differences.push(`${corpus[index].text} [${hex(original[index])}] -> '${entry.text}' [${hex(slots[index])}]`);
      }
    });
    const compared = corpus.length - skipped.size;
    console.log(`      round trip through our assembler: ${compared - differences.length - rejected.size} of ${compared} lines identical, ${rejected.size} rejected, ${differences.length} different`);
    const problems = [...[...rejected.values()].map((message) => `rejected: ${message}`), ...differences];
    assert.strictEqual(problems.length, 0, `${problems.length} lines:\n${problems.slice(0, 40).join('\n')}`);
  });
});

// ---- random instructions ------------------------------------------------------------------------------
// The corpus holds what NASM writes; random bytes hold what NASM never would (8B /r for reg,reg, a disp32
// that fits a byte, an 81 /digit with a small immediate, o16/a16 on anything). Each decoded one is
// formatted, assembled by nasm in its own slot at the same address, decoded again, and must be the same
// instruction: same mnemonic, operands (branch targets, not displacements), sizes, lock, rep, override.

const RANDOM_CASES = 20_000;
const PREFIXES = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
}

/** Random bytes shaped like an instruction: prefixes, an opcode from the table, a ModRM with its digit. */
function randomInstructionBytes(random: () => number): Uint8Array {
  const bytes = Uint8Array.from({ length: 16 }, () => Math.floor(random() * 256));
  let position = 0;
  const prefixCount = random() < 0.5 ? 0 : Math.floor(random() * 3);
  for (let i = 0; i < prefixCount; i++) bytes[position++] = PREFIXES[Math.floor(random() * PREFIXES.length)];
  const form = INSTRUCTION_TABLE[Math.floor(random() * INSTRUCTION_TABLE.length)];
  form.opcode.forEach((byte, i) => {
    bytes[position++] = i === form.opcode.length - 1 && form.regInOpcode ? (byte & 0xf8) | Math.floor(random() * 8) : byte;
  });
  if (typeof form.modrm === 'number') bytes[position] = (bytes[position] & 0xc7) | (form.modrm << 3);
  return bytes;
}

/** Whether the prefixes at the start of `bytes` hold two of one group (segment, 66, 67, lock, rep). */
function repeatsPrefixGroup(bytes: Uint8Array): boolean {
  const groupOf = (byte: number): string | undefined =>
    [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].includes(byte) ? 'segment' : byte === 0xf2 || byte === 0xf3 ? 'rep' : PREFIXES.includes(byte) ? String(byte) : undefined;
  const seen = new Set<string>();
  for (const byte of bytes) {
    const group = groupOf(byte);
    if (group === undefined) return false;
    if (seen.has(group)) return true;
    seen.add(group);
  }
  return false;
}

/** What must survive the trip: everything but the encoding's own choices (prefix order and repeats, ModRM direction). */
function meaningOf(instruction: DecodedInstruction): string {
  const operands = instruction.operands.map((operand) => JSON.stringify(operand.kind === 'rel' ? { kind: 'rel', target: operand.target } : operand));
  // xchg's operands are interchangeable: nasm writes xchg esp, eax as 94 (xchg eax, esp)
  if (instruction.form.mnemonic === 'xchg') operands.sort();
  return JSON.stringify({
    mnemonic: instruction.form.mnemonic, operands, operandSize: instruction.operandSize, addressSize: instruction.addressSize,
    lock: instruction.lock, rep: instruction.rep, segmentOverride: instruction.segmentOverride,
  });
}

function randomRoundTrip(nasm: string, bits: 16 | 32, seed: number): { compared: number; failures: string[] } {
  const random = makeRandom(seed);
  const cases: { bytes: Uint8Array; instruction: DecodedInstruction; text: string }[] = [];
  while (cases.length < RANDOM_CASES) {
    const bytes = randomInstructionBytes(random);
    const result = decodeBytes(bytes, 0, cases.length * CORPUS_SLOT_BYTES, bits);
    if (!result.ok) continue;
    // F2/F3 on a form that takes neither: a Pentium II ignores them, nasm refuses some (repne jcc means bnd to it)
    if (result.instruction.rep && !(result.instruction.form.prefixes ?? []).some((prefix) => prefix === 'rep' || prefix === 'repne')) continue;
    // two prefixes of one group (fs cs, f2 f3): the text keeps one, so the length and a short jump's reach change
    if (repeatsPrefixGroup(bytes)) continue;
    cases.push({ bytes: bytes.subarray(0, result.instruction.length), instruction: result.instruction, text: formatInstruction(result.instruction, { style: 'nasm', bits }) });
  }
  const lines = [`bits ${bits}`, 'org 0'];
  cases.forEach((entry, index) => lines.push(`times ${index * CORPUS_SLOT_BYTES} - ($ - $$) db 0xcc`, entry.text, `end_${index}:`));
  lines.push(`times ${cases.length * CORPUS_SLOT_BYTES} - ($ - $$) db 0xcc`);
  cases.forEach((_, index) => lines.push(`db end_${index} - ${index * CORPUS_SLOT_BYTES}`));
  let image: Uint8Array;
  try {
    image = nasmAssemble(nasm, lines.join('\n') + '\n', ['-w-all']);
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? error);
    const failures = stderr.split('\n').filter((line) => / error: /.test(line)).map((line) => {
      const match = /:(\d+): error: (.*)$/.exec(line);
      const entry = match ? cases[Math.floor((Number(match[1]) - 3) / 3)] : undefined;
      return entry ? `'${entry.text}' [${hex(entry.bytes)}]: nasm: ${match![2]}` : line;
    });
    return { compared: cases.length, failures };
  }
  const failures: string[] = [];
  const slots = slotsOf(image, cases.length);
  cases.forEach((entry, index) => {
    const again = decodeBytes(slots[index], 0, index * CORPUS_SLOT_BYTES, bits);
    const same = again.ok && again.instruction.length === slots[index].length && meaningOf(again.instruction) === meaningOf(entry.instruction);
    if (!same) {
      const text = again.ok ? formatInstruction(again.instruction, { style: 'nasm', bits }) : again.message;
      failures.push(`[${hex(entry.bytes)}] '${entry.text}' -> nasm [${hex(slots[index])}] '${text}'`);
    }
  });
  return { compared: cases.length, failures };
}

describe('round trip: random decoded instructions -> NASM text -> nasm -> the same instruction', function () {
  for (const bits of [32, 16] as const) {
    it(`keeps ${RANDOM_CASES} random instructions the same in ${bits}-bit code`, function () {
      const nasm = requireOracle('nasm', 'apt-get install nasm', 'disassembler random round trip');
      if (!nasm) return this.skip();
      const { compared, failures } = randomRoundTrip(nasm, bits, 0x2e + bits);
      // A repeated prefix changes the length, so the displacement, but not the target: counted as the same
      // instruction through meaningOf. Everything else must come back unchanged.
      console.log(`      random round trip (${bits}-bit): ${compared - failures.length} of ${compared} the same instruction`);
      assert.strictEqual(failures.length, 0, `${failures.length} instructions changed:\n${failures.slice(0, 30).join('\n')}`);
    });
  }
});
