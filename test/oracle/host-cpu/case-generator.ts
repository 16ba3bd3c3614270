// Fills case records with random inputs for one form: every register and the memory area random, the
// operands biased toward edge values, and per family the inputs that reach the interesting paths
// (shift counts around the masks, dividends whose quotient just fits or just overflows, zero bsf sources).
import { FLAG_BITS, EFLAGS_RESERVED_ONE, FAULT_NOT_RUN, IN_EFLAGS, MEMORY_AREA, MEMORY_AREA_WORDS, OUT_FAULT, OUT_REGISTERS, RECORD_WORDS } from './record-layout';
import { OperandSize, RecordField, operandField, readField, registerField, sizeMask, writeField } from './operand-locations';
import { SeededRandom } from './seeded-random';
import { AluVariant, ExhaustiveSpace } from './variants';

const VARIED_FLAGS = [FLAG_BITS.CF, FLAG_BITS.PF, FLAG_BITS.AF, FLAG_BITS.ZF, FLAG_BITS.SF, FLAG_BITS.OF, FLAG_BITS.DF];

const OPERAND_SIZES: readonly OperandSize[] = [8, 16, 32];
const variantFields = new WeakMap<AluVariant, readonly (RecordField | undefined)[]>();

function fieldsOf(variant: AluVariant): readonly (RecordField | undefined)[] {
  let fields = variantFields.get(variant);
  if (!fields) variantFields.set(variant, (fields = variant.operands.map(operandField)));
  return fields;
}

function randomRegister(random: SeededRandom): number {
  if (random.chance(0.4)) return random.uint32();
  const size = OPERAND_SIZES[random.below(3)];
  let value = size === 32 ? random.operand(32) : ((random.uint32() & ~sizeMask(size)) | random.operand(size)) >>> 0;
  if (random.chance(0.3)) value = ((value & 0xffff00ff) | (random.operand(8) << 8)) >>> 0;
  return value;
}

function randomFlags(random: SeededRandom): number {
  let eflags = EFLAGS_RESERVED_ONE;
  for (const bit of VARIED_FLAGS) if (random.chance(0.5)) eflags |= bit;
  return eflags;
}

/** Writes case number `caseIndex` of `variant` at record `recordIndex` of `words`. */
export function generateCase(variant: AluVariant, random: SeededRandom, words: Uint32Array, recordIndex: number, caseIndex = 0): void {
  const base = recordIndex * RECORD_WORDS;
  words.fill(0, base, base + RECORD_WORDS);
  for (let register = 0; register < 4; register++) words[base + register] = randomRegister(random);
  words[base + IN_EFLAGS / 4] = randomFlags(random);
  for (let i = 0; i < MEMORY_AREA_WORDS; i++) words[base + MEMORY_AREA / 4 + i] = randomRegister(random);
  words[base + OUT_FAULT / 4] = FAULT_NOT_RUN;
  words.fill(0xdeadbeef, base + OUT_REGISTERS / 4, base + OUT_REGISTERS / 4 + 5);

  const fields = fieldsOf(variant);
  for (const field of fields) if (field && random.chance(0.6)) writeField(words, base, field, random.operand(field.size));
  adjustForFamily(variant, fields, random, words, base);
  if (variant.exhaustive) enumerateCase(variant.exhaustive, fields, caseIndex, words, base);
}

/** Overrides the sampled inputs with point `caseIndex` of the enumerated space (other inputs stay random). */
function enumerateCase(space: ExhaustiveSpace, fields: readonly (RecordField | undefined)[], caseIndex: number, words: Uint32Array, base: number): void {
  const eflags = base + IN_EFLAGS / 4;
  const setFlag = (bit: number, on: number): void => { words[eflags] = on ? words[eflags] | bit : words[eflags] & ~bit; };
  switch (space) {
    case 'byte-pairs':
    case 'byte-pairs-with-carry':
      writeField(words, base, fields[0] as RecordField, caseIndex & 0xff);
      writeField(words, base, fields[1] as RecordField, (caseIndex >> 8) & 0xff);
      if (space === 'byte-pairs-with-carry') setFlag(FLAG_BITS.CF, (caseIndex >> 16) & 1);
      break;
    case 'byte-by-count-with-carry':
      writeField(words, base, fields[0] as RecordField, caseIndex & 0xff);
      writeField(words, base, fields[1] as RecordField, (caseIndex >> 8) & 0x3f);
      setFlag(FLAG_BITS.CF, (caseIndex >> 14) & 1);
      break;
    case 'al-with-af-cf':
      writeField(words, base, registerField('al'), caseIndex & 0xff);
      setFlag(FLAG_BITS.AF, (caseIndex >> 8) & 1);
      setFlag(FLAG_BITS.CF, (caseIndex >> 9) & 1);
      if ((caseIndex >> 10) & 1) writeField(words, base, registerField('ah'), 0xff); // carries and borrows through AH
      break;
  }
}

function adjustForFamily(variant: AluVariant, fields: readonly (RecordField | undefined)[], random: SeededRandom, words: Uint32Array, base: number): void {
  const size = variant.size;
  const mask = sizeMask(size);
  const [first, second, third] = fields;
  switch (variant.family) {
    case 'arith':
    case 'logic':
    case 'xadd':
      if (first && second && random.chance(0.2)) {
        const destination = readField(words, base, first, 'input');
        writeField(words, base, second, random.chance(0.5) ? destination : (-destination & mask) >>> 0);
      }
      break;
    case 'shift':
    case 'rotate':
    case 'rotateCarry':
      if (second && variant.operands[1].kind === 'register') writeField(words, base, second, random.shiftCount());
      break;
    case 'shiftDouble':
      if (third && variant.operands[2].kind === 'register') writeField(words, base, third, random.shiftCount());
      break;
    case 'bitTest':
      // A register bit offset with a memory base addresses the bit string beyond the operand (SDM BT): keep it
      // within the record's memory area, a dword either side of the operand.
      if (first && second && variant.operands[0].kind === 'memory') writeField(words, base, second, (random.below(128) - 32) & mask);
      break;
    case 'bitScan':
      if (second && random.chance(0.15)) writeField(words, base, second, 0);
      break;
    case 'cmpxchg':
      if (first && random.chance(0.5)) {
        writeField(words, base, registerField(size === 8 ? 'al' : size === 16 ? 'ax' : 'eax'), readField(words, base, first, 'input'));
      }
      break;
    case 'div':
      if (first) writeDivision(variant.mnemonic === 'idiv', size, first, random, words, base);
      break;
    case 'bcd':
      writeField(words, base, registerField('al'), random.bcdByte());
      if (random.chance(0.5)) writeField(words, base, registerField('ah'), random.bcdByte());
      break;
    default:
      break;
  }
}

/** Chooses divisor and dividend so that most quotients fit, some just overflow, and some divisors are zero. */
function writeDivision(signed: boolean, size: OperandSize, divisorField: RecordField, random: SeededRandom, words: Uint32Array, base: number): void {
  const bits = BigInt(size);
  const modulus = 1n << bits;
  const wideModulus = 1n << (2n * bits);
  const toSigned = (value: bigint, width: bigint): bigint => (value >= 1n << (width - 1n) ? value - (1n << width) : value);
  let divisor = BigInt(random.operand(size));
  let dividend: bigint;
  const roll = random.below(100);
  if (roll < 6) {
    divisor = 0n;
    dividend = BigInt(random.uint32()) * BigInt(random.uint32()) % wideModulus;
  } else if (roll < 30) {
    // arbitrary dividend: usually overflows unless the high half happens to be small
    const high = random.chance(0.5) ? BigInt(random.operand(size)) : BigInt(random.below(4));
    dividend = ((high << bits) | BigInt(random.operand(size))) % wideModulus;
  } else {
    if (divisor === 0n) divisor = 1n;
    const signedDivisor = signed ? toSigned(divisor, bits) : divisor;
    const limit = signed ? 1n << (bits - 1n) : modulus;
    let quotient = signed ? toSigned(BigInt(random.operand(size)), bits) : BigInt(random.operand(size));
    if (random.chance(0.1)) quotient = signed ? random.pick([limit, -limit - 1n, limit - 1n, -limit]) : random.pick([modulus, modulus - 1n, modulus + 1n]);
    const magnitude = signedDivisor < 0n ? -signedDivisor : signedDivisor;
    let remainder = BigInt(random.uint32()) % magnitude;
    const product = quotient * signedDivisor;
    if (product < 0n || (product === 0n && signed && random.chance(0.5))) remainder = -remainder;
    dividend = (((product + remainder) % wideModulus) + wideModulus) % wideModulus;
  }
  if (size === 8) {
    writeField(words, base, registerField('ax'), Number(dividend));
  } else {
    const low = registerField(size === 16 ? 'ax' : 'eax');
    const high = registerField(size === 16 ? 'dx' : 'edx');
    writeField(words, base, low, Number(dividend & (modulus - 1n)));
    writeField(words, base, high, Number(dividend >> bits));
  }
  writeField(words, base, divisorField, Number(divisor));
}
