// The instruction forms the host-CPU oracle runs: every mnemonic of issue 3 in each operand size it exists
// in, with register, memory and immediate operands, high-byte registers, and the implicit-operand forms.
import { OperandSize, OperandSpec, renderOperand } from './operand-locations';
import { MEMORY_OPERAND } from './record-layout';
import { SeededRandom } from './seeded-random';

export type VariantFamily =
  | 'arith' | 'logic' | 'incdec' | 'neg' | 'not'
  | 'mul' | 'imul2' | 'imul3' | 'div'
  | 'shift' | 'rotate' | 'rotateCarry' | 'shiftDouble'
  | 'bitTest' | 'bitScan' | 'bswap' | 'xadd' | 'cmpxchg'
  | 'setcc' | 'cmovcc' | 'bcd';

export interface AluVariant {
  readonly index: number;
  readonly mnemonic: string;
  /** The name the per-instruction summary groups by ('setcc' for setz, setl ...). */
  readonly summaryName: string;
  readonly family: VariantFamily;
  readonly size: OperandSize;
  readonly operands: readonly OperandSpec[];
  /** The NASM source line. */
  readonly text: string;
  /** Relative share of the random cases (forms whose operands all come from registers or memory get more). */
  readonly weight: number;
  /** Set for forms whose input space is enumerated instead of sampled (see case-generator.ts). */
  readonly exhaustive?: ExhaustiveSpace;
  /**
   * Instructions after the one under test that read the flags it left (setcc, cmovcc, adc, sbb): they
   * exercise flags still held lazily by the emulator, not just flags materialised by popfd.
   */
  readonly consumer?: FlagConsumer;
}

export interface FlagConsumer {
  readonly text: string;
  /** The consumer rewrites every status flag with a defined value (adc, sbb), so none stays undefined. */
  readonly writesAllFlags: boolean;
}

/**
 * Enumerated input spaces: every pair of 8-bit operands (with both carries for adc/sbb), every 8-bit value
 * with every count 0-63 and both carries for the shifts and rotates, every AL with AF and CF for the BCD adjusts.
 */
export type ExhaustiveSpace = 'byte-pairs' | 'byte-pairs-with-carry' | 'byte-by-count-with-carry' | 'al-with-af-cf';

export function exhaustiveCaseCount(space: ExhaustiveSpace): number {
  switch (space) {
    case 'byte-pairs': return 1 << 16;
    case 'byte-pairs-with-carry': return 1 << 17;
    case 'byte-by-count-with-carry': return 1 << 15;
    case 'al-with-af-cf': return 1 << 11;
  }
}

/** Condition codes in NASM spelling, in the order of their opcode nibble (0x0 = o ... 0xF = g). */
export const CONDITION_CODES = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;

const register = (name: string): OperandSpec => ({ kind: 'register', name });
const memory = (size: OperandSize): OperandSpec => ({ kind: 'memory', size });
const immediate = (value: number): OperandSpec => ({ kind: 'immediate', value: value >>> 0 });

const ACCUMULATOR: Record<OperandSize, string> = { 8: 'al', 16: 'ax', 32: 'eax' };
/** Register pairs (destination, source) that exercise different ModRM reg/rm fields, high bytes included. */
const REGISTER_PAIRS: Record<OperandSize, readonly (readonly [string, string])[]> = {
  8: [['al', 'bl'], ['ch', 'dh'], ['bh', 'cl']],
  16: [['ax', 'bx'], ['dx', 'cx']],
  32: [['eax', 'ebx'], ['edx', 'ecx']],
};
const OTHER_REGISTER: Record<OperandSize, string> = { 8: 'dh', 16: 'bx', 32: 'ebx' };
const SECOND_REGISTER: Record<OperandSize, string> = { 8: 'cl', 16: 'dx', 32: 'edx' };
const SIZES: readonly OperandSize[] = [8, 16, 32];

/** Immediate values for each size: edges on both sides of the sign and of the imm8 sign-extension range. */
function immediateValues(size: OperandSize, random: SeededRandom): number[] {
  const edges: Record<OperandSize, number[]> = {
    8: [0x01, 0x7f, 0x80, 0xff],
    16: [0x0001, 0xffff, 0x0080, 0x7fff, 0x8000],
    32: [0x00000001, 0xffffffff, 0x00000080, 0x7fffffff, 0x80000000],
  };
  return [...edges[size], random.uint32() >>> (32 - size)];
}

export const SHIFT_IMMEDIATE_COUNTS = [0, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 255] as const;

/** Builds the list of forms; immediates that are random come from `random`, so the list is reproducible. */
export function buildVariants(random: SeededRandom): AluVariant[] {
  const variants: AluVariant[] = [];
  const add = (mnemonic: string, family: VariantFamily, size: OperandSize, operands: OperandSpec[], weight: number, summaryName = mnemonic,
    extra: { prefix?: string; exhaustive?: ExhaustiveSpace; consumer?: FlagConsumer } = {}): void => {
    const instruction = (extra.prefix ?? '') + (operands.length ? `${mnemonic} ${operands.map(renderOperand).join(', ')}` : mnemonic);
    const text = extra.consumer ? `${instruction}\n  ${extra.consumer.text}` : instruction;
    variants.push({ index: variants.length, mnemonic, summaryName, family, size, operands, text, weight, exhaustive: extra.exhaustive, consumer: extra.consumer });
  };
  const lock = { prefix: 'lock ' };

  for (const mnemonic of ['add', 'adc', 'sub', 'sbb', 'cmp', 'and', 'or', 'xor', 'test']) {
    const family: VariantFamily = ['and', 'or', 'xor', 'test'].includes(mnemonic) ? 'logic' : 'arith';
    for (const size of SIZES) {
      for (const [destination, source] of REGISTER_PAIRS[size]) add(mnemonic, family, size, [register(destination), register(source)], 1);
      add(mnemonic, family, size, [register(SECOND_REGISTER[size]), register(SECOND_REGISTER[size])], 0.4);
      add(mnemonic, family, size, [register(ACCUMULATOR[size]), memory(size)], 1);
      add(mnemonic, family, size, [memory(size), register(SECOND_REGISTER[size])], 1);
      for (const value of immediateValues(size, random)) {
        add(mnemonic, family, size, [register(ACCUMULATOR[size]), immediate(value)], 0.2);
        add(mnemonic, family, size, [register(OTHER_REGISTER[size]), immediate(value)], 0.2);
        add(mnemonic, family, size, [memory(size), immediate(value)], 0.2);
      }
    }
  }

  for (const size of SIZES) {
    for (const [mnemonic, family] of [['inc', 'incdec'], ['dec', 'incdec'], ['neg', 'neg'], ['not', 'not']] as const) {
      add(mnemonic, family, size, [register(ACCUMULATOR[size])], 1);
      add(mnemonic, family, size, [register(OTHER_REGISTER[size])], 1);
      add(mnemonic, family, size, [memory(size)], 1);
    }
  }

  for (const size of SIZES) {
    for (const mnemonic of ['mul', 'imul']) {
      add(mnemonic, 'mul', size, [register(OTHER_REGISTER[size])], 1.5);
      add(mnemonic, 'mul', size, [memory(size)], 1.5);
      if (size === 8) add(mnemonic, 'mul', size, [register('ch')], 1);
    }
    for (const mnemonic of ['div', 'idiv']) {
      add(mnemonic, 'div', size, [register(OTHER_REGISTER[size])], 2);
      add(mnemonic, 'div', size, [memory(size)], 2);
      add(mnemonic, 'div', size, [register(size === 8 ? 'ch' : size === 16 ? 'cx' : 'ecx')], 1.5);
    }
  }
  for (const size of [16, 32] as const) {
    const [destination, source] = REGISTER_PAIRS[size][0];
    add('imul', 'imul2', size, [register(destination), register(source)], 1.5);
    add('imul', 'imul2', size, [register(SECOND_REGISTER[size]), memory(size)], 1.5);
    for (const value of immediateValues(size, random)) {
      add('imul', 'imul3', size, [register(destination), register(source), immediate(value)], 0.3);
      add('imul', 'imul3', size, [register(SECOND_REGISTER[size]), memory(size), immediate(value)], 0.3);
    }
  }

  const shiftFamilies = [['shl', 'shift'], ['shr', 'shift'], ['sar', 'shift'], ['rol', 'rotate'], ['ror', 'rotate'], ['rcl', 'rotateCarry'], ['rcr', 'rotateCarry']] as const;
  for (const [mnemonic, family] of shiftFamilies) {
    for (const size of SIZES) {
      const target = size === 8 ? 'ah' : ACCUMULATOR[size];
      add(mnemonic, family, size, [register(target), register('cl')], 2);
      add(mnemonic, family, size, [register(OTHER_REGISTER[size]), register('cl')], 1);
      add(mnemonic, family, size, [memory(size), register('cl')], 1.5);
      add(mnemonic, family, size, [register(target), immediate(1)], 0.5);
      add(mnemonic, family, size, [memory(size), immediate(1)], 0.5);
      for (const count of SHIFT_IMMEDIATE_COUNTS) add(mnemonic, family, size, [register(target), immediate(count)], 0.15);
      for (const count of [3, size - 1, size + 1]) add(mnemonic, family, size, [memory(size), immediate(count)], 0.15);
    }
  }

  for (const mnemonic of ['shld', 'shrd']) {
    for (const size of [16, 32] as const) {
      const [destination, source] = REGISTER_PAIRS[size][0];
      add(mnemonic, 'shiftDouble', size, [register(destination), register(source), register('cl')], 2.5);
      add(mnemonic, 'shiftDouble', size, [memory(size), register(SECOND_REGISTER[size]), register('cl')], 2);
      for (const count of [0, 1, 4, 15, 16, 17, 31, 32, 33]) {
        add(mnemonic, 'shiftDouble', size, [register(destination), register(source), immediate(count)], 0.2);
      }
      for (const count of [1, 9]) add(mnemonic, 'shiftDouble', size, [memory(size), register(source), immediate(count)], 0.2);
    }
  }

  for (const mnemonic of ['bt', 'bts', 'btr', 'btc']) {
    for (const size of [16, 32] as const) {
      const [destination, source] = REGISTER_PAIRS[size][0];
      add(mnemonic, 'bitTest', size, [register(destination), register(source)], 1.5);
      add(mnemonic, 'bitTest', size, [memory(size), register(SECOND_REGISTER[size])], 1.5);
      for (const bit of [0, 5, 15, 16, 31, 40, 255]) add(mnemonic, 'bitTest', size, [register(destination), immediate(bit)], 0.15);
      for (const bit of [3, 31]) add(mnemonic, 'bitTest', size, [memory(size), immediate(bit)], 0.15);
    }
  }

  for (const mnemonic of ['bsf', 'bsr']) {
    for (const size of [16, 32] as const) {
      const [destination, source] = REGISTER_PAIRS[size][0];
      add(mnemonic, 'bitScan', size, [register(destination), register(source)], 2);
      add(mnemonic, 'bitScan', size, [register(SECOND_REGISTER[size]), memory(size)], 2);
    }
  }

  add('bswap', 'bswap', 32, [register('eax')], 1);
  add('bswap', 'bswap', 32, [register('edx')], 1);

  for (const size of SIZES) {
    const [destination, source] = REGISTER_PAIRS[size][size === 8 ? 1 : 0];
    add('xadd', 'xadd', size, [register(destination), register(source)], 1.5);
    add('xadd', 'xadd', size, [memory(size), register(SECOND_REGISTER[size])], 1.5);
    add('cmpxchg', 'cmpxchg', size, [register(OTHER_REGISTER[size]), register(SECOND_REGISTER[size])], 1.5);
    add('cmpxchg', 'cmpxchg', size, [memory(size), register(size === 8 ? 'bh' : SECOND_REGISTER[size])], 1.5);
  }

  for (const condition of CONDITION_CODES) {
    add(`set${condition}`, 'setcc', 8, [register('bh')], 0.5, 'setcc');
    add(`set${condition}`, 'setcc', 8, [memory(8)], 0.5, 'setcc');
    for (const size of [16, 32] as const) {
      const [destination, source] = REGISTER_PAIRS[size][1];
      add(`cmov${condition}`, 'cmovcc', size, [register(destination), register(source)], 0.5, 'cmovcc');
      add(`cmov${condition}`, 'cmovcc', size, [register(ACCUMULATOR[size]), memory(size)], 0.5, 'cmovcc');
    }
  }

  for (const mnemonic of ['daa', 'das', 'aaa', 'aas']) add(mnemonic, 'bcd', 8, [], 6);

  // lock-prefixed read-modify-write forms (valid with a memory destination, SDM LOCK)
  for (const size of SIZES) {
    for (const mnemonic of ['add', 'adc', 'sub', 'sbb', 'and', 'or', 'xor']) {
      add(mnemonic, ['and', 'or', 'xor'].includes(mnemonic) ? 'logic' : 'arith', size, [memory(size), register(SECOND_REGISTER[size])], 0.3, mnemonic, lock);
    }
    for (const [mnemonic, family] of [['inc', 'incdec'], ['dec', 'incdec'], ['neg', 'neg'], ['not', 'not']] as const) add(mnemonic, family, size, [memory(size)], 0.3, mnemonic, lock);
    add('xadd', 'xadd', size, [memory(size), register(SECOND_REGISTER[size])], 0.3, 'xadd', lock);
    add('cmpxchg', 'cmpxchg', size, [memory(size), register(size === 8 ? 'bh' : SECOND_REGISTER[size])], 0.3, 'cmpxchg', lock);
  }
  for (const mnemonic of ['bts', 'btr', 'btc']) {
    for (const size of [16, 32] as const) {
      add(mnemonic, 'bitTest', size, [memory(size), register(SECOND_REGISTER[size])], 0.3, mnemonic, lock);
      add(mnemonic, 'bitTest', size, [memory(size), immediate(size - 3)], 0.3, mnemonic, lock);
    }
  }

  // flag producers followed by flag consumers. A consumer may only read flags the producer defines: after
  // shl (OF undefined for counts > 1) only conditions on CF ZF SF PF; after bt and imul only CF and OF.
  const all = CONDITION_CODES;
  const carryZeroSignParity = ['b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np'] as const;
  const producers: readonly [string, VariantFamily, OperandSize, OperandSpec[], readonly string[], 'setcc' | 'cmovcc'][] = [
    ['cmp', 'arith', 32, [register('eax'), register('ebx')], all, 'setcc'],
    ['sub', 'arith', 16, [register('ax'), register('bx')], all, 'setcc'],
    ['add', 'arith', 8, [register('al'), register('bl')], all, 'setcc'],
    ['and', 'logic', 32, [register('eax'), register('ebx')], all, 'setcc'],
    ['inc', 'incdec', 32, [register('ecx')], all, 'setcc'],
    ['neg', 'neg', 32, [register('ebx')], all, 'setcc'],
    ['shl', 'shift', 32, [register('eax'), register('cl')], carryZeroSignParity, 'setcc'],
    ['bt', 'bitTest', 32, [register('eax'), register('ebx')], ['b', 'ae'], 'setcc'],
    ['imul', 'imul2', 32, [register('eax'), register('ebx')], ['o', 'no', 'b', 'ae'], 'setcc'],
    ['cmp', 'arith', 16, [register('ax'), register('bx')], all, 'cmovcc'],
    ['test', 'logic', 8, [register('al'), register('bl')], all, 'cmovcc'],
    ['sbb', 'arith', 32, [register('eax'), register('ebx')], all, 'cmovcc'],
  ];
  for (const [mnemonic, family, size, operands, conditions, kind] of producers) {
    for (const condition of conditions) {
      const text = kind === 'setcc' ? `set${condition} dl` : `cmov${condition} edx, ecx`;
      add(mnemonic, family, size, operands, 0.15, `flags>${kind}`, { consumer: { text, writesAllFlags: false } });
    }
  }
  const carryChains: readonly [string, VariantFamily, OperandSize, OperandSpec[], string][] = [
    ['add', 'arith', 32, [register('eax'), register('ebx')], 'adc ecx, edx'],
    ['sub', 'arith', 16, [register('ax'), register('bx')], 'sbb cx, dx'],
    ['cmp', 'arith', 8, [register('al'), register('bl')], 'adc cl, dl'],
    ['add', 'arith', 32, [register('eax'), register('ebx')], 'dec ecx\n  setbe dl'],
    ['shl', 'shift', 32, [register('eax'), register('cl')], 'adc edx, 0'],
    ['neg', 'neg', 32, [register('ebx')], 'sbb edx, edx'],
    ['bt', 'bitTest', 32, [register('eax'), register('ebx')], 'adc edx, 0'],
    ['inc', 'incdec', 32, [register('eax')], 'adc edx, 0'],
    ['imul', 'imul2', 32, [register('eax'), register('ebx')], 'adc ecx, 0'],
    ['mul', 'mul', 32, [register('ebx')], 'adc ecx, 0'],
  ];
  for (const [mnemonic, family, size, operands, consumer] of carryChains) {
    // 'dec' then 'setbe' leaves dec's flags and the add's CF: all defined, like adc/sbb's
    add(mnemonic, family, size, operands, 1, 'flags>carry', { consumer: { text: consumer, writesAllFlags: true } });
  }

  // misaligned memory operands (a word across a dword boundary, a dword at +1): the unaligned access paths
  const misaligned = (size: OperandSize): OperandSpec => ({ kind: 'memory', size, offset: size === 16 ? MEMORY_OPERAND + 3 : MEMORY_OPERAND + 1 });
  for (const size of [16, 32] as const) {
    for (const mnemonic of ['add', 'sbb', 'xor', 'cmp']) {
      const family: VariantFamily = mnemonic === 'xor' ? 'logic' : 'arith';
      add(mnemonic, family, size, [misaligned(size), register(SECOND_REGISTER[size])], 0.4);
      add(mnemonic, family, size, [register(ACCUMULATOR[size]), misaligned(size)], 0.4);
    }
    add('inc', 'incdec', size, [misaligned(size)], 0.4);
    add('neg', 'neg', size, [misaligned(size)], 0.4);
    add('mul', 'mul', size, [misaligned(size)], 0.4);
    add('idiv', 'div', size, [misaligned(size)], 0.6);
    add('imul', 'imul3', size, [register(SECOND_REGISTER[size]), misaligned(size), immediate(size === 16 ? 0x1234 : 0x12345678)], 0.4);
    for (const mnemonic of ['rcl', 'sar']) add(mnemonic, mnemonic === 'rcl' ? 'rotateCarry' : 'shift', size, [misaligned(size), register('cl')], 0.4);
    add('shrd', 'shiftDouble', size, [misaligned(size), register(REGISTER_PAIRS[size][0][1]), register('cl')], 0.4);
    add('btc', 'bitTest', size, [misaligned(size), immediate(size - 1)], 0.4);
    add('bsr', 'bitScan', size, [register(SECOND_REGISTER[size]), misaligned(size)], 0.4);
    add('xadd', 'xadd', size, [misaligned(size), register(SECOND_REGISTER[size])], 0.4);
    add('cmpxchg', 'cmpxchg', size, [misaligned(size), register(SECOND_REGISTER[size])], 0.4, 'cmpxchg', lock);
    add('cmovl', 'cmovcc', size, [register(ACCUMULATOR[size]), misaligned(size)], 0.4, 'cmovcc');
  }

  // enumerated 8-bit spaces: every operand pair, every value and count, every AL
  for (const mnemonic of ['add', 'adc', 'sub', 'sbb', 'cmp', 'and', 'or', 'xor', 'test']) {
    const family: VariantFamily = ['and', 'or', 'xor', 'test'].includes(mnemonic) ? 'logic' : 'arith';
    const space: ExhaustiveSpace = mnemonic === 'adc' || mnemonic === 'sbb' ? 'byte-pairs-with-carry' : 'byte-pairs';
    add(mnemonic, family, 8, [register('al'), register('bl')], 0, mnemonic, { exhaustive: space });
  }
  for (const [mnemonic, family] of shiftFamilies) add(mnemonic, family, 8, [register('al'), register('cl')], 0, mnemonic, { exhaustive: 'byte-by-count-with-carry' });
  for (const mnemonic of ['daa', 'das', 'aaa', 'aas']) add(mnemonic, 'bcd', 8, [], 0, mnemonic, { exhaustive: 'al-with-af-cf' });
  return variants;
}

/** The form on one line (a producer and its consumers joined by '; '). */
export function displayText(variant: AluVariant): string {
  return variant.text.replace(/\n\s*/g, '; ');
}
