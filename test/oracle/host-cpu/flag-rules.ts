// Which outputs of a case the oracle compares: the table row's undefined flags (the static part) adjusted by
// the Intel SDM's value-dependent rules, each cited where it is applied. Undefined flags and undefined
// results are masked; everything else must be equal.
import type { FlagName, InstructionForm } from '../../../core/isa/types';
import { COMPARED_FLAGS_MASK, FLAG_BITS, MEMORY_AREA, MEMORY_OPERAND } from './record-layout';
import { OperandSpec, RecordField, operandField, readField, sizeMask } from './operand-locations';
import { AluVariant } from './variants';

const STATUS_FLAGS_MASK = FLAG_BITS.CF | FLAG_BITS.PF | FLAG_BITS.AF | FLAG_BITS.ZF | FLAG_BITS.SF | FLAG_BITS.OF;

export function flagMask(flags: readonly FlagName[] | undefined): number {
  let mask = 0;
  for (const flag of flags ?? []) if (flag in FLAG_BITS) mask |= FLAG_BITS[flag as keyof typeof FLAG_BITS];
  return mask;
}

export function flagNames(mask: number): string {
  return (Object.keys(FLAG_BITS) as (keyof typeof FLAG_BITS)[]).filter((name) => mask & FLAG_BITS[name]).join(' ') || '-';
}

/**
 * Flags that the SDM (Appendix A, table A-2, and each instruction's "Flags Affected") allows to be undefined
 * for at least some inputs. A table row that leaves more than this undefined would hide emulator bugs.
 */
export function sdmMayBeUndefined(mnemonic: string): number {
  const all = STATUS_FLAGS_MASK;
  const { OF, SF, ZF, AF, PF, CF } = FLAG_BITS;
  if (/^(add|adc|sub|sbb|cmp|neg|inc|dec|xadd|cmpxchg|not|bswap)$/.test(mnemonic)) return 0;
  if (/^(set|cmov)/.test(mnemonic)) return 0;
  if (/^(and|or|xor|test)$/.test(mnemonic)) return AF;
  if (/^(mul|imul)$/.test(mnemonic)) return SF | ZF | AF | PF;
  if (/^(div|idiv)$/.test(mnemonic)) return all;
  if (/^(shl|shr)$/.test(mnemonic)) return OF | AF | CF; // CF: counts >= the operand size
  if (mnemonic === 'sar') return OF | AF;
  if (/^(rol|ror|rcl|rcr)$/.test(mnemonic)) return OF;
  if (/^(shld|shrd)$/.test(mnemonic)) return all; // counts > the operand size
  if (/^(bt|bts|btr|btc)$/.test(mnemonic)) return OF | SF | AF | PF;
  if (/^(bsf|bsr)$/.test(mnemonic)) return OF | SF | AF | PF | CF;
  if (/^(daa|das)$/.test(mnemonic)) return OF;
  if (/^(aaa|aas)$/.test(mnemonic)) return OF | SF | ZF | PF;
  return all;
}

/** What to compare for one case: EFLAGS bits, and per output dword (eax ebx ecx edx, then the memory area). */
export interface ComparisonMask {
  flags: number;
  /** Four registers then the four memory-area dwords. */
  readonly words: Uint32Array;
}

export function newComparisonMask(): ComparisonMask {
  return { flags: 0, words: new Uint32Array(8) };
}

function countOperand(operand: OperandSpec, input: Uint32Array, recordWord: number): number {
  if (operand.kind === 'immediate') return operand.value & 0xff;
  const field = operandField(operand) as RecordField;
  return readField(input, recordWord, field, 'input');
}

function maskField(mask: ComparisonMask, field: RecordField): void {
  if (field.registerIndex !== 'memory') {
    mask.words[field.registerIndex] &= ~(sizeMask(field.size) << field.shift) >>> 0;
    return;
  }
  // a misaligned memory operand may straddle two dwords of the area: mask it byte by byte
  const first = (field.byteOffset ?? MEMORY_OPERAND) - MEMORY_AREA;
  for (let byte = first; byte < first + field.size / 8; byte++) mask.words[4 + (byte >> 2)] &= ~(0xff << (8 * (byte & 3))) >>> 0;
}

/**
 * Fills `mask` for the case at `recordWord` of `input`. `staticUndefined` is the table row's flagsUndefined.
 * Value-dependent SDM rules may add undefined flags, and where the SDM says a flag IS defined for these
 * inputs (a masked count of 1, a count of 0) they take it back out of the static set.
 */
export function comparisonMaskFor(variant: AluVariant, staticUndefined: number, input: Uint32Array, recordWord: number, mask: ComparisonMask): void {
  mask.words.fill(0xffffffff);
  let undefinedFlags = staticUndefined;
  const size = variant.size;
  const { OF, CF } = FLAG_BITS;
  switch (variant.family) {
    case 'shift': {
      // SDM SAL/SAR/SHL/SHR: "The count is masked to 5 bits"; "If the count is 0, the flags are not affected."
      const count = countOperand(variant.operands[1], input, recordWord) & 0x1f;
      if (count === 0) {
        undefinedFlags = 0;
        break;
      }
      // "The OF flag is affected only for 1-bit shifts; otherwise, it is undefined." (AF: the row's static set.)
      undefinedFlags = count === 1 ? undefinedFlags & ~OF : undefinedFlags | OF;
      // "[CF] is undefined for SHL and SHR instructions where the count is greater than or equal to the size."
      if ((variant.mnemonic === 'shl' || variant.mnemonic === 'shr') && count >= size) undefinedFlags |= CF;
      break;
    }
    case 'rotate':
    case 'rotateCarry': {
      // SDM RCL/RCR/ROL/ROR: "If the masked count is 0, the flags are not affected. If the masked count is 1,
      // then the OF flag is affected, otherwise (masked count is greater than 1) the OF flag is undefined."
      const count = countOperand(variant.operands[1], input, recordWord) & 0x1f;
      if (count === 0) undefinedFlags = 0;
      else undefinedFlags = count === 1 ? undefinedFlags & ~OF : undefinedFlags | OF;
      break;
    }
    case 'shiftDouble': {
      // SDM SHLD/SHRD: the count is masked to 5 bits; "If the count operand is 0, the flags are not affected."
      const count = countOperand(variant.operands[2], input, recordWord) & 0x1f;
      if (count === 0) {
        undefinedFlags = 0;
        break;
      }
      // "If the count is greater than the operand size, the result is undefined" and so are the flags.
      if (count > size) {
        undefinedFlags = STATUS_FLAGS_MASK;
        maskField(mask, operandField(variant.operands[0]) as RecordField);
        break;
      }
      // "For a 1-bit shift, the OF flag is set if a sign change occurred ... For shifts greater than 1 bit, the
      // OF flag is undefined." (AF, undefined whenever a shift occurs, comes from the row's static set.)
      undefinedFlags = count === 1 ? undefinedFlags & ~OF : undefinedFlags | OF;
      break;
    }
    case 'bitScan': {
      // SDM BSF/BSR: "If the content of the source operand is 0, the content of the destination operand is undefined."
      const source = operandField(variant.operands[1]) as RecordField;
      if (readField(input, recordWord, source, 'input') === 0) maskField(mask, operandField(variant.operands[0]) as RecordField);
      break;
    }
    default:
      break;
  }
  // a consumer such as adc or sbb rewrites all six status flags from defined inputs
  if (variant.consumer?.writesAllFlags) undefinedFlags = 0;
  mask.flags = COMPARED_FLAGS_MASK & ~undefinedFlags;
}

/** The table rows a variant can be encoded with (same mnemonic or alias); the exact row is picked from its bytes. */
export function rowsNamed(table: readonly InstructionForm[], mnemonic: string): InstructionForm[] {
  return table.filter((row) => row.mnemonic === mnemonic || (row.aliases ?? []).includes(mnemonic));
}

/**
 * The row whose encoding NASM chose: matches opcode bytes (after an optional 0x66), the ModRM /digit and
 * the operand size. Returns undefined when no row fits (a finding about the table).
 */
export function rowForEncoding(table: readonly InstructionForm[], mnemonic: string, bytes: Uint8Array): InstructionForm | undefined {
  let at = 0;
  let operandSize: 16 | 32 = 32;
  for (; bytes[at] === 0x66 || bytes[at] === 0xf0; at++) if (bytes[at] === 0x66) operandSize = 16; // o16, lock
  for (const row of rowsNamed(table, mnemonic)) {
    const length = row.opcode.length;
    let fits = true;
    for (let i = 0; i < length; i++) {
      const byte = bytes[at + i];
      const expected = row.opcode[i];
      if (i === length - 1 && row.regInOpcode ? (byte & 0xf8) !== expected : byte !== expected) fits = false;
    }
    if (!fits) continue;
    if (row.operandSize !== undefined && row.operandSize !== operandSize) continue;
    if (typeof row.modrm === 'number' && ((bytes[at + length] >> 3) & 7) !== row.modrm) continue;
    return row;
  }
  return undefined;
}
