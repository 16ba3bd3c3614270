// Table-driven IA-32 decoder: bytes -> DecodedInstruction. It holds no opcode knowledge of its own; the
// dispatch arrays below are built once, at module load, from INSTRUCTION_TABLE. The CPU's decode cache
// and the disassembler both call it, so the hot path allocates only the result it returns.

import type {
  DecodedInstruction,
  DecodedMemory,
  DecodedOperand,
  DecodeFailure,
  DecodeResult,
  FetchByte,
} from './decoded';
import { SEGMENT_CS, SEGMENT_DS, SEGMENT_SS } from './decoded';
import { INSTRUCTION_TABLE } from './table';
import type { InstructionForm, OperandKind } from './types';

/** The architectural limit on instruction length (SDM vol. 2, 2.3.11): longer raises #GP(0). */
export const MAXIMUM_INSTRUCTION_LENGTH = 15;

/** Segment override prefix bytes by segment number (es cs ss ds fs gs); the prefix loop below spells them out. */
export const SEGMENT_OVERRIDE_PREFIXES: readonly number[] = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

// Operand kinds as small integers so the per-operand switch compares numbers, not strings.
const enum Kind {
  Reg8, Reg16, Reg32, RegMem8, RegMem16, RegMem32, Mem, RegisterOnly32,
  Imm8, Imm16, Imm32, SignedImm8, Rel8, Rel16, Rel32, Moffs8, Moffs16, Moffs32,
  Far16, Far32, FixedRegister, One, FixedSegment, SegmentRegister, ControlRegister, DebugRegister,
}

interface OperandRecipe {
  kind: Kind;
  /** Size in bytes: register / memory / immediate width, or the fixed register's width. */
  size: number;
  /** Register number for fixed registers and fixed segment registers. */
  fixed: number;
}

const enum ModRequirement { Any, RegisterOnly, MemoryOnly }

interface DecodeCandidate {
  form: InstructionForm;
  formIndex: number;
  /** 0 when the form does not depend on the attribute. */
  operandSize: number;
  addressSize: number;
  modRequirement: ModRequirement;
  /** Opcode bytes after the dispatch byte that must follow (aam's 0x0a); usually empty. */
  trailingOpcode: readonly number[];
  /** Register number carried in the opcode's low bits (+r forms), -1 otherwise. */
  opcodeRegister: number;
  operands: readonly OperandRecipe[];
  lockable: boolean;
  /** mov to/from cr/dr: the SDM says ModRM.mod is ignored, the r/m field always names a register. */
  ignoresMod: boolean;
  /** Destination is a segment register: loading cs this way is #UD. */
  writesSegmentRegister: boolean;
}

interface OpcodeSlot {
  usesModrm: boolean;
  /** Candidates by ModRM.reg (only when usesModrm). */
  byRegField: DecodeCandidate[][];
  /** Candidates of forms without a ModRM byte. */
  withoutModrm: DecodeCandidate[];
}

const SLOT_COUNT = 512; // 256 one-byte opcodes, then 256 two-byte opcodes after 0x0f
const OPCODE_SLOTS: (OpcodeSlot | undefined)[] = buildOpcodeSlots();

function memorySizeOfKind(kind: OperandKind): number {
  switch (kind) {
    case 'm8': return 1;
    case 'm16': return 2;
    case 'm32': case 'm16:16': case 'm16&16': return 4;
    case 'm16&32': case 'm16:32': return 6;
    case 'm64': case 'm32&32': return 8;
    default: return 0;
  }
}

function recipeOf(kind: OperandKind): OperandRecipe {
  switch (kind) {
    case 'r8': return { kind: Kind.Reg8, size: 1, fixed: -1 };
    case 'r16': return { kind: Kind.Reg16, size: 2, fixed: -1 };
    case 'r32': return { kind: Kind.Reg32, size: 4, fixed: -1 };
    case 'rm8': return { kind: Kind.RegMem8, size: 1, fixed: -1 };
    case 'rm16': return { kind: Kind.RegMem16, size: 2, fixed: -1 };
    case 'rm32': return { kind: Kind.RegMem32, size: 4, fixed: -1 };
    case 'm': case 'm8': case 'm16': case 'm32': case 'm64': case 'm16&32': case 'm16:16': case 'm16:32':
    case 'm16&16': case 'm32&32':
      return { kind: Kind.Mem, size: memorySizeOfKind(kind), fixed: -1 };
    case 'rr32': return { kind: Kind.RegisterOnly32, size: 4, fixed: -1 };
    case 'imm8': return { kind: Kind.Imm8, size: 1, fixed: -1 };
    case 'imm16': return { kind: Kind.Imm16, size: 2, fixed: -1 };
    case 'imm32': return { kind: Kind.Imm32, size: 4, fixed: -1 };
    case 'simm8': return { kind: Kind.SignedImm8, size: 1, fixed: -1 };
    case 'rel8': return { kind: Kind.Rel8, size: 1, fixed: -1 };
    case 'rel16': return { kind: Kind.Rel16, size: 2, fixed: -1 };
    case 'rel32': return { kind: Kind.Rel32, size: 4, fixed: -1 };
    case 'moffs8': return { kind: Kind.Moffs8, size: 1, fixed: -1 };
    case 'moffs16': return { kind: Kind.Moffs16, size: 2, fixed: -1 };
    case 'moffs32': return { kind: Kind.Moffs32, size: 4, fixed: -1 };
    case 'ptr16:16': return { kind: Kind.Far16, size: 2, fixed: -1 };
    case 'ptr16:32': return { kind: Kind.Far32, size: 4, fixed: -1 };
    case 'al': return { kind: Kind.FixedRegister, size: 1, fixed: 0 };
    case 'ax': return { kind: Kind.FixedRegister, size: 2, fixed: 0 };
    case 'eax': return { kind: Kind.FixedRegister, size: 4, fixed: 0 };
    case 'cl': return { kind: Kind.FixedRegister, size: 1, fixed: 1 };
    case 'dx': return { kind: Kind.FixedRegister, size: 2, fixed: 2 };
    case 'one': return { kind: Kind.One, size: 1, fixed: -1 };
    case 'es': return { kind: Kind.FixedSegment, size: 2, fixed: 0 };
    case 'cs': return { kind: Kind.FixedSegment, size: 2, fixed: 1 };
    case 'ss': return { kind: Kind.FixedSegment, size: 2, fixed: 2 };
    case 'ds': return { kind: Kind.FixedSegment, size: 2, fixed: 3 };
    case 'fs': return { kind: Kind.FixedSegment, size: 2, fixed: 4 };
    case 'gs': return { kind: Kind.FixedSegment, size: 2, fixed: 5 };
    case 'sreg': return { kind: Kind.SegmentRegister, size: 2, fixed: -1 };
    case 'creg': return { kind: Kind.ControlRegister, size: 4, fixed: -1 };
    case 'dreg': return { kind: Kind.DebugRegister, size: 4, fixed: -1 };
  }
}

function modRequirementOf(form: InstructionForm): ModRequirement {
  let requirement = ModRequirement.Any;
  for (const kind of form.operands) {
    if (memorySizeOfKind(kind) > 0 || kind === 'm') requirement = ModRequirement.MemoryOnly;
    if (kind === 'rr32' && !form.operands.some((other) => other === 'creg' || other === 'dreg')) {
      requirement = ModRequirement.RegisterOnly;
    }
  }
  return requirement;
}

function makeCandidate(form: InstructionForm, formIndex: number, trailing: readonly number[], opcodeRegister: number): DecodeCandidate {
  return {
    form,
    formIndex,
    operandSize: form.operandSize ?? 0,
    addressSize: form.addressSize ?? 0,
    modRequirement: modRequirementOf(form),
    trailingOpcode: trailing,
    opcodeRegister,
    operands: form.operands.map(recipeOf),
    lockable: (form.prefixes ?? []).includes('lock'),
    ignoresMod: form.operands.some((kind) => kind === 'creg' || kind === 'dreg'),
    writesSegmentRegister: form.operands[0] === 'sreg',
  };
}

/**
 * Deterministic choice among rows sharing an encoding: longer opcode, then a fixed opcode over +r (nop over
 * xchg eax,eax), then a row that does not depend on the attribute (`o16 sldt [edi]`, as NASM and ndisasm
 * write it, over sldt's o16 register row), then table order.
 */
function compareCandidates(a: DecodeCandidate, b: DecodeCandidate): number {
  return (b.trailingOpcode.length - a.trailingOpcode.length)
    || ((a.opcodeRegister >= 0 ? 1 : 0) - (b.opcodeRegister >= 0 ? 1 : 0))
    || ((a.operandSize ? 1 : 0) - (b.operandSize ? 1 : 0))
    || ((a.addressSize ? 1 : 0) - (b.addressSize ? 1 : 0))
    || (a.formIndex - b.formIndex);
}

function buildOpcodeSlots(): (OpcodeSlot | undefined)[] {
  const slots: (OpcodeSlot | undefined)[] = new Array(SLOT_COUNT).fill(undefined);
  const slotFor = (key: number): OpcodeSlot => {
    let slot = slots[key];
    if (!slot) {
      slot = { usesModrm: false, byRegField: [[], [], [], [], [], [], [], []], withoutModrm: [] };
      slots[key] = slot;
    }
    return slot;
  };
  INSTRUCTION_TABLE.forEach((form, formIndex) => {
    const opcode = form.opcode;
    if (opcode.length === 0 || (opcode[0] === 0x0f && opcode.length < 2)) return;
    const twoByte = opcode[0] === 0x0f;
    const dispatchPosition = twoByte ? 1 : 0;
    const trailing = opcode.slice(dispatchPosition + 1);
    // +r forms put the register in the low bits of the last opcode byte, which must be the dispatch byte.
    const registerChoices = form.regInOpcode && trailing.length === 0 ? [0, 1, 2, 3, 4, 5, 6, 7] : [-1];
    for (const register of registerChoices) {
      const dispatchByte = register >= 0 ? (opcode[dispatchPosition] & 0xf8) | register : opcode[dispatchPosition];
      const slot = slotFor((twoByte ? 256 : 0) + dispatchByte);
      const candidate = makeCandidate(form, formIndex, trailing, register);
      if (form.modrm === undefined) {
        slot.withoutModrm.push(candidate);
      } else {
        slot.usesModrm = true;
        if (form.modrm === 'r') for (const list of slot.byRegField) list.push(candidate);
        else slot.byRegField[form.modrm].push(candidate);
      }
    }
  });
  for (const slot of slots) {
    if (!slot) continue;
    slot.withoutModrm.sort(compareCandidates);
    for (const list of slot.byRegField) list.sort(compareCandidates);
  }
  return slots;
}

// ---- decoding ------------------------------------------------------------------------------------

// Scratch state of the decode in progress (single-threaded and never re-entered), kept at module level
// so that the helpers need no closures and no result objects of their own.
let currentFetch: FetchByte = () => -1;
let cursor = 0;
let faultAt = -1;
let overlong = false;

/** Reads `count` little-endian bytes at the cursor; returns the unsigned value, or -1 (fault or overlong). */
function readBytes(count: number): number {
  let value = 0;
  let weight = 1;
  for (let i = 0; i < count; i++) {
    if (cursor >= MAXIMUM_INSTRUCTION_LENGTH) {
      overlong = true;
      return -1;
    }
    const byte = currentFetch(cursor);
    if (byte < 0) {
      faultAt = cursor;
      return -1;
    }
    value += (byte & 0xff) * weight;
    weight *= 256;
    cursor++;
  }
  return value;
}

function signExtend(value: number, bytes: number): number {
  if (bytes === 1) return (value << 24) >> 24;
  if (bytes === 2) return (value << 16) >> 16;
  return value | 0;
}

function failure(reason: 'unknown-opcode' | 'invalid', length: number, message: string): DecodeFailure {
  return { ok: false, reason, length, message };
}

function readFailure(): DecodeFailure {
  if (overlong) {
    return { ok: false, reason: 'too-long', length: MAXIMUM_INSTRUCTION_LENGTH + 1, message: `instruction longer than ${MAXIMUM_INSTRUCTION_LENGTH} bytes (#GP)` };
  }
  return { ok: false, reason: 'fetch-fault', faultIndex: faultAt, length: faultAt, message: `instruction byte ${faultAt} cannot be read` };
}

/** Decodes the memory form of a ModRM byte (mod != 3) with its SIB and displacement; null on a read failure. */
function decodeModrmMemory(modrm: number, addressSize: 16 | 32, segmentOverride: number, size: number): DecodedOperand | null {
  const mod = modrm >> 6;
  const rm = modrm & 7;
  let base = -1;
  let index = -1;
  let scale: 1 | 2 | 4 | 8 = 1;
  let displacementBytes: 0 | 1 | 2 | 4 = 0;
  let stackDefault = false;
  if (addressSize === 32) {
    if (rm === 4) {
      const sib = readBytes(1);
      if (sib < 0) return null;
      index = (sib >> 3) & 7;
      // index 100b means none, and then the scale bits mean nothing either
      if (index === 4) index = -1;
      else scale = (1 << (sib >> 6)) as 1 | 2 | 4 | 8;
      base = sib & 7;
      if (base === 5 && mod === 0) {
        base = -1;
        displacementBytes = 4;
      }
    } else if (rm === 5 && mod === 0) {
      displacementBytes = 4;
    } else {
      base = rm;
    }
    if (mod === 1) displacementBytes = 1;
    else if (mod === 2) displacementBytes = 4;
    stackDefault = base === 4 || base === 5;
  } else {
    // a16: bx+si, bx+di, bp+si, bp+di, si, di, bp (disp16 alone when mod = 0), bx
    switch (rm) {
      case 0: base = 3; index = 6; break;
      case 1: base = 3; index = 7; break;
      case 2: base = 5; index = 6; break;
      case 3: base = 5; index = 7; break;
      case 4: base = 6; break;
      case 5: base = 7; break;
      case 6: if (mod === 0) displacementBytes = 2; else base = 5; break;
      default: base = 3; break;
    }
    if (mod === 1) displacementBytes = 1;
    else if (mod === 2) displacementBytes = 2;
    stackDefault = base === 5;
  }
  let displacement = 0;
  if (displacementBytes > 0) {
    const raw = readBytes(displacementBytes);
    if (raw < 0) return null;
    displacement = signExtend(raw, displacementBytes);
  }
  const memory: DecodedMemory = {
    segment: segmentOverride >= 0 ? segmentOverride : stackDefault ? SEGMENT_SS : SEGMENT_DS,
    segmentOverridden: segmentOverride >= 0,
    base,
    index,
    scale,
    displacement,
    displacementBytes,
    addressSize,
  };
  return { kind: 'mem', size, memory };
}

function candidateMatches(candidate: DecodeCandidate, operandSize: number, addressSize: number, isRegisterForm: boolean): boolean {
  if (candidate.operandSize !== 0 && candidate.operandSize !== operandSize) return false;
  if (candidate.addressSize !== 0 && candidate.addressSize !== addressSize) return false;
  if (!candidate.ignoresMod) {
    if (candidate.modRequirement === ModRequirement.MemoryOnly && isRegisterForm) return false;
    if (candidate.modRequirement === ModRequirement.RegisterOnly && !isRegisterForm) return false;
  }
  for (let i = 0; i < candidate.trailingOpcode.length; i++) {
    if (currentFetch(cursor + i) !== candidate.trailingOpcode[i]) return false;
  }
  return true;
}

function hex(value: number, digits = 2): string {
  return '0x' + value.toString(16).padStart(digits, '0');
}

/**
 * Decodes one instruction. `fetchByte(i)` returns the byte at `address + i` or -1 when it cannot be read;
 * `bits` is the default operand and address size of the code segment (CS.D).
 */
export function decodeInstruction(fetchByte: FetchByte, address: number, bits: 16 | 32): DecodeResult {
  currentFetch = fetchByte;
  cursor = 0;
  faultAt = -1;
  overlong = false;

  let operandSizeOverride = false;
  let addressSizeOverride = false;
  let lock = false;
  let rep: 'rep' | 'repne' | null = null;
  let segmentOverride = -1;
  let opcodeByte: number;
  // Prefixes: any number, any order, until the 15-byte limit; the last segment override and the last
  // F2/F3 win, as the hardware does.
  for (;;) {
    opcodeByte = readBytes(1);
    if (opcodeByte < 0) return readFailure();
    switch (opcodeByte) {
      case 0x66: operandSizeOverride = true; continue;
      case 0x67: addressSizeOverride = true; continue;
      case 0xf0: lock = true; continue;
      case 0xf2: rep = 'repne'; continue;
      case 0xf3: rep = 'rep'; continue;
      case 0x26: segmentOverride = 0; continue;
      case 0x2e: segmentOverride = 1; continue;
      case 0x36: segmentOverride = 2; continue;
      case 0x3e: segmentOverride = 3; continue;
      case 0x64: segmentOverride = 4; continue;
      case 0x65: segmentOverride = 5; continue;
    }
    break;
  }
  const operandSize: 16 | 32 = (bits === 32) !== operandSizeOverride ? 32 : 16;
  const addressSize: 16 | 32 = (bits === 32) !== addressSizeOverride ? 32 : 16;

  let slotKey = opcodeByte;
  if (opcodeByte === 0x0f) {
    const second = readBytes(1);
    if (second < 0) return readFailure();
    slotKey = 256 + second;
  }
  const slot = OPCODE_SLOTS[slotKey];
  if (!slot) return failure('unknown-opcode', cursor, unknownOpcodeMessage(slotKey));

  let modrm = -1;
  let candidates: DecodeCandidate[];
  if (slot.usesModrm) {
    // Forms with a fixed trailing byte (aam = d4 0a) share a slot with ModRM-less forms; try them first.
    candidates = slot.withoutModrm;
    let chosen = findCandidate(candidates, operandSize, addressSize, false);
    if (chosen) return finishDecode(chosen, -1, address, operandSize, addressSize, lock, rep, segmentOverride);
    modrm = readBytes(1);
    if (modrm < 0) return readFailure();
    candidates = slot.byRegField[(modrm >> 3) & 7];
    const isRegisterForm = modrm >= 0xc0;
    chosen = findCandidate(candidates, operandSize, addressSize, isRegisterForm);
    if (chosen) return finishDecode(chosen, modrm, address, operandSize, addressSize, lock, rep, segmentOverride);
    const opcodeText = slotKey >= 256 ? `0x0f ${hex(slotKey - 256)}` : hex(slotKey);
    if (candidates.length === 0) {
      return failure('invalid', cursor, `opcode ${opcodeText} /${(modrm >> 3) & 7} is not defined (#UD)`);
    }
    const mnemonic = candidates[0].form.mnemonic;
    if (candidates.every((c) => (c.operandSize !== 0 && c.operandSize !== operandSize) || (c.addressSize !== 0 && c.addressSize !== addressSize))) {
      return failure('unknown-opcode', cursor, `${mnemonic} (${opcodeText}) with ${operandSize}-bit operands is not in the instruction table`);
    }
    return failure('invalid', cursor, isRegisterForm
      ? `${mnemonic} needs a memory operand, ModRM ${hex(modrm)} names a register (#UD)`
      : `${mnemonic} needs a register operand, ModRM ${hex(modrm)} names memory (#UD)`);
  }
  const chosen = findCandidate(slot.withoutModrm, operandSize, addressSize, false);
  if (chosen) return finishDecode(chosen, -1, address, operandSize, addressSize, lock, rep, segmentOverride);
  const opcodeText = slotKey >= 256 ? `0x0f ${hex(slotKey - 256)}` : hex(slotKey);
  return failure('unknown-opcode', cursor, slot.withoutModrm.length > 0
    ? `${slot.withoutModrm[0].form.mnemonic} (${opcodeText}) with ${operandSize}-bit operands is not in the instruction table`
    : unknownOpcodeMessage(slotKey));
}

function findCandidate(candidates: DecodeCandidate[], operandSize: number, addressSize: number, isRegisterForm: boolean): DecodeCandidate | undefined {
  for (let i = 0; i < candidates.length; i++) {
    if (candidateMatches(candidates[i], operandSize, addressSize, isRegisterForm)) return candidates[i];
  }
  return undefined;
}

function finishDecode(
  candidate: DecodeCandidate,
  modrm: number,
  address: number,
  operandSize: 16 | 32,
  addressSize: 16 | 32,
  lock: boolean,
  rep: 'rep' | 'repne' | null,
  segmentOverride: number,
): DecodeResult {
  cursor += candidate.trailingOpcode.length;
  const recipes = candidate.operands;
  const operands: DecodedOperand[] = []; // filled by push: a packed array, cheaper for the CPU to walk
  const regField = (modrm >> 3) & 7;
  const rmField = modrm & 7;
  const isRegisterForm = modrm >= 0xc0 || candidate.ignoresMod;
  let hasMemory = false;
  let relativeIndex = -1;
  for (let i = 0; i < recipes.length; i++) {
    const recipe = recipes[i];
    let operand: DecodedOperand | null;
    switch (recipe.kind) {
      case Kind.Reg8: case Kind.Reg16: case Kind.Reg32:
        operand = { kind: 'reg', size: recipe.size as 1 | 2 | 4, reg: candidate.opcodeRegister >= 0 ? candidate.opcodeRegister : regField };
        break;
      case Kind.RegMem8: case Kind.RegMem16: case Kind.RegMem32: case Kind.Mem:
        if (isRegisterForm) {
          operand = { kind: 'reg', size: recipe.size as 1 | 2 | 4, reg: rmField };
        } else {
          operand = decodeModrmMemory(modrm, addressSize, segmentOverride, recipe.size);
          if (!operand) return readFailure();
          hasMemory = true;
        }
        break;
      case Kind.RegisterOnly32:
        operand = { kind: 'reg', size: 4, reg: rmField };
        break;
      case Kind.Imm8: case Kind.Imm16: case Kind.Imm32: {
        const value = readBytes(recipe.size);
        if (value < 0) return readFailure();
        operand = { kind: 'imm', size: recipe.size as 1 | 2 | 4, value };
        break;
      }
      case Kind.SignedImm8: {
        const raw = readBytes(1);
        if (raw < 0) return readFailure();
        const extended = signExtend(raw, 1);
        operand = operandSize === 32
          ? { kind: 'imm', size: 4, value: extended >>> 0 }
          : { kind: 'imm', size: 2, value: extended & 0xffff };
        break;
      }
      case Kind.Rel8: case Kind.Rel16: case Kind.Rel32: {
        const raw = readBytes(recipe.size);
        if (raw < 0) return readFailure();
        operand = { kind: 'rel', size: recipe.size as 1 | 2 | 4, displacement: signExtend(raw, recipe.size), target: 0 };
        relativeIndex = i;
        break;
      }
      case Kind.Moffs8: case Kind.Moffs16: case Kind.Moffs32: {
        const offsetBytes = addressSize === 32 ? 4 : 2;
        const raw = readBytes(offsetBytes);
        if (raw < 0) return readFailure();
        operand = {
          kind: 'mem',
          size: recipe.size,
          memory: {
            segment: segmentOverride >= 0 ? segmentOverride : SEGMENT_DS,
            segmentOverridden: segmentOverride >= 0,
            base: -1,
            index: -1,
            scale: 1,
            displacement: signExtend(raw, offsetBytes),
            displacementBytes: offsetBytes,
            addressSize,
          },
        };
        hasMemory = true;
        break;
      }
      case Kind.Far16: case Kind.Far32: {
        const offset = readBytes(recipe.size);
        if (offset < 0) return readFailure();
        const segment = readBytes(2);
        if (segment < 0) return readFailure();
        operand = { kind: 'far', segment, offset };
        break;
      }
      case Kind.FixedRegister:
        operand = { kind: 'reg', size: recipe.size as 1 | 2 | 4, reg: recipe.fixed };
        break;
      case Kind.One:
        operand = { kind: 'imm', size: 1, value: 1 };
        break;
      case Kind.FixedSegment:
        operand = { kind: 'sreg', reg: recipe.fixed };
        break;
      case Kind.SegmentRegister:
        if (regField > 5) return failure('invalid', cursor, `segment register number ${regField} does not exist (#UD)`);
        if (i === 0 && candidate.writesSegmentRegister && regField === SEGMENT_CS) {
          return failure('invalid', cursor, `${candidate.form.mnemonic} cannot load cs (#UD)`);
        }
        operand = { kind: 'sreg', reg: regField };
        break;
      case Kind.ControlRegister:
        if (regField === 1 || regField > 4) return failure('invalid', cursor, `control register cr${regField} does not exist (#UD)`);
        operand = { kind: 'creg', reg: regField };
        break;
      case Kind.DebugRegister:
        operand = { kind: 'dreg', reg: regField };
        break;
    }
    operands.push(operand);
  }
  const length = cursor;
  if (relativeIndex >= 0) {
    const relative = operands[relativeIndex] as { kind: 'rel'; displacement: number; target: number };
    const target = address + length + relative.displacement;
    relative.target = operandSize === 32 ? target >>> 0 : target & 0xffff;
  }
  if (lock && !(candidate.lockable && hasMemory)) {
    return failure('invalid', length, candidate.lockable
      ? `lock ${candidate.form.mnemonic} needs a memory destination (#UD)`
      : `lock cannot prefix ${candidate.form.mnemonic} (#UD)`);
  }
  const instruction: DecodedInstruction = {
    form: candidate.form,
    formIndex: candidate.formIndex,
    address,
    length,
    operandSize,
    addressSize,
    lock,
    rep,
    segmentOverride,
    operands,
  };
  return { ok: true, instruction };
}

/** Names the instruction family of an opcode the table does not cover, so the message says why. */
function unknownOpcodeMessage(slotKey: number): string {
  if (slotKey < 256) {
    if (slotKey >= 0xd8 && slotKey <= 0xdf) return `unknown opcode ${hex(slotKey)} (x87, not supported)`;
    return `unknown opcode ${hex(slotKey)}`;
  }
  const second = slotKey - 256;
  const text = `unknown opcode 0x0f ${hex(second)}`;
  if (second === 0x0f) return `${text} (3DNow!, not supported)`;
  if (second === 0x0e || second === 0x77 || (second >= 0x60 && second <= 0x7f) || (second >= 0xd0)) {
    return `${text} (MMX/SSE, not supported)`;
  }
  if ((second >= 0x10 && second <= 0x17) || (second >= 0x28 && second <= 0x2f) || (second >= 0x50 && second <= 0x5f)
    || second === 0xae || (second >= 0xc2 && second <= 0xc6) || second === 0x18) {
    return `${text} (SSE, not supported)`;
  }
  if (second === 0x38 || second === 0x3a) return `${text} (SSSE3/SSE4, not supported)`;
  return text;
}

// decodeBytes reads through one module-level function over module-level state: no closure per call.
let sourceBytes: Uint8Array = new Uint8Array(0);
let sourceOffset = 0;
function fetchFromSourceBytes(index: number): number {
  const position = sourceOffset + index;
  return position < sourceBytes.length ? sourceBytes[position] : -1;
}

/** Decodes the instruction at `bytes[offset]`, which sits at `address`; bytes past the end count as unreadable. */
export function decodeBytes(bytes: Uint8Array, offset: number, address: number, bits: 16 | 32): DecodeResult {
  sourceBytes = bytes;
  sourceOffset = offset;
  return decodeInstruction(fetchFromSourceBytes, address, bits);
}

/** The table rows the decoder can reach, for tests that want to know what the table covers. */
export function isOpcodeSlotKnown(opcodeByte: number, secondByte?: number): boolean {
  const key = opcodeByte === 0x0f ? 256 + (secondByte ?? 0) : opcodeByte;
  return OPCODE_SLOTS[key] !== undefined;
}
