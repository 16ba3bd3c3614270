// The decoder against ndisasm (ships with nasm): for 120,000 reproducible random byte strings in 32-bit
// code (and 30,000 in 16-bit code) the first instruction's length, mnemonic and operands must agree
// whenever the table covers its opcode; where it does not, the decoder must say 'unknown-opcode'.
// A third of the cases are plain random bytes; the rest are prefixes + a table opcode + random ModRM/tail.
//
// Batching: every case sits in its own 16-byte slot of one file and ndisasm gets a sync point (-s) at every
// slot start, so its first line for each slot decodes exactly the case's bytes (nothing crosses a slot).
//
// Normalisation (both texts): lower case, no blanks; the keywords byte/word/dword/qword/short/near/strict/
// nosplit dropped (sizes are carried by the registers, the o16/a16 prefixes, and a non-default size keyword
// before an immediate, which counts as the o16/o32 prefix it stands for); a16/a32 dropped (the address
// registers show the address size); every number compared as a value (ndisasm's `byte -0x1` and our
// `0xffffffff` are one value; immediates of a 16-bit operand size modulo 2^16); `*1` dropped; mnemonics
// mapped to the table's canonical name through its aliases (ndisasm says jnc, the table jae...); ndisasm's
// xrelease/xacquire/bnd read as rep/repne; xchg's two operands compared as a set; the width of the general
// register in mov sreg,reg ignored. Equivalent spellings: pause = rep nop, xchg (e)ax,(e)ax = nop when we
// decoded 90, `aam 0xa` = aam, loop/jcxz's explicit count register = our a16 prefix.
//
// Where the SDM and ndisasm differ, the case is counted in its own bucket, never as agreement: lock on a
// form or operand where it is #UD, cr1/cr5-7 and segment registers 6/7 (#UD), mov to cs (#UD), mov to/from
// cr/dr with ModRM.mod != 3 (the SDM ignores mod; ndisasm rejects it), FWAIT shown by ndisasm as a prefix,
// later CPUs' instructions behind a prefix a Pentium II ignores (lzcnt = rep bsr), instructions ndisasm
// knows and the table does not (SSE, VMX, TSX: 'notInTable'), operand sizes the table lacks (movzx r16).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { DecodeResult } from '../../core/isa/decoded';
import { decodeBytes, isOpcodeSlotKnown } from '../../core/isa/decoder';
import { formatInstruction } from '../../core/isa/disassembler';
import { INSTRUCTION_TABLE } from '../../core/isa/table';
import { requireOracle } from '../support/oracle-tools';

const CASE_COUNT = 120_000;
const CASE_COUNT_16 = 30_000;
const SLOT = 16;
const CASES_PER_NDISASM_RUN = 20_000;
const SEED = 0x2e5e7e11;

/** mulberry32: small, seeded, reproducible. */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREFIX_BYTES = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

/** Fills `slot` with a case: a third plain random, the rest prefixes + a table opcode + random ModRM and tail. */
function generateCase(random: () => number, slot: Uint8Array): void {
  for (let i = 0; i < SLOT; i++) slot[i] = Math.floor(random() * 256);
  if (random() < 0.33) return;
  let position = 0;
  const prefixCount = random() < 0.5 ? 0 : Math.floor(random() * 4);
  for (let i = 0; i < prefixCount; i++) slot[position++] = PREFIX_BYTES[Math.floor(random() * PREFIX_BYTES.length)];
  const form = INSTRUCTION_TABLE[Math.floor(random() * INSTRUCTION_TABLE.length)];
  form.opcode.forEach((byte, i) => {
    const last = i === form.opcode.length - 1;
    slot[position++] = last && form.regInOpcode ? (byte & 0xf8) | Math.floor(random() * 8) : byte;
  });
  if (typeof form.modrm === 'number' && random() < 0.8) {
    slot[position] = (slot[position] & 0xc7) | (form.modrm << 3);
  }
}

interface NdisasmLine { length: number; text: string }

/** Runs ndisasm over `count` slots and returns the first line of each slot. */
function runNdisasm(ndisasm: string, directory: string, image: Uint8Array, count: number, bits: 16 | 32): NdisasmLine[] {
  const file = path.join(directory, 'cases.bin');
  fs.writeFileSync(file, image);
  const args = ['-b', String(bits)];
  for (let i = 0; i < count; i++) args.push('-s', String(i * SLOT));
  args.push(file);
  const output = execFileSync(ndisasm, args, { maxBuffer: 256 * 1024 * 1024 }).toString('latin1');
  const lines: NdisasmLine[] = new Array(count);
  let current: NdisasmLine | undefined;
  for (const raw of output.split('\n')) {
    // continuation lines of long instructions: blanks, then '-' and more hex
    const continuation = /^\s+-([0-9A-F]+)\s*$/.exec(raw);
    if (continuation) {
      if (current) current.length += continuation[1].length / 2;
      continue;
    }
    const match = /^([0-9A-F]{8})\s+([0-9A-F]+)\s+(.*)$/.exec(raw);
    if (!match) continue;
    const offset = parseInt(match[1], 16);
    current = undefined;
    if (offset % SLOT !== 0) continue;
    current = { length: match[2].length / 2, text: match[3].trim() };
    lines[offset / SLOT] = current;
  }
  return lines;
}

// ---- normalisation --------------------------------------------------------------------------------

const CANONICAL_MNEMONIC = new Map<string, string>();
for (const form of INSTRUCTION_TABLE) {
  CANONICAL_MNEMONIC.set(form.mnemonic, form.mnemonic);
}
for (const form of INSTRUCTION_TABLE) {
  for (const alias of form.aliases ?? []) if (!CANONICAL_MNEMONIC.has(alias)) CANONICAL_MNEMONIC.set(alias, form.mnemonic);
}
const TABLE_MNEMONICS = new Set(CANONICAL_MNEMONIC.keys());

/** ndisasm names F3/F2 after TSX (xrelease/xacquire) beside lock; on a Pentium II they are rep/repne. */
// ... and F2 before a branch 'bnd' (MPX), which a Pentium II ignores like any repne on a branch.
const PREFIX_SYNONYMS: Record<string, string> = { repz: 'repe', repnz: 'repne', xrelease: 'rep', xacquire: 'repne', bnd: 'repne' };

const DROPPED_WORDS = /\b(byte|word|dword|qword|tword|short|near|strict|nosplit)\s+/g;

function normaliseNumber(text: string, sixteenBitImmediate: boolean): string {
  const negative = text.startsWith('-');
  const magnitude = Number(text.replace(/^[-+]/, ''));
  let value = negative ? 2 ** 32 - magnitude : magnitude;
  value = value % 2 ** 32;
  if (sixteenBitImmediate) value %= 2 ** 16;
  return '#' + value.toString(16);
}

/** The comparable form of one instruction text: canonical mnemonic, prefixes, normalised operands. */
function normalise(text: string, operandSize: 16 | 32, bits: 16 | 32): string {
  let body = text.toLowerCase().replace(/;.*$/, '').replace(DROPPED_WORDS, '').trim()
    // a lone index with scale 1 is the same address as that register as a base
    .replace(/\*1\b/g, '');
  const words = body.split(/\s+/);
  const prefixes: string[] = [];
  while (words.length > 1 && /^(lock|rep|repe|repz|repne|repnz|xacquire|xrelease|bnd|o16|o32|a16|a32|es|cs|ss|ds|fs|gs)$/.test(words[0])) {
    const prefix = words.shift()!;
    // the address size shows in the address registers (ndisasm omits a16 where it changes nothing)
    if (prefix === 'a16' || prefix === 'a32') continue;
    prefixes.push(PREFIX_SYNONYMS[prefix] ?? prefix);
  }
  const mnemonic = CANONICAL_MNEMONIC.get(words[0]) ?? words[0];
  // `push word 0xb` and ndisasm's `o16 push byte +0xb` both say o16 in 32-bit code (dword/o32 in 16-bit
  // code): a non-default size keyword before an immediate stands for the prefix, unless a register of
  // that size shows it already (`[word 0x12]`, a 16-bit address, is no such keyword)
  const lower = text.toLowerCase();
  const sizeWord = operandSize === 16 ? 'word' : 'dword';
  const sizedRegisters = operandSize === 16 ? /\b(ax|bx|cx|dx|sp|bp|si|di)\b/ : /\be(ax|bx|cx|dx|sp|bp|si|di)\b/;
  const sizePrefix = `o${operandSize}`;
  if (operandSize !== bits && new RegExp(`(^|[\\s,])${sizeWord}\\s+(near\\s+)?[-+]?(0x|\\d)`).test(lower)
    && !sizedRegisters.test(lower.replace(/\[[^\]]*\]/g, '')) && !prefixes.includes(sizePrefix)) {
    prefixes.push(sizePrefix);
  }
  body = words.slice(1).join('');
  const operands = body.length === 0 ? [] : body.split(',').map((operand) => {
    const inMemory = operand.includes('[');
    // numbers become '#value'; a '+' or '-' before one folds into the value; '*scale' stays literal
    return operand.replace(/(\*?)([+-]?)(0x[0-9a-f]+|\b\d+\b)/g, (all: string, star: string, sign: string, number: string) =>
      star ? all : normaliseNumber(sign + number, operandSize === 16 && !inMemory));
  });
  if (mnemonic === 'xchg') operands.sort();
  // mov sreg, reg reads 16 bits whatever the register's width: compare the register, not its name's width
  if (mnemonic === 'mov' && operands.some((operand) => /^(es|cs|ss|ds|fs|gs)$/.test(operand))) {
    for (let i = 0; i < operands.length; i++) operands[i] = operands[i].replace(/^e?([a-d]x|sp|bp|si|di)$/, 'e$1');
    const o16 = prefixes.indexOf('o16');
    if (o16 >= 0) prefixes.splice(o16, 1);
  }
  return [...prefixes.sort(), mnemonic, operands.join(',')].join(' ').trim();
}

// ---- the suite --------------------------------------------------------------------------------------

interface Figures {
  cases: number;
  compared: number;
  agreed: number;
  bothRejected: number;
  unknownOpcode: number;
  notInTable: number;
  lockUndefined: number;
  controlRegisterMod: number;
  waitAsPrefix: number;
  movToCs: number;
  operandSizeNotInTable: number;
  nonexistentRegister: number;
  laterExtension: number;
  mismatched: number;
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The first word of ndisasm's text that is not a prefix: its mnemonic. */
function ndisasmMnemonic(text: string): string {
  const words = text.toLowerCase().split(/\s+/);
  while (words.length > 1 && /^(lock|rep|repe|repne|bnd|xacquire|xrelease|o16|o32|a16|a32|es|cs|ss|ds|fs|gs)$/.test(words[0])) words.shift();
  return words[0];
}

interface Comparison {
  figures: Figures;
  examples: Map<string, string[]>;
  mismatches: string[];
}

/** Generates `caseCount` cases from `seed`, runs ndisasm -b `bits` over them in batches, and judges each. */
function compareWithNdisasm(ndisasm: string, bits: 16 | 32, caseCount: number, seed: number): Comparison {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-ndisasm-'));
  const random = makeRandom(seed);
  const figures: Figures = {
    cases: 0, compared: 0, agreed: 0, bothRejected: 0, unknownOpcode: 0, notInTable: 0, lockUndefined: 0, controlRegisterMod: 0,
    waitAsPrefix: 0, movToCs: 0, operandSizeNotInTable: 0, nonexistentRegister: 0, laterExtension: 0, mismatched: 0,
  };
  const mismatches: string[] = [];
  const examples = new Map<string, string[]>();
  try {
    // 16-bit code lives below 64 KiB: there each batch is small enough for every address to fit in IP
    const batch = bits === 16 ? 0x10000 / SLOT : CASES_PER_NDISASM_RUN;
    for (let start = 0; start < caseCount; start += batch) {
      const count = Math.min(batch, caseCount - start);
      const image = new Uint8Array(count * SLOT);
      for (let i = 0; i < count; i++) generateCase(random, image.subarray(i * SLOT, (i + 1) * SLOT));
      const reference = runNdisasm(ndisasm, directory, image, count, bits);
      for (let i = 0; i < count; i++) {
        const bytes = image.subarray(i * SLOT, (i + 1) * SLOT);
        const theirs = reference[i];
        assert.ok(theirs, `ndisasm printed no line for slot ${i} (${hexOf(bytes)})`);
        figures.cases++;
        const ours = decodeBytes(bytes, 0, i * SLOT, bits);
        const verdict = judge(bytes, ours, theirs, bits);
        figures[verdict.bucket]++;
        const shown = hexOf(bytes.subarray(0, Math.max(theirs.length, 1)));
        if (verdict.bucket === 'agreed' || verdict.bucket === 'mismatched') figures.compared++;
        if (verdict.bucket !== 'agreed' && verdict.bucket !== 'mismatched') {
          const list = examples.get(verdict.bucket) ?? [];
          if (list.length < 2) list.push(`${shown} ndisasm '${theirs.text}' / ours ${verdict.detail}`);
          examples.set(verdict.bucket, list);
        }
        if (verdict.bucket === 'mismatched' && mismatches.length < 40) {
          mismatches.push(`${shown}: ndisasm '${theirs.text}' (${theirs.length}) vs ours ${verdict.detail}`);
        }
      }
    }
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
  return { figures, examples, mismatches };
}

function report(bits: number, { figures, examples, mismatches }: Comparison): void {
  console.log(`      ndisasm -b ${bits} agreement: ${JSON.stringify(figures)}`);
  for (const [bucket, list] of examples) for (const line of list) console.log(`      e.g. ${bucket}: ${line}`);
  for (const line of mismatches) console.log(`      mismatch ${line}`);
}

describe('decoder against ndisasm (random byte strings)', function () {
  it(`agrees with ndisasm -b 32 on length and operands for ${CASE_COUNT} cases`, function () {
    const ndisasm = requireOracle('ndisasm', 'apt-get install nasm', 'decoder vs ndisasm');
    if (!ndisasm) return this.skip();
    const comparison = compareWithNdisasm(ndisasm, 32, CASE_COUNT, SEED);
    report(32, comparison);
    assert.ok(comparison.figures.cases >= 100_000);
    assert.ok(comparison.figures.compared > 50_000, 'too few cases compared: the table or the generator is not doing its job');
    assert.strictEqual(comparison.figures.mismatched, 0, `${comparison.figures.mismatched} cases disagree with ndisasm`);
  });

  it(`agrees with ndisasm -b 16 (16-bit code) for ${CASE_COUNT_16} cases`, function () {
    const ndisasm = requireOracle('ndisasm', 'apt-get install nasm', 'decoder vs ndisasm');
    if (!ndisasm) return this.skip();
    const comparison = compareWithNdisasm(ndisasm, 16, CASE_COUNT_16, SEED + 16);
    report(16, comparison);
    assert.ok(comparison.figures.compared > CASE_COUNT_16 / 2, 'too few cases compared');
    assert.strictEqual(comparison.figures.mismatched, 0, `${comparison.figures.mismatched} cases disagree with ndisasm`);
  });
});

type Bucket = Exclude<keyof Figures, 'cases' | 'compared'>;

function judge(bytes: Uint8Array, ours: DecodeResult, theirs: NdisasmLine, bits: 16 | 32): { bucket: Bucket; detail: string } {
  const theyReject = theirs.text.startsWith('db ') || isPrefixOnly(theirs.text);
  if (!ours.ok) {
    const detail = `${ours.reason}: ${ours.message}`;
    if (ours.reason === 'unknown-opcode') {
      // by construction the table has no row for the opcode; make sure the decoder did not miss one
      if (!opcodeSlotOf(bytes).known) return { bucket: 'unknownOpcode', detail };
      // the table has the opcode but no row for this operand size (movzx r16, bswap r16)
      if (/-bit operands is not in the instruction table/.test(ours.message)) return { bucket: 'operandSizeNotInTable', detail };
      return { bucket: 'mismatched', detail: `unknown-opcode for a known slot: ${detail}` };
    }
    if (theyReject) return { bucket: 'bothRejected', detail };
    // SDM: LOCK on a non-lockable instruction or a register destination is #UD; ndisasm still prints it
    if (ours.reason === 'invalid' && /\block\b/.test(theirs.text.toLowerCase()) && /lock/.test(ours.message)) {
      return { bucket: 'lockUndefined', detail };
    }
    // SDM: mov to/from cr1, cr5-cr7 and segment registers 6 and 7 raise #UD; ndisasm prints cr7 / segr7
    if (ours.reason === 'invalid' && /\b(segr[67]|cr(1[0-5]|[15-9]))\b/.test(theirs.text.toLowerCase())) {
      return { bucket: 'nonexistentRegister', detail };
    }
    // SDM MOV: "If an attempt is made to load the CS register ... #UD"; ndisasm prints mov cs,...
    if (ours.reason === 'invalid' && /cannot load cs/.test(ours.message) && /\bmov cs,/.test(theirs.text.toLowerCase())) {
      return { bucket: 'movToCs', detail };
    }
    // ndisasm knows instructions the table (Pentium II, no x87/MMX/SSE) does not have at this opcode
    if (!TABLE_MNEMONICS.has(ndisasmMnemonic(theirs.text))) return { bucket: 'notInTable', detail };
    return { bucket: 'mismatched', detail };
  }
  const instruction = ours.instruction;
  const text = formatInstruction(instruction, { style: 'nasm', bits });
  if (theyReject) {
    // SDM vol. 2 MOV (control/debug registers): "the 2 bits in the mod field are ignored"; ndisasm rejects mod != 3
    if (instruction.operands.some((operand) => operand.kind === 'creg' || operand.kind === 'dreg')) {
      return { bucket: 'controlRegisterMod', detail: text };
    }
    return { bucket: 'mismatched', detail: `'${text}' (${instruction.length})` };
  }
  // SDM: FWAIT (9B) is an instruction of its own; ndisasm prints it as a prefix of what follows
  if (instruction.form.opcode.length === 1 && instruction.form.opcode[0] === 0x9b && /\bwait\s+\S/.test(theirs.text)) {
    return { bucket: 'waitAsPrefix', detail: text };
  }
  // a later CPU's instruction behind a prefix a Pentium II ignores (F3 0F BD lzcnt runs as bsr there)
  if (!TABLE_MNEMONICS.has(ndisasmMnemonic(theirs.text)) && instruction.rep !== null) {
    return { bucket: 'laterExtension', detail: text };
  }
  const ourForm = normalise(text, instruction.operandSize, bits);
  const theirForm = normalise(equivalentNdisasmText(theirs.text, instruction.form.mnemonic === 'nop', bits), instruction.operandSize, bits);
  // where both name the size of a memory operand, the sizes must agree (movzx eax, byte / word [ecx])
  const ourSize = memorySizeKeyword(text);
  const theirSize = memorySizeKeyword(theirs.text);
  const sizesAgree = ourSize === undefined || theirSize === undefined || ourSize === theirSize;
  return instruction.length === theirs.length && ourForm === theirForm && sizesAgree
    ? { bucket: 'agreed', detail: text }
    : { bucket: 'mismatched', detail: `'${text}' (${instruction.length}) [${ourForm} | ${theirForm}] sizes ${ourSize}/${theirSize}` };
}

/** The size keyword written before a memory operand (`dword [eax]`), if any. */
function memorySizeKeyword(text: string): string | undefined {
  return /\b(byte|word|dword|qword)\s+\[/.exec(text.toLowerCase())?.[1];
}

/** ndisasm spellings with a different but equivalent NASM text (each a documented equivalence). */
function equivalentNdisasmText(text: string, oursIsNop: boolean, bits: 16 | 32): string {
  // SDM: NOP (90) is the one-byte form of xchg (e)ax,(e)ax
  if (oursIsNop) {
    text = bits === 32
      ? text.replace(/\bxchg ax,ax$/, 'o16 nop').replace(/\bxchg eax,eax$/, 'nop')
      : text.replace(/\bxchg eax,eax$/, 'o32 nop').replace(/\bxchg ax,ax$/, 'nop');
  }
  return text
    // PAUSE is F3 90, which a Pentium II executes as a NOP with a REP prefix
    .replace(/^pause$/, 'rep nop')
    // with an address-size prefix ndisasm names the count register of loop/jcxz; ours says a16 instead
    .replace(/^(.*\b(?:loop\w*|jcxz|jecxz) \S+),e?cx$/, '$1')
    // D4 0A / D5 0A are aam / aad with their default base 10
    .replace(/\b(aam|aad) 0xa$/, '$1');
}

/** ndisasm prints a prefix alone when what follows is not an instruction to it. */
function isPrefixOnly(text: string): boolean {
  return /^(lock|rep|repe|repne|o16|o32|a16|a32|es|cs|ss|ds|fs|gs|bnd|xacquire|xrelease)$/.test(text.trim().toLowerCase());
}

function opcodeSlotOf(bytes: Uint8Array): { known: boolean } {
  let i = 0;
  while (i < bytes.length - 1 && PREFIX_BYTES.includes(bytes[i])) i++;
  return { known: bytes[i] === 0x0f ? isOpcodeSlotKnown(0x0f, bytes[i + 1]) : isOpcodeSlotKnown(bytes[i]) };
}
