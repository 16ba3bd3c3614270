// The table-driven encoder: one parsed instruction in, the bytes `nasm -f bin` (default -Ox) emits out.
// It tries every row of INSTRUCTION_TABLE that carries the mnemonic and could take the operands' shape
// (form-index.ts), keeps the rows the operands fit, and picks the shortest encoding (ties: the earlier
// row, which is the order NASM's own table has).
import { INSTRUCTION_TABLE } from '../isa/table';
import type { InstructionForm, OperandKind } from '../isa/types';
import { generalRegisterName, segmentRegisterName, type RegisterInfo } from '../isa/registers';
import {
  CLASS_CONTROL_REGISTER, CLASS_DEBUG_REGISTER, CLASS_FAR_POINTER, CLASS_GPR16, CLASS_GPR32, CLASS_GPR8, CLASS_IMMEDIATE, CLASS_MEMORY,
  CLASS_SEGMENT_REGISTER, FORMS_BY_MNEMONIC, candidateForms, hasNearForm, type OperandClass,
} from './form-index';
import { registerNamed } from './register-lookup';
import type { EncodeRequest, EncodeResult, FarPointerOperand, ImmediateOperand, MemoryOperand, ParsedOperand } from './operand';

export type ChooseFormResult =
  | { ok: true; form: InstructionForm; formIndex: number; bytes: number[]; provisional?: true }
  | { ok: false; message: string; operandIndex?: number };

const SEGMENT_PREFIX: Readonly<Record<string, number>> = { es: 0x26, cs: 0x2e, ss: 0x36, ds: 0x3e, fs: 0x64, gs: 0x65 };
const PREFIX_LOCK = 0xf0;
const PREFIX_REP = 0xf3;
const PREFIX_REPNE = 0xf2;
const PREFIX_OPERAND_SIZE = 0x66;
const PREFIX_ADDRESS_SIZE = 0x67;

/** True when the assembler knows `mnemonic` (any spelling). */
export function isKnownMnemonic(mnemonic: string): boolean {
  return FORMS_BY_MNEMONIC.has(mnemonic.toLowerCase());
}

export function encodeInstruction(request: EncodeRequest): EncodeResult {
  const chosen = chooseForm(request);
  if (!chosen.ok) return chosen.operandIndex === undefined ? { ok: false, message: chosen.message } : { ok: false, message: chosen.message, operandIndex: chosen.operandIndex };
  return chosen.provisional ? { ok: true, bytes: chosen.bytes, provisional: true } : { ok: true, bytes: chosen.bytes };
}

// ---------------------------------------------------------------------------------------------------
// Operands resolved once per request

type ResolvedOperand =
  | { kind: 'reg'; info: RegisterInfo; name: string }
  | { kind: 'imm'; operand: ImmediateOperand; value: number; optimistic: boolean }
  | { kind: 'mem'; operand: MemoryOperand; address: EncodedAddress }
  | { kind: 'far'; operand: FarPointerOperand };

/** ModRM (with reg = 0), SIB and displacement of a memory operand, independent of the row. */
interface EncodedAddress {
  addressSize: 16 | 32;
  modrm: number;
  sib: number[];
  displacement: number[];
  /** Plain displacement with no registers: the moffs forms can take it. */
  directOnly: boolean;
  /** Offset bytes as the moffs forms carry them. */
  directOffset: number[];
}

interface RequestContext {
  request: EncodeRequest;
  /** The mnemonic in lower case. */
  mnemonic: string;
  operands: ResolvedOperand[];
  defaultOperandSize: 16 | 32;
  explicitPrefixBytes: number[];
  /** o16 / o32 written: it decides the 0x66 byte by itself (NASM: `o32 movsw` is A5), it does not pick the row. */
  explicitOperandSize: 16 | 32 | undefined;
  explicitAddressSize: 16 | 32 | undefined;
}

type Attempt =
  | { kind: 'ok'; formIndex: number; bytes: number[]; memorySize: number | undefined }
  | { kind: 'range'; formIndex: number; bytes: number[]; message: string; operandIndex: number; memorySize: number | undefined }
  | { kind: 'mismatch' };

export function chooseForm(request: EncodeRequest): ChooseFormResult {
  // the parser hands over lower-case mnemonics: reuse that string (its hash is computed once) rather than a fresh copy
  const mnemonic = FORMS_BY_MNEMONIC.has(request.mnemonic) ? request.mnemonic : request.mnemonic.toLowerCase();
  if (!FORMS_BY_MNEMONIC.has(mnemonic)) return { ok: false, message: `unknown instruction '${request.mnemonic}'` };

  const prepared = prepareContext(request, mnemonic);
  if (!prepared.ok) return prepared;
  const context = prepared.context;

  const rows = candidateForms(mnemonic, context.operands.map(operandClass))!;
  let fitting: Extract<Attempt, { kind: 'ok' }>[] = [];
  const outOfRange: Extract<Attempt, { kind: 'range' }>[] = [];
  for (const formIndex of rows) {
    const attempt = tryForm(formIndex, context);
    if (attempt.kind === 'ok') fitting.push(attempt);
    else if (attempt.kind === 'range') outOfRange.push(attempt);
  }

  const ambiguity = resolveUnsizedMemory(mnemonic, context, fitting, outOfRange);
  if (ambiguity.error) return { ok: false, message: ambiguity.error, operandIndex: ambiguity.operandIndex };
  if (ambiguity.allowedSizes) {
    const allowed = ambiguity.allowedSizes;
    fitting = fitting.filter((attempt) => attempt.memorySize === undefined || allowed.has(attempt.memorySize));
  }

  if (fitting.length === 0) {
    const firstRange = outOfRange[0];
    if (firstRange) {
      if (!request.final) return { ok: true, form: INSTRUCTION_TABLE[firstRange.formIndex], formIndex: firstRange.formIndex, bytes: firstRange.bytes, provisional: true };
      return { ok: false, message: firstRange.message, operandIndex: firstRange.operandIndex };
    }
    return { ok: false, message: `'${mnemonic}' has no form taking (${context.operands.map(describeOperand).join(', ')})` };
  }

  // rows that need no operand-size change win over rows that need one (jmp near is rel32 in bits 32, not 66 E9 rel16);
  // among the pool, the shortest, and the earliest of equally short ones
  let best: Extract<Attempt, { kind: 'ok' }> | undefined;
  for (const attempt of fitting) {
    const size = INSTRUCTION_TABLE[attempt.formIndex].operandSize;
    if (size !== undefined && size !== context.defaultOperandSize) continue;
    if (!best || attempt.bytes.length < best.bytes.length) best = attempt;
  }
  if (!best) for (const attempt of fitting) if (!best || attempt.bytes.length < best.bytes.length) best = attempt;
  const chosen = best!;
  return { ok: true, form: INSTRUCTION_TABLE[chosen.formIndex], formIndex: chosen.formIndex, bytes: chosen.bytes };
}

/** The operand's class for choosing candidate rows. */
function operandClass(operand: ResolvedOperand): OperandClass {
  switch (operand.kind) {
    case 'reg': {
      const info = operand.info;
      if (info.class === 'gpr') return info.size === 1 ? CLASS_GPR8 : info.size === 2 ? CLASS_GPR16 : CLASS_GPR32;
      return info.class === 'sreg' ? CLASS_SEGMENT_REGISTER : info.class === 'creg' ? CLASS_CONTROL_REGISTER : CLASS_DEBUG_REGISTER;
    }
    case 'mem': return CLASS_MEMORY;
    case 'imm': return CLASS_IMMEDIATE;
    case 'far': return CLASS_FAR_POINTER;
  }
}

function prepareContext(request: EncodeRequest, mnemonic: string): { ok: true; context: RequestContext } | { ok: false; message: string; operandIndex?: number } {
  const lockAndRepeat: number[] = [];
  const segments: number[] = [];
  const conflict = (): { ok: false; message: string } => ({ ok: false, message: 'instruction has conflicting prefixes' });
  let explicitOperandSize: 16 | 32 | undefined;
  let explicitAddressSize: 16 | 32 | undefined;
  for (const prefix of request.prefixes) {
    const name = prefix.toLowerCase();
    if (name === 'lock') { if (!lockAndRepeat.includes(PREFIX_LOCK)) lockAndRepeat.push(PREFIX_LOCK); }
    else if (name === 'rep' || name === 'repe' || name === 'repz' || name === 'repne' || name === 'repnz') {
      const byte = name === 'repne' || name === 'repnz' ? PREFIX_REPNE : PREFIX_REP;
      const other = byte === PREFIX_REP ? PREFIX_REPNE : PREFIX_REP;
      if (lockAndRepeat.includes(other)) return conflict();
      if (!lockAndRepeat.includes(byte)) lockAndRepeat.push(byte);
    }
    else if (name === 'o16' || name === 'o32') {
      const size = name === 'o16' ? 16 : 32;
      if (explicitOperandSize !== undefined && explicitOperandSize !== size) return conflict();
      explicitOperandSize = size;
    }
    else if (name === 'a16' || name === 'a32') {
      const size = name === 'a16' ? 16 : 32;
      if (explicitAddressSize !== undefined && explicitAddressSize !== size) return conflict();
      explicitAddressSize = size;
    }
    else if (Object.prototype.hasOwnProperty.call(SEGMENT_PREFIX, name)) {
      if (segments.length > 0 && segments[0] !== SEGMENT_PREFIX[name]) return conflict();
      segments.push(SEGMENT_PREFIX[name]);
    }
    else return { ok: false, message: `unknown prefix '${prefix}'` };
  }

  let parsed = [...request.operands];
  // `imul r, imm` is NASM shorthand for `imul r, r, imm`
  if (mnemonic === 'imul' && parsed.length === 2 && parsed[0].kind === 'reg' && parsed[1].kind === 'imm') parsed = [parsed[0], parsed[0], parsed[1]];
  // `loop target, cx` names the counter register, which selects the address size
  if (LOOP_MNEMONICS.has(mnemonic) && parsed.length === 2 && parsed[1].kind === 'reg') {
    const counter = parsed[1].name.toLowerCase();
    if (counter !== 'cx' && counter !== 'ecx') return { ok: false, message: `'${mnemonic}' counts with cx or ecx, not '${parsed[1].name}'`, operandIndex: 1 };
    explicitAddressSize = counter === 'cx' ? 16 : 32;
    parsed = [parsed[0]];
  }

  const operands: ResolvedOperand[] = [];
  for (let index = 0; index < parsed.length; index++) {
    const operand = parsed[index];
    const badNumber = firstUnsafeNumber(operand);
    if (badNumber !== undefined) return { ok: false, message: `value ${badNumber} is not an integer the encoder can use`, operandIndex: index };
    if (operand.kind === 'reg') {
      const info = registerNamed(operand.name);
      if (!info) return { ok: false, message: `unknown register '${operand.name}'`, operandIndex: index };
      operands.push({ kind: 'reg', info, name: canonicalRegisterName(info) });
    } else if (operand.kind === 'imm') {
      const optimistic = operand.unresolved === true && !request.final;
      operands.push({ kind: 'imm', operand, value: optimistic ? 0 : operand.value, optimistic });
    } else if (operand.kind === 'mem') {
      const address = encodeAddress(operand, request.bits, explicitAddressSize, request.final);
      if (!address.ok) return { ok: false, message: address.message, operandIndex: index };
      if (operand.segment) {
        // NASM refuses a prefix word and a bracket override together, even naming the same segment
        if (segments.length > 0) return { ok: false, message: 'instruction has conflicting segment overrides', operandIndex: index };
        segments.push(SEGMENT_PREFIX[operand.segment]);
      }
      operands.push({ kind: 'mem', operand, address: address.address });
    } else {
      operands.push({ kind: 'far', operand });
    }
  }

  const explicitPrefixBytes = segments.length === 0 ? lockAndRepeat : [...lockAndRepeat, ...segments.filter((byte, position) => segments.indexOf(byte) === position)];
  return {
    ok: true,
    context: {
      request, mnemonic, operands, defaultOperandSize: request.bits, explicitPrefixBytes,
      explicitOperandSize, explicitAddressSize,
    },
  };
}

/** The register's name in lower case (what lower-casing any spelling of it gives). */
function canonicalRegisterName(info: RegisterInfo): string {
  switch (info.class) {
    case 'gpr': return generalRegisterName(info.size, info.number);
    case 'sreg': return segmentRegisterName(info.number) ?? `sreg${info.number}`;
    case 'creg': return `cr${info.number}`;
    case 'dreg': return `dr${info.number}`;
  }
}

const LOOP_MNEMONICS: ReadonlySet<string> = new Set(['loop', 'loope', 'loopz', 'loopne', 'loopnz']);

/** The first number of the operand that is not a safe integer (the encoder computes with doubles). */
function firstUnsafeNumber(operand: ParsedOperand): number | undefined {
  switch (operand.kind) {
    case 'imm': return Number.isSafeInteger(operand.value) ? undefined : operand.value;
    case 'mem': return Number.isSafeInteger(operand.displacement) ? undefined : operand.displacement;
    case 'far':
      if (!Number.isSafeInteger(operand.segment)) return operand.segment;
      return Number.isSafeInteger(operand.offset) ? undefined : operand.offset;
    case 'reg': return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Size inference for memory operands written without a size keyword

const NEAR_BRANCHES = new Set(['jmp', 'call']);

/**
 * NASM refuses `inc [eax]` ("operation size not specified") but takes the size from another operand
 * (`add [eax], byte 5` is a byte add) and defaults near/far jmp and call to the code's operand size.
 */
function resolveUnsizedMemory(mnemonic: string, context: RequestContext, fitting: readonly Extract<Attempt, { kind: 'ok' }>[],
  outOfRange: readonly Extract<Attempt, { kind: 'range' }>[]): { error?: string; operandIndex?: number; allowedSizes?: Set<number> } {
  const memoryIndex = context.operands.findIndex((operand) => operand.kind === 'mem' && operand.operand.size === undefined);
  if (memoryIndex < 0 || NEAR_BRANCHES.has(mnemonic)) return {};
  const attempts: readonly Extract<Attempt, { kind: 'ok' | 'range' }>[] = [...fitting, ...outOfRange];
  const sizes = new Set<number>();
  for (const attempt of attempts) if (attempt.memorySize !== undefined) sizes.add(attempt.memorySize);
  if (sizes.size <= 1) return {};
  const namedSizes = new Set<number>();
  // a count in cl or a port in dx says nothing about the operation size
  const countsOrPorts = (position: number): boolean => attempts.every((attempt) => ['cl', 'dx'].includes(INSTRUCTION_TABLE[attempt.formIndex].operands[position]));
  context.operands.forEach((operand, position) => {
    if (operand.kind === 'reg' && operand.info.class === 'gpr' && !countsOrPorts(position)) namedSizes.add(operand.info.size * 8);
    if (operand.kind === 'imm' && operand.operand.size !== undefined) namedSizes.add(operand.operand.size);
  });
  const allowed = new Set([...sizes].filter((size) => namedSizes.has(size)));
  if (allowed.size === 1) return { allowedSizes: allowed };
  return { error: 'operation size not specified', operandIndex: memoryIndex };
}

// ---------------------------------------------------------------------------------------------------
// Matching one row

interface Pieces {
  /** ModRM.reg value from a register operand or the row's /digit. */
  reg: number | undefined;
  /** The r/m part: a register number (mod 3) or an encoded address. */
  rm: { register: number } | { address: EncodedAddress } | undefined;
  opcodeRegister: number | undefined;
  /** Trailing bytes in operand order; relative targets are filled in once the length is known. */
  tail: TailPiece[];
  addressSize: 16 | 32 | undefined;
  memorySize: number | undefined;
  range: { message: string; operandIndex: number } | undefined;
}

type TailPiece =
  | { kind: 'bytes'; bytes: number[] }
  | { kind: 'relative'; width: 1 | 2 | 4; target: number; operandIndex: number; checkRange: boolean; chosenByDistance: boolean };

function tryForm(formIndex: number, context: RequestContext): Attempt {
  const form = INSTRUCTION_TABLE[formIndex];
  const operands = context.operands;
  if (form.operands.length !== operands.length) return { kind: 'mismatch' };
  const pieces: Pieces = { reg: typeof form.modrm === 'number' ? form.modrm : undefined, rm: undefined, opcodeRegister: undefined, tail: [], addressSize: undefined, memorySize: undefined, range: undefined };
  const operandSize = form.operandSize ?? context.defaultOperandSize;
  for (let index = 0; index < operands.length; index++) {
    if (!matchOperand(form, form.operands[index], operands[index], index, operandSize, context, pieces)) return { kind: 'mismatch' };
  }
  const bytes = assemble(form, pieces, context);
  if (bytes.kind === 'range' || pieces.range) {
    const range = bytes.kind === 'range' ? bytes : pieces.range!;
    return { kind: 'range', formIndex, bytes: bytes.bytes, message: range.message, operandIndex: range.operandIndex, memorySize: pieces.memorySize };
  }
  return { kind: 'ok', formIndex, bytes: bytes.bytes, memorySize: pieces.memorySize };
}

const GPR_KIND_SIZE: Partial<Record<OperandKind, 1 | 2 | 4>> = { r8: 1, r16: 2, r32: 4, rm8: 1, rm16: 2, rm32: 4, rr32: 4 };
const FIXED_REGISTER_KINDS: ReadonlySet<OperandKind> = new Set<OperandKind>(['al', 'ax', 'eax', 'cl', 'dx', 'es', 'cs', 'ss', 'ds', 'fs', 'gs']);
/** Memory kinds and the size keyword (in bits) each accepts; `undefined` in the list means "no keyword". */
const MEMORY_KIND_SIZES: Partial<Record<OperandKind, { nominal: number; accepts: readonly (number | undefined)[] }>> = {
  rm8: { nominal: 8, accepts: [8, undefined] }, m8: { nominal: 8, accepts: [8, undefined] }, moffs8: { nominal: 8, accepts: [8, undefined] },
  rm16: { nominal: 16, accepts: [16, undefined] }, m16: { nominal: 16, accepts: [16, undefined] }, moffs16: { nominal: 16, accepts: [16, undefined] },
  rm32: { nominal: 32, accepts: [32, undefined] }, m32: { nominal: 32, accepts: [32, undefined] }, moffs32: { nominal: 32, accepts: [32, undefined] },
  m64: { nominal: 64, accepts: [64, undefined] },
  'm16&32': { nominal: 48, accepts: [48, undefined] },
  // `far word [x]` / `far dword [x]` name the offset's width
  'm16:16': { nominal: 1616, accepts: [16, undefined] },
  'm16:32': { nominal: 1632, accepts: [32, 48, undefined] },
  'm16&16': { nominal: 3216, accepts: [32, undefined] },
  'm32&32': { nominal: 6432, accepts: [64, undefined] },
};

function matchOperand(form: InstructionForm, kind: OperandKind, operand: ResolvedOperand, index: number, operandSize: 16 | 32, context: RequestContext, pieces: Pieces): boolean {
  switch (operand.kind) {
    case 'reg': return matchRegister(form, kind, operand, pieces);
    case 'mem': return matchMemory(form, kind, operand, pieces);
    case 'imm': return matchImmediate(kind, operand, index, operandSize, context, pieces);
    case 'far': return matchFarPointer(kind, operand, index, context, pieces);
  }
}

function matchRegister(form: InstructionForm, kind: OperandKind, operand: Extract<ResolvedOperand, { kind: 'reg' }>, pieces: Pieces): boolean {
  const info = operand.info;
  if (FIXED_REGISTER_KINDS.has(kind)) return operand.name === kind;
  if (info.class === 'gpr') {
    const size = GPR_KIND_SIZE[kind];
    if (size !== info.size) return false;
    if (kind === 'r8' || kind === 'r16' || kind === 'r32') {
      if (form.regInOpcode) pieces.opcodeRegister = info.number;
      else pieces.reg = info.number;
    } else {
      pieces.rm = { register: info.number };
    }
    return true;
  }
  if ((info.class === 'sreg' && kind === 'sreg') || (info.class === 'creg' && kind === 'creg') || (info.class === 'dreg' && kind === 'dreg')) {
    pieces.reg = info.number;
    return true;
  }
  return false;
}

function matchMemory(form: InstructionForm, kind: OperandKind, operand: Extract<ResolvedOperand, { kind: 'mem' }>, pieces: Pieces): boolean {
  const memory = operand.operand;
  const farKind = kind === 'm16:16' || kind === 'm16:32';
  // jmp/call need `far` to mean the far-pointer forms; les/lds/... are far by nature
  const farByNature = farKind && form.mnemonic !== 'jmp' && form.mnemonic !== 'call';
  if (memory.far && !farKind) return false;
  if (farKind && !memory.far && !farByNature) return false;
  if (kind === 'm') {
    pieces.rm = { address: operand.address };
    pieces.addressSize = operand.address.addressSize;
    return true;
  }
  const sizes = MEMORY_KIND_SIZES[kind];
  if (!sizes || !sizes.accepts.includes(memory.size)) return false;
  if (memory.size === undefined) pieces.memorySize = sizes.nominal;
  pieces.addressSize = operand.address.addressSize;
  if (kind === 'moffs8' || kind === 'moffs16' || kind === 'moffs32') {
    if (!operand.address.directOnly) return false;
    pieces.tail.push({ kind: 'bytes', bytes: operand.address.directOffset });
    return true;
  }
  pieces.rm = { address: operand.address };
  return true;
}

function matchImmediate(kind: OperandKind, operand: Extract<ResolvedOperand, { kind: 'imm' }>, index: number, operandSize: 16 | 32, context: RequestContext, pieces: Pieces): boolean {
  const immediate = operand.operand;
  const value = operand.value;
  const keyword = immediate.size;
  // NASM truncates a label's address silently (`add ax, label`); only plain numbers are range-checked
  const rangeChecked = !operand.optimistic && !immediate.isAddress;
  if (immediate.distance === 'far') return false;
  const isBranchKind = kind === 'rel8' || kind === 'rel16' || kind === 'rel32';
  if (immediate.distance && !isBranchKind) return false;
  switch (kind) {
    case 'one':
      return value === 1 && keyword === undefined && !immediate.isAddress && !operand.optimistic;
    case 'imm8':
      if (keyword !== undefined && keyword !== 8) return false;
      if (rangeChecked && (value < -128 || value > 0xff)) noteRange(pieces, index, `immediate ${formatValue(value)} does not fit in a byte`);
      pieces.tail.push({ kind: 'bytes', bytes: littleEndian(value, 1) });
      return true;
    case 'imm16':
      if (keyword !== undefined && keyword !== 16) return false;
      if (rangeChecked && (value < -0x8000 || value > 0xffff)) noteRange(pieces, index, `immediate ${formatValue(value)} does not fit in a word`);
      pieces.tail.push({ kind: 'bytes', bytes: littleEndian(value, 2) });
      return true;
    case 'imm32':
      if (keyword !== undefined && keyword !== 32) return false;
      if (rangeChecked && (value < -0x80000000 || value > 0xffffffff)) noteRange(pieces, index, `immediate ${formatValue(value)} does not fit in a dword`);
      pieces.tail.push({ kind: 'bytes', bytes: littleEndian(value, 4) });
      return true;
    case 'simm8': {
      if (immediate.isAddress) return false;
      if (keyword !== undefined && keyword !== 8 && (immediate.strict || keyword !== operandSize)) return false;
      const bits = operandSize;
      const limit = bits === 16 ? 0xffff : 0xffffffff;
      const lowest = bits === 16 ? -0x8000 : -0x80000000;
      const truncated = signExtend(value, bits);
      const fits = value >= lowest && value <= limit && truncated >= -128 && truncated <= 127;
      if (!fits) {
        if (keyword !== 8) return false;
        if (rangeChecked) noteRange(pieces, index, `immediate ${formatValue(value)} does not fit in a signed byte`);
      }
      pieces.tail.push({ kind: 'bytes', bytes: littleEndian(truncated, 1) });
      return true;
    }
    case 'rel8':
      if (immediate.distance === 'near' || keyword !== undefined) return false;
      // NASM jumps short on its own only to a label of this section; a plain number gets the near form
      if (immediate.distance !== 'short' && !immediate.isAddress && !operand.optimistic && hasNearForm(context.mnemonic)) return false;
      pieces.tail.push({ kind: 'relative', width: 1, target: value, operandIndex: index, checkRange: !operand.optimistic, chosenByDistance: immediate.distance === undefined && hasNearForm(context.mnemonic) });
      return true;
    case 'rel16':
    case 'rel32': {
      if (immediate.distance === 'short') return false;
      const width = kind === 'rel16' ? 2 : 4;
      if (keyword !== undefined && keyword !== width * 8) return false;
      // NASM takes a size on a conditional jump only after `near` (`jz near word x`; `jz word x` is refused)
      if (keyword !== undefined && immediate.distance !== 'near' && !NEAR_BRANCHES.has(context.mnemonic)) return false;
      pieces.tail.push({ kind: 'relative', width, target: value, operandIndex: index, checkRange: false, chosenByDistance: false });
      return true;
    }
    default:
      return false;
  }
}

/** The first value out of range in a row is the one reported. */
function noteRange(pieces: Pieces, operandIndex: number, message: string): void {
  pieces.range ??= { message, operandIndex };
}

function matchFarPointer(kind: OperandKind, operand: Extract<ResolvedOperand, { kind: 'far' }>, index: number, context: RequestContext, pieces: Pieces): boolean {
  if (kind !== 'ptr16:16' && kind !== 'ptr16:32') return false;
  const far = operand.operand;
  // the pointer's offset width is the written size, else the code's operand size (never the value's)
  if ((far.size ?? context.defaultOperandSize) !== (kind === 'ptr16:16' ? 16 : 32)) return false;
  const offsetBytes = kind === 'ptr16:16' ? 2 : 4;
  if (far.segment < 0 || far.segment > 0xffff) pieces.range ??= { message: `segment ${formatValue(far.segment)} does not fit in a word`, operandIndex: index };
  const offsetLimit = offsetBytes === 2 ? 0xffff : 0xffffffff;
  if (far.offset < 0 || far.offset > offsetLimit) pieces.range ??= { message: `offset ${formatValue(far.offset)} does not fit in ${offsetBytes === 2 ? 'a word' : 'a dword'}`, operandIndex: index };
  pieces.tail.push({ kind: 'bytes', bytes: [...littleEndian(far.offset, offsetBytes), ...littleEndian(far.segment, 2)] });
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Putting the bytes together: prefixes (lock/rep, segment, 66, 67 — NASM's order), opcode, ModRM, SIB,
// displacement, immediates.

function assemble(form: InstructionForm, pieces: Pieces, context: RequestContext): { kind: 'ok'; bytes: number[] } | { kind: 'range'; bytes: number[]; message: string; operandIndex: number } {
  const bits = context.request.bits;
  const bytes: number[] = [];
  // wait is an instruction of its own that NASM emits ahead of any prefix written with it
  const waitFirst = form.mnemonic === 'wait';
  if (waitFirst) appendBytes(bytes, form.opcode);
  appendBytes(bytes, context.explicitPrefixBytes);
  const operandSize = context.explicitOperandSize ?? form.operandSize ?? bits;
  if (operandSize !== bits) bytes.push(PREFIX_OPERAND_SIZE);
  const differs = (size: 16 | 32 | undefined): boolean => size !== undefined && size !== bits;
  if (differs(form.addressSize) || differs(pieces.addressSize) || differs(context.explicitAddressSize)) bytes.push(PREFIX_ADDRESS_SIZE);

  if (!waitFirst) {
    appendBytes(bytes, form.opcode);
    if (form.regInOpcode && form.opcode.length > 0) bytes[bytes.length - 1] += pieces.opcodeRegister ?? 0;
  }
  if (form.modrm !== undefined) {
    const reg = (pieces.reg ?? 0) & 7;
    if (pieces.rm && 'register' in pieces.rm) {
      bytes.push(0xc0 | (reg << 3) | pieces.rm.register);
    } else if (pieces.rm) {
      const address = pieces.rm.address;
      bytes.push(address.modrm | (reg << 3));
      appendBytes(bytes, address.sib);
      appendBytes(bytes, address.displacement);
    } else {
      bytes.push(0xc0 | (reg << 3));
    }
  }

  let range: { message: string; operandIndex: number } | undefined;
  let relatives: { position: number; piece: Extract<TailPiece, { kind: 'relative' }> }[] | undefined;
  for (const piece of pieces.tail) {
    if (piece.kind === 'bytes') {
      appendBytes(bytes, piece.bytes);
    } else {
      (relatives ??= []).push({ position: bytes.length, piece });
      for (let byte = 0; byte < piece.width; byte++) bytes.push(0);
    }
  }
  if (relatives) {
    const next = context.request.address + bytes.length;
    // with a 16-bit operand size the CPU wraps IP to 16 bits, so NASM measures short distances modulo 64 KiB
    const branchSize = context.explicitOperandSize ?? form.operandSize ?? bits;
    for (const { position, piece } of relatives) {
      const distance = piece.width === 4 || branchSize === 32 ? piece.target - next : signExtend(piece.target - next, 16);
      if (piece.width === 1) {
        // NASM's own short-or-near choice looks at the unwrapped distance; a written `short` accepts the wrapped one
        const reach = piece.chosenByDistance ? piece.target - next : distance;
        if (piece.checkRange && (reach < -128 || reach > 127)) {
          range ??= { message: `short jump out of range (target ${formatValue(piece.target)} is ${distance} bytes away)`, operandIndex: piece.operandIndex };
        }
      }
      const encoded = littleEndian(distance, piece.width);
      for (let offset = 0; offset < encoded.length; offset++) bytes[position + offset] = encoded[offset];
    }
  }
  if (range) return { kind: 'range', bytes, ...range };
  return { kind: 'ok', bytes };
}

function appendBytes(bytes: number[], more: readonly number[]): void {
  for (let index = 0; index < more.length; index++) bytes.push(more[index]);
}

// ---------------------------------------------------------------------------------------------------
// Effective addresses

const ADDRESS_16_RM: Readonly<Record<string, number>> = { 'bx+si': 0, 'bx+di': 1, 'bp+si': 2, 'bp+di': 3, si: 4, di: 5, bp: 6, bx: 7 };

function encodeAddress(memory: MemoryOperand, bits: 16 | 32, prefixAddressSize: 16 | 32 | undefined, final: boolean): { ok: true; address: EncodedAddress } | { ok: false; message: string } {
  const base = memory.base ? registerNamed(memory.base) : undefined;
  const index = memory.index ? registerNamed(memory.index) : undefined;
  if (memory.base && (!base || base.class !== 'gpr' || base.size === 1)) return { ok: false, message: `'${memory.base}' cannot be used in an address` };
  if (memory.index && (!index || index.class !== 'gpr' || index.size === 1)) return { ok: false, message: `'${memory.index}' cannot be used in an address` };
  const baseSize = base?.class === 'gpr' ? base.size : undefined;
  const indexSize = index?.class === 'gpr' ? index.size : undefined;
  if (baseSize !== undefined && indexSize !== undefined && baseSize !== indexSize) return { ok: false, message: 'an address cannot mix 16-bit and 32-bit registers' };
  // registers, `a16` inside or before the brackets, and `[word 0x10]` / `[dword 0x10]` must all agree
  const registerSize = baseSize ?? indexSize;
  const byRegisters: 16 | 32 | undefined = registerSize === 2 ? 16 : registerSize === 4 ? 32 : undefined;
  const byDisplacement: 16 | 32 | undefined = byRegisters === undefined && (memory.displacementSize === 16 || memory.displacementSize === 32) ? memory.displacementSize : undefined;
  const stated = [byRegisters, memory.addressSize, prefixAddressSize, byDisplacement].filter((size): size is 16 | 32 => size !== undefined);
  if (stated.some((size) => size !== stated[0])) return { ok: false, message: 'impossible combination of address sizes' };
  const addressSize: 16 | 32 = stated[0] ?? bits;
  const optimistic = memory.unresolved === true && !final;
  return addressSize === 16
    ? encodeAddress16(memory, optimistic)
    : encodeAddress32(memory, base?.class === 'gpr' ? base.number : undefined, index?.class === 'gpr' ? index.number : undefined, optimistic);
}

/** How many displacement bytes NASM uses: none only for a plain zero, a byte when it fits and is not a label's address. */
function displacementWidth(memory: MemoryOperand, value: number, wide: 2 | 4, baseNeedsDisplacement: boolean, optimistic: boolean): 0 | 1 | 2 | 4 {
  if (memory.displacementSize === 8) return 1;
  if (memory.displacementSize === 16 || memory.displacementSize === 32) return wide;
  if (optimistic) return 1;
  if (memory.isAddress) return wide;
  if (value === 0 && !baseNeedsDisplacement) return 0;
  return value >= -128 && value <= 127 ? 1 : wide;
}

function encodeAddress32(memory: MemoryOperand, baseNumber: number | undefined, indexNumber: number | undefined, optimistic: boolean): { ok: true; address: EncodedAddress } | { ok: false; message: string } {
  const ESP = 4;
  const EBP = 5;
  let base = baseNumber;
  let index = indexNumber;
  let scale = memory.scale ?? 1;
  if (![1, 2, 4, 8].includes(scale)) return { ok: false, message: `invalid scale ${scale} (only 1, 2, 4 or 8)` };
  if (index !== undefined && base === undefined && !memory.noSplit) {
    // NASM turns [eax*1] into [eax] and [eax*2] into [eax+eax], which need no disp32
    if (scale === 1) { base = index; index = undefined; }
    else if (scale === 2) { base = index; scale = 1; }
  }
  if (index === ESP) {
    if (scale !== 1 || base === ESP || base === undefined) return { ok: false, message: 'invalid 32-bit effective address: esp cannot be an index register' };
    index = base;
    base = ESP;
  }
  const value = signExtend(memory.displacement, 32);
  const sibScale = scale === 1 ? 0 : scale === 2 ? 1 : scale === 4 ? 2 : 3;
  if (base === undefined) {
    const displacement = littleEndian(value, 4);
    if (index === undefined) {
      return { ok: true, address: { addressSize: 32, modrm: 0x05, sib: [], displacement, directOnly: true, directOffset: displacement } };
    }
    return { ok: true, address: { addressSize: 32, modrm: 0x04, sib: [(sibScale << 6) | (index << 3) | EBP], displacement, directOnly: false, directOffset: [] } };
  }
  const width = displacementWidth(memory, value, 4, base === EBP, optimistic);
  const mod = width === 0 ? 0 : width === 1 ? 1 : 2;
  const displacement = width === 0 ? [] : littleEndian(value, width);
  if (index === undefined && base !== ESP) {
    return { ok: true, address: { addressSize: 32, modrm: (mod << 6) | base, sib: [], displacement, directOnly: false, directOffset: [] } };
  }
  const sib = (sibScale << 6) | ((index ?? ESP) << 3) | base;
  return { ok: true, address: { addressSize: 32, modrm: (mod << 6) | 0x04, sib: [sib], displacement, directOnly: false, directOffset: [] } };
}

function encodeAddress16(memory: MemoryOperand, optimistic: boolean): { ok: true; address: EncodedAddress } | { ok: false; message: string } {
  const registers = [memory.base, memory.index].filter((name): name is string => name !== undefined).map((name) => name.toLowerCase());
  if ((memory.scale ?? 1) !== 1 && memory.index !== undefined) return { ok: false, message: 'invalid 16-bit effective address: no scaled index with 16-bit registers' };
  const ordered = registers.sort((left, right) => (left === 'bx' || left === 'bp' ? -1 : 0) - (right === 'bx' || right === 'bp' ? -1 : 0));
  const value = signExtend(memory.displacement, 16);
  if (ordered.length === 0) {
    const displacement = littleEndian(value, 2);
    return { ok: true, address: { addressSize: 16, modrm: 0x06, sib: [], displacement, directOnly: true, directOffset: displacement } };
  }
  const rm = ADDRESS_16_RM[ordered.join('+')];
  if (rm === undefined) return { ok: false, message: `invalid 16-bit effective address: [${ordered.join('+')}] (use bx or bp, plus si or di)` };
  const width = displacementWidth(memory, value, 2, rm === 6, optimistic);
  const mod = width === 0 ? 0 : width === 1 ? 1 : 2;
  return { ok: true, address: { addressSize: 16, modrm: (mod << 6) | rm, sib: [], displacement: width === 0 ? [] : littleEndian(value, width), directOnly: false, directOffset: [] } };
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

// An integer's low bits survive ToInt32 / ToUint32 exactly (modulo 2^32), so these need no BigInt.

/** The low `width` bytes of the integer part of `value` (two's complement), least significant first. */
function littleEndian(value: number, width: 1 | 2 | 4): number[] {
  const low = value | 0;
  if (width === 1) return [low & 0xff];
  if (width === 2) return [low & 0xff, (low >>> 8) & 0xff];
  return [low & 0xff, (low >>> 8) & 0xff, (low >>> 16) & 0xff, low >>> 24];
}

/** The integer part of `value` taken modulo 2^bits as a signed number. */
function signExtend(value: number, bits: 16 | 32): number {
  const low = value | 0;
  return bits === 32 ? low : (low << 16) >> 16;
}

function formatValue(value: number): string {
  return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

function describeOperand(operand: ResolvedOperand): string {
  switch (operand.kind) {
    case 'reg':
      if (operand.info.class === 'gpr') return `r${operand.info.size * 8}`;
      return operand.info.class;
    case 'mem':
      if (operand.operand.far) return 'far m';
      return operand.operand.size === undefined ? 'm' : `m${operand.operand.size}`;
    case 'imm': {
      if (operand.operand.size !== undefined) return `imm${operand.operand.size}`;
      const value = operand.value;
      if (value >= -128 && value <= 0xff) return 'imm8';
      if (value >= -0x8000 && value <= 0xffff) return 'imm16';
      return 'imm32';
    }
    case 'far':
      return 'ptr16:32';
  }
}
