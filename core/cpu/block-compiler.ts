// Basic-block compiler: a run of hot decoded entries on one page becomes one JavaScript function (built
// once with `new Function`), so V8 optimises the block as a unit. Inside it the eight general registers
// live in JS locals (loaded once, written back at the exits), the lazy flags (STYLE.md 4) stay in locals
// and are written to the CPU once, memory accessors are inlined, and EIP is stored only where the block
// leaves or calls a handler. The common register, memory and stack forms are emitted inline; other
// instructions of the data-moving families are called through their handlers where they stand; the
// first control transfer or system instruction ends the block. A block follows a conditional jump into
// whichever side ran before (the other side leaves the block) and a short jump forward on its page.
// Everything an exception handler or the debugger can observe is exact at every fault: EIP names the
// faulting instruction, registers and flags are written back, and the block reports how many retired.
import type { Cpu } from './cpu';
import { ATTENTION_FLAGS, ATTENTION_SHADOW } from './cpu';
import type { DecodedEntry } from './decoded-entry';
import { NO_REGISTER, OPERAND_IMMEDIATE, OPERAND_MEMORY, OPERAND_REGISTER, OPERAND_SEGMENT_REGISTER } from './decoded-entry';
import { ARITHMETIC_FLAGS, FLAG_AF, FLAG_CF, FLAG_DF, FLAG_IF, FLAG_IOPL, FLAG_OF, FLAG_PF, FLAG_RF, FLAG_SF, FLAG_TF, FLAG_VM, FLAG_ZF } from './constants';
import { TLB_VALID } from '../memory/paging';
import { getCF, LAZY_ADD, LAZY_LOGIC, LAZY_SUB, maskOf as maskOfSize, readEflags, signBitOf, testCondition as testConditionOf } from './flags';
import { ALU_ADC, ALU_ADD, ALU_AND, ALU_CMP, ALU_OR, ALU_SBB, ALU_SUB, ALU_TEST, ALU_XOR } from './alu';
import { HotIndex } from './hot-dispatch';
import { SHIFT_SAR, SHIFT_SHL, SHIFT_SHR } from './shift';
import { loadDataSegment } from './segment';
import { writePoppedFlags } from './stack';

/** A compiled block: runs from the CPU's current EIP and returns the number of instructions retired. */
export type CompiledBlock = (cpu: Cpu) => number;

/** Executions of a block head before it is compiled (cold code stays in the interpreter). */
export const BLOCK_COMPILE_THRESHOLD = 16;
/**
 * Upper bounds that keep a block's code small and its invalidation window short: every instruction of
 * a block lies in [head, head + BLOCK_MAX_BYTES) of its page, whichever jumps it follows.
 */
export const BLOCK_MAX_INSTRUCTIONS = 64;
export const BLOCK_MAX_BYTES = 256;

const SIGN_BIT_32 = 0x80000000 | 0;
const LAZY_ALL = ARITHMETIC_FLAGS;
const LAZY_KEEP_CARRY = ARITHMETIC_FLAGS & ~FLAG_CF;
/** Register locals r0..r7; index 8 (NO_REGISTER) is the register file's always-zero slot. */
const GENERAL_REGISTERS = 8;
/** A mask with a bit for each register local. */
const ALL_REGISTERS = 0xFF;

/** Where the arithmetic flags live at a point of the generated code. */
const enum FlagState { InCpu, Local, LocalKeepCarry }

/** A piece of generated code decided when the whole block is known (register lists, the sti rule). */
type Deferred = () => string;

interface Emitter {
  lines: (string | Deferred)[];
  flagState: FlagState;
  /** Lazy kind of the pending local state (valid unless InCpu). */
  flagKind: number;
  /** Sign bit of the pending local state's operand size (0x80, 0x8000 or bit 31). */
  flagSign: number;
  /** The value the generated code last gave its `fg` local (it starts at bit 31): set only on a change. */
  signLocal: number;
  /** Segments whose base and access ends the block's prologue loads. */
  segments: Set<number>;
  /** Registers the block reads or writes anywhere: loaded at entry and after every called handler. */
  used: boolean[];
  /** Registers written anywhere: the fault path writes these back. */
  written: boolean[];
  /** Registers whose local differs from the register file at this point of the code. */
  dirty: boolean[];
}

function newEmitter(): Emitter {
  return {
    lines: [], flagState: FlagState.InCpu, flagKind: 0, flagSign: SIGN_BIT_32, signLocal: SIGN_BIT_32, segments: new Set<number>(),
    used: new Array<boolean>(GENERAL_REGISTERS).fill(false),
    written: new Array<boolean>(GENERAL_REGISTERS).fill(false),
    dirty: new Array<boolean>(GENERAL_REGISTERS).fill(false),
  };
}

// ------------------------------------------------------------------ registers as locals

/** The 32-bit register `index` as an expression (the zero slot reads as 0). */
function register32(emitter: Emitter, index: number): string {
  if (index === NO_REGISTER) return '0';
  emitter.used[index] = true;
  return `r${index}`;
}

/** Marks a register as written from here on (before the code that writes it is built into an exit). */
function markWritten(emitter: Emitter, index: number): void {
  emitter.used[index] = true;
  emitter.written[index] = true;
  emitter.dirty[index] = true;
}

/** `r<index> = value;` for a 32-bit register. */
function setRegister32(emitter: Emitter, index: number, value: string): string {
  markWritten(emitter, index);
  return `r${index} = ${value};`;
}

/**
 * A register operand of `size` bytes as a value. `index` is the decoder's view index: al=0 ah=1 cl=4 ...
 * for bytes, ax=0 cx=2 ... for words.
 */
function readRegister(emitter: Emitter, size: number, index: number): string {
  if (size === 4) return register32(emitter, index);
  if (size === 2) return `(${register32(emitter, index >> 1)} & 65535)`;
  const name = register32(emitter, index >> 2);
  return (index & 3) === 0 ? `(${name} & 255)` : `((${name} >>> 8) & 255)`;
}

/** Writes `value` (already masked to the size) into a register operand of `size` bytes. */
function writeRegister(emitter: Emitter, size: number, index: number, value: string): string {
  if (size === 4) return setRegister32(emitter, index, value);
  if (size === 2) {
    const name = register32(emitter, index >> 1);
    markWritten(emitter, index >> 1);
    return `${name} = (${name} & -65536) | ${value};`;
  }
  const number = index >> 2;
  const name = register32(emitter, number);
  markWritten(emitter, number);
  return (index & 3) === 0 ? `${name} = (${name} & -256) | ${value};` : `${name} = (${name} & -65281) | (${value} << 8);`;
}

/** Code storing the registers whose locals changed since the last sync into the register file. */
function writeBackCode(emitter: Emitter): string {
  let code = '';
  for (let index = 0; index < GENERAL_REGISTERS; index++) if (emitter.dirty[index]) code += `r[${index}] = r${index}; `;
  return code;
}

/** Code writing back the dirty registers among `mask` (bit i: register i) before a handler reads or writes them. */
function writeBackMaskedCode(emitter: Emitter, mask: number): string {
  let code = '';
  for (let index = 0; index < GENERAL_REGISTERS; index++) {
    if (emitter.dirty[index] && (mask & (1 << index)) !== 0) { code += `r[${index}] = r${index}; `; emitter.dirty[index] = false; }
  }
  return code;
}

/**
 * After a called handler that may have read or written the registers in `mask`: those locals are reloaded
 * (the register file is the truth for them), and the fault path trusts every local again.
 */
function syncedAfterCall(emitter: Emitter, mask: number): Deferred {
  return () => {
    let code = '';
    for (let index = 0; index < GENERAL_REGISTERS; index++) if (emitter.used[index] && (mask & (1 << index)) !== 0) code += `r${index} = r[${index}]; `;
    return `${code}w = ${ALL_REGISTERS};`;
  };
}

// ------------------------------------------------------------------ memory

/**
 * A 32-bit read of segment:offset into `target` (offset is a plain local): the fast path of Cpu.read32
 * — segment end, one masked TLB compare, an aligned dword — inline, everything else through read32.
 */
function readCode(emitter: Emitter, target: string, segment: number, offset: string): string {
  emitter.segments.add(segment);
  return `l = (base${segment} + ${offset}) | 0; q = tlb[l >>> 12]; ` +
    `if ((${offset} >>> 0) + 3 <= readEnd${segment} && (q & readMask) === ${TLB_VALID} && (l & 3) === 0) ${target} = dwords[((q & -4096) ^ l) >> 2]; ` +
    `else ${target} = cpu.read32(${segment}, ${offset});`;
}

/**
 * The write counterpart. Only the slow path can hit decoded code (the TLB's write hook sends those
 * pages there), so only it looks at `attention` and leaves the block through `exit`.
 */
function writeCode(emitter: Emitter, segment: number, offset: string, value: string, exit: string): string {
  emitter.segments.add(segment);
  return `l = (base${segment} + ${offset}) | 0; q = tlb[l >>> 12]; ` +
    `if ((${offset} >>> 0) + 3 <= writeEnd${segment} && (q & writeMask) === ${TLB_VALID} && (l & 3) === 0) dwords[((q & -4096) ^ l) >> 2] = ${value}; ` +
    `else { cpu.write32(${segment}, ${offset}, ${value}); if (cpu.attention !== 0) { ${exit} } }`;
}

/**
 * A byte or word read of segment:offset into `target`: the fast paths of Cpu.read8 / read16 (a word
 * that crosses a page goes through read16), everything else through them.
 */
function readSizedCode(emitter: Emitter, target: string, segment: number, offset: string, size: number): string {
  if (size === 4) return readCode(emitter, target, segment, offset);
  emitter.segments.add(segment);
  const start = `l = (base${segment} + ${offset}) | 0; q = tlb[l >>> 12]; `;
  if (size === 1) {
    return start + `if ((${offset} >>> 0) <= readEnd${segment} && (q & readMask) === ${TLB_VALID}) ${target} = bytes[(q & -4096) ^ l]; ` +
      `else ${target} = cpu.read8(${segment}, ${offset});`;
  }
  return start + `if ((${offset} >>> 0) + 1 <= readEnd${segment} && (q & readMask) === ${TLB_VALID} && (l & 0xFFF) !== 0xFFF) ` +
    `{ l = (q & -4096) ^ l; ${target} = bytes[l] | (bytes[l + 1] << 8); } else ${target} = cpu.read16(${segment}, ${offset});`;
}

/** The byte and word counterparts of writeCode (same exit rule: only the slow path can hit decoded code). */
function writeSizedCode(emitter: Emitter, segment: number, offset: string, value: string, size: number, exit: string): string {
  if (size === 4) return writeCode(emitter, segment, offset, value, exit);
  emitter.segments.add(segment);
  const start = `l = (base${segment} + ${offset}) | 0; q = tlb[l >>> 12]; `;
  const slow = `else { cpu.write${size * 8}(${segment}, ${offset}, ${value}); if (cpu.attention !== 0) { ${exit} } }`;
  if (size === 1) {
    return start + `if ((${offset} >>> 0) <= writeEnd${segment} && (q & writeMask) === ${TLB_VALID}) bytes[(q & -4096) ^ l] = ${value}; ${slow}`;
  }
  return start + `if ((${offset} >>> 0) + 1 <= writeEnd${segment} && (q & writeMask) === ${TLB_VALID} && (l & 0xFFF) !== 0xFFF) ` +
    `{ l = (q & -4096) ^ l; bytes[l] = ${value}; bytes[l + 1] = ${value} >> 8; } ${slow}`;
}

/** The effective address expression of the entry's memory operand, over the register locals. */
function addressExpression(emitter: Emitter, entry: DecodedEntry): string {
  const terms: string[] = [];
  if (entry.base !== NO_REGISTER) terms.push(register32(emitter, entry.base));
  if (entry.index !== NO_REGISTER) {
    const index = register32(emitter, entry.index);
    terms.push(entry.scaleShift === 0 ? index : `(${index} << ${entry.scaleShift})`);
  }
  if (entry.displacement !== 0 || terms.length === 0) terms.push(String(entry.displacement));
  return `((${terms.join(' + ')}) & ${entry.addressMask})`;
}

// ------------------------------------------------------------------ flags

/** Code writing the pending local flag state to the CPU (nothing when the flags already live there). */
function flushCode(emitter: Emitter): string {
  if (emitter.flagState === FlagState.InCpu) return '';
  const carry = emitter.flagState === FlagState.LocalKeepCarry ? 'cpu.flags = (cpu.flags & -2) | fc; ' : '';
  return `${carry}cpu.lazyKind = fk; cpu.lazySign = ${emitter.flagSign}; cpu.lazyA = fa; cpu.lazyB = fb; cpu.lazyResult = fr; cpu.lazyFlags = fm; fm = 0;`;
}

/** Flushes the flags in the code and in the emitter's state (before a handler reads them from the CPU). */
function flushFlags(emitter: Emitter): void {
  emitter.lines.push(flushCode(emitter));
  emitter.flagState = FlagState.InCpu;
}

/** Code that leaves the block: flags and registers written back, EIP set, the count returned. */
function exitCode(emitter: Emitter, eip: string, retired: number): string {
  return `${flushCode(emitter)} ${writeBackCode(emitter)}cpu.eip = ${eip}; return ${retired};`;
}

/** CF of the current flag state as a 0/1 expression. */
function carryExpression(emitter: Emitter): string {
  switch (emitter.flagState) {
    case FlagState.InCpu: return 'getCF(cpu)';
    case FlagState.LocalKeepCarry: return 'fc';
    default:
      if (emitter.flagKind === LAZY_ADD) return `((((fa & fb) | ((fa | fb) & ~fr)) & ${emitter.flagSign}) !== 0 ? 1 : 0)`;
      if (emitter.flagKind === LAZY_SUB) return `((((~fa & fb) | ((~fa | fb) & fr)) & ${emitter.flagSign}) !== 0 ? 1 : 0)`;
      return '0';
  }
}

/**
 * Records a result in the flag locals (all six flags, or all but CF for inc/dec): `result` is masked to
 * the operand size, whose sign bit is `sign`.
 */
function setFlags(emitter: Emitter, kind: number, a: string, b: string, result: string, keepCarry: boolean, sign = SIGN_BIT_32): void {
  emitter.lines.push(flagsCode(emitter, kind, a, b, result, keepCarry, sign));
}

/** setFlags' code as a string (the state moves on as if it were emitted). */
function flagsCode(emitter: Emitter, kind: number, a: string, b: string, result: string, keepCarry: boolean, sign = SIGN_BIT_32): string {
  const carry = keepCarry ? `fc = ${carryExpression(emitter)}; ` : '';
  emitter.flagState = keepCarry ? FlagState.LocalKeepCarry : FlagState.Local;
  emitter.flagKind = kind;
  emitter.flagSign = sign;
  // The code is straight-line (exits return), so `fg` holds the last value assigned above this point.
  const signCode = sign === emitter.signLocal ? '' : `fg = ${sign}; `;
  emitter.signLocal = sign;
  return `${carry}fk = ${kind}; fa = ${a}; fb = ${b}; fr = ${result}; ${signCode}fm = ${keepCarry ? LAZY_KEEP_CARRY : LAZY_ALL};`;
}

/**
 * A memory write followed by the flags of the same instruction: a faulting write leaves EFLAGS as they
 * were, and the exit after the write (a store into decoded code) carries the new flags.
 */
function emitWriteThenFlags(emitter: Emitter, write: (exit: string) => string, exitAfter: () => string,
  kind: number, a: string, b: string, result: string, keepCarry: boolean, sign: number): void {
  const saved = { state: emitter.flagState, kind: emitter.flagKind, sign: emitter.flagSign, signLocal: emitter.signLocal };
  const flagLine = flagsCode(emitter, kind, a, b, result, keepCarry, sign);
  const exit = `${flagLine} ${exitAfter()}`;
  emitter.flagState = saved.state;
  emitter.flagKind = saved.kind;
  emitter.flagSign = saved.sign;
  emitter.signLocal = saved.signLocal;
  emitter.lines.push(write(exit));
  setFlags(emitter, kind, a, b, result, keepCarry, sign);
}

/**
 * Condition code `cc` (jcc's low nibble) as an expression over the flag locals, or null when the flags
 * are not in locals or the condition needs PF. Equal to flags.ts testCondition on the same lazy state.
 */
function conditionExpression(emitter: Emitter, cc: number): string | null {
  if (emitter.flagState === FlagState.InCpu) return null;
  const kind = emitter.flagKind;
  const wide = emitter.flagSign === SIGN_BIT_32;
  const bit = emitter.flagSign;
  let carry: string;
  if (emitter.flagState === FlagState.LocalKeepCarry) carry = '(fc !== 0)';
  else if (kind === LAZY_LOGIC) carry = 'false';
  else if (wide) carry = kind === LAZY_ADD ? '((fr >>> 0) < (fa >>> 0))' : '((fa >>> 0) < (fb >>> 0))';
  else carry = `(${carryExpression(emitter)} !== 0)`;
  let overflow: string;
  if (kind === LAZY_LOGIC) overflow = 'false';
  else if (wide) overflow = kind === LAZY_ADD ? '(((fa ^ fr) & (fb ^ fr)) < 0)' : '(((fa ^ fb) & (fa ^ fr)) < 0)';
  else overflow = kind === LAZY_ADD ? `(((fa ^ fr) & (fb ^ fr) & ${bit}) !== 0)` : `(((fa ^ fb) & (fa ^ fr) & ${bit}) !== 0)`;
  const zero = '(fr === 0)';
  const sign = wide ? '(fr < 0)' : `((fr & ${bit}) !== 0)`;
  let condition: string;
  switch (cc >> 1) {
    case 0: condition = overflow; break;
    case 1: condition = carry; break;
    case 2: condition = zero; break;
    case 3: condition = `(${carry} || ${zero})`; break;
    case 4: condition = sign; break;
    case 5: return null;
    case 6: condition = `(${sign} !== ${overflow})`; break;
    default: condition = `(${zero} || ${sign} !== ${overflow})`; break;
  }
  return (cc & 1) === 0 ? condition : `!${condition}`;
}

/** Condition `cc` over the locals, or (after writing the flags back) through testCondition. */
function branchCondition(emitter: Emitter, cc: number): string {
  const inLocals = conditionExpression(emitter, cc);
  if (inLocals !== null) return inLocals;
  flushFlags(emitter);
  return `testCondition(cpu, ${cc})`;
}

// ------------------------------------------------------------------ which instructions go where

/** Lazy kind and JS expression of a two-operand ALU operation, or null for adc/sbb (they read CF: not inlined). */
function aluExpression(operation: number, a: string, b: string): { kind: number; result: string } | null {
  switch (operation) {
    case ALU_ADD: return { kind: LAZY_ADD, result: `(${a} + ${b}) | 0` };
    case ALU_OR: return { kind: LAZY_LOGIC, result: `${a} | ${b}` };
    case ALU_AND: case ALU_TEST: return { kind: LAZY_LOGIC, result: `${a} & ${b}` };
    case ALU_XOR: return { kind: LAZY_LOGIC, result: `${a} ^ ${b}` };
    case ALU_SUB: case ALU_CMP: return { kind: LAZY_SUB, result: `(${a} - ${b}) | 0` };
    default: return null;
  }
}

/** True when the entry's operation is one aluExpression handles. */
function inlineAluOperation(operation: number): boolean {
  return operation !== ALU_ADC && operation !== ALU_SBB && operation <= ALU_TEST;
}

/** Whether the compiler emits this entry inline (otherwise it is called, or it ends a block). */
function canInline(entry: DecodedEntry): boolean {
  if (entry.codeBits !== 32) return false;
  switch (entry.hot) {
    case HotIndex.addRegisterRegister32: case HotIndex.subRegisterRegister32: case HotIndex.xorRegisterRegister32:
    case HotIndex.addRegisterImmediate32: case HotIndex.subRegisterImmediate32: case HotIndex.inc32: case HotIndex.dec32:
    case HotIndex.moveRegisterRegister32: case HotIndex.moveRegisterImmediate32: case HotIndex.moveRegisterMemory32:
    case HotIndex.moveMemoryRegister32: case HotIndex.pushRegister32: case HotIndex.popRegister32:
      return true;
    case HotIndex.aluRegisterRegister32: case HotIndex.aluRegisterImmediate32: case HotIndex.aluRegisterMemory32: case HotIndex.aluMemory32:
      return inlineAluOperation(entry.operation);
    case HotIndex.loadEffectiveAddress:
      return entry.size0 === 4;
    default:
      return extraInlineForm(entry) !== ExtraForm.None;
  }
}

/** Forms the compiler emits inline that have no hot handler of their own (they run through generic ones). */
const enum ExtraForm { None, PushImmediate32, PushMemory32, MoveMemoryImmediate32, PushFlags32, SizedAlu, SizedMove, IncDec, ShiftImmediate32 }

const INLINE_ALU_MNEMONICS: ReadonlySet<string> = new Set(['add', 'or', 'and', 'sub', 'xor', 'cmp', 'test']);

/** A register or memory operand slot (the sized forms read and write these; a source may also be an immediate). */
function plainOperand(kind: number): boolean {
  return kind === OPERAND_REGISTER || kind === OPERAND_MEMORY;
}

function extraInlineForm(entry: DecodedEntry): ExtraForm {
  if (entry.addressMask !== -1) return ExtraForm.None;
  const mnemonic = entry.form.mnemonic;
  if (entry.operandBytes === 4) {
    if (mnemonic === 'push') {
      if (entry.kind0 === OPERAND_IMMEDIATE) return ExtraForm.PushImmediate32;
      if (entry.kind0 === OPERAND_MEMORY && entry.size0 === 4) return ExtraForm.PushMemory32;
    } else if (mnemonic === 'pushf') {
      return ExtraForm.PushFlags32;
    } else if (mnemonic === 'mov' && entry.kind0 === OPERAND_MEMORY && entry.size0 === 4 && entry.kind1 === OPERAND_IMMEDIATE) {
      return ExtraForm.MoveMemoryImmediate32;
    } else if (entry.form.group === 'shift' && (entry.operation === SHIFT_SHL || entry.operation === SHIFT_SHR || entry.operation === SHIFT_SAR) &&
      entry.form.operands.length === 2 && entry.kind0 === OPERAND_REGISTER && entry.size0 === 4 && entry.kind1 === OPERAND_IMMEDIATE) {
      return ExtraForm.ShiftImmediate32;
    }
  }
  if (entry.form.operands.length === 2 && plainOperand(entry.kind0) && entry.size0 < 4 &&
    (entry.kind1 === OPERAND_IMMEDIATE || (plainOperand(entry.kind1) && entry.size1 === entry.size0)) &&
    !(entry.kind0 === OPERAND_MEMORY && entry.kind1 === OPERAND_MEMORY)) {
    if (mnemonic === 'mov') return ExtraForm.SizedMove;
    if (INLINE_ALU_MNEMONICS.has(mnemonic) && inlineAluOperation(entry.operation)) return ExtraForm.SizedAlu;
  }
  if ((mnemonic === 'inc' || mnemonic === 'dec') && entry.form.operands.length === 1 &&
    ((entry.kind0 === OPERAND_MEMORY && entry.size0 > 0) || (entry.kind0 === OPERAND_REGISTER && entry.size0 < 4))) {
    return ExtraForm.IncDec;
  }
  return ExtraForm.None;
}

/** Control transfers the compiler ends a block with inline (instead of calling their handlers). */
const enum InlineTerminator { None, JumpRelative, CallRelative, CallIndirect, Return }

function inlineTerminator(entry: DecodedEntry): InlineTerminator {
  if (entry.codeBits !== 32 || entry.operandBytes !== 4 || entry.addressMask !== -1) return InlineTerminator.None;
  switch (entry.hot) {
    case HotIndex.jumpRelative32: return InlineTerminator.JumpRelative;
    case HotIndex.callRelative: return InlineTerminator.CallRelative;
    case HotIndex.returnNear: return InlineTerminator.Return;
    default: break;
  }
  if (entry.form.mnemonic === 'call' && entry.farSelector === 0 && entry.form.operands.length === 1 &&
    ((entry.kind0 === OPERAND_REGISTER && entry.size0 === 4) || (entry.kind0 === OPERAND_MEMORY && entry.size0 === 4))) {
    return InlineTerminator.CallIndirect;
  }
  return InlineTerminator.None;
}

/**
 * Groups whose handlers only ever move EIP to the next instruction (or leave it in place: a rep string
 * instruction that comes back for the rest), so a block calls them where they stand and runs on.
 * Control transfers, system instructions and port I/O end a block instead.
 */
const MID_BLOCK_GROUPS: ReadonlySet<string> = new Set(['alu', 'muldiv', 'shift', 'bcd', 'bit', 'string', 'data', 'stack', 'segment', 'flag', 'misc']);

function canCallInBlock(entry: DecodedEntry): boolean {
  return entry.codeBits === 32 && MID_BLOCK_GROUPS.has(entry.form.group);
}

/** rdtsc and the MSR instructions (IA32_TIME_STAMP_COUNTER) read or set the instruction count. */
function readsInstructionCount(entry: DecodedEntry): boolean {
  const mnemonic = entry.form.mnemonic;
  return mnemonic === 'rdtsc' || mnemonic === 'rdmsr' || mnemonic === 'wrmsr';
}

/** Whether a handler may change a segment base or limit, or the access masks (CPL, EFLAGS.AC). */
function mayChangeSegments(entry: DecodedEntry): boolean {
  const group = entry.form.group;
  return group === 'segment' || group === 'flag' || (group === 'stack' && entry.kind0 === OPERAND_SEGMENT_REGISTER);
}

/** True when the inline form of the entry touches memory (and so may fault). */
function touchesMemory(entry: DecodedEntry): boolean {
  switch (entry.hot) {
    case HotIndex.moveRegisterMemory32: case HotIndex.moveMemoryRegister32: case HotIndex.pushRegister32: case HotIndex.popRegister32:
    case HotIndex.aluRegisterMemory32: case HotIndex.aluMemory32:
      return true;
    default:
      switch (extraInlineForm(entry)) {
        case ExtraForm.None: case ExtraForm.ShiftImmediate32: return false;
        case ExtraForm.PushImmediate32: case ExtraForm.PushMemory32: case ExtraForm.MoveMemoryImmediate32: case ExtraForm.PushFlags32: return true;
        default: return entry.kind0 === OPERAND_MEMORY || entry.kind1 === OPERAND_MEMORY;
      }
  }
}

/**
 * The registers a called handler may read or write (bit i: register i): only these are written back
 * before the call and reloaded after it. String instructions work on EAX, ECX, ESI and EDI, the flag
 * instructions on none (lahf/sahf on AH); anything else is assumed to touch them all.
 */
function handlerRegisterMask(entry: DecodedEntry): number {
  switch (entry.form.group) {
    case 'string': return (1 << 0) | (1 << 1) | (1 << 6) | (1 << 7);
    case 'flag': return entry.form.mnemonic === 'lahf' || entry.form.mnemonic === 'sahf' ? 1 << 0 : 0;
    default: return ALL_REGISTERS;
  }
}

/**
 * Instructions the block performs itself around a call to a known helper, with no registers synced:
 * data segment loads (the system call path loads DS, ES and FS on the way in and FS on the way out),
 * pushes of segment registers, popfd, cli/sti, cld/std.
 */
const enum DirectForm { None, MoveToSegment, PopSegment32, PushSegment32, PopFlags32, ClearInterrupts, SetInterrupts, ClearDirection, SetDirection }

/** DS, ES, FS, GS: loading these changes nothing but their own descriptor cache (SS holds interrupts off). */
function isDataSegmentRegister(segment: number): boolean {
  return segment === 0 || segment === 3 || segment === 4 || segment === 5;
}

function directForm(entry: DecodedEntry): DirectForm {
  if (entry.codeBits !== 32 || entry.addressMask !== -1) return DirectForm.None;
  const mnemonic = entry.form.mnemonic;
  switch (entry.form.group) {
    case 'segment':
      if (mnemonic === 'mov' && entry.kind0 === OPERAND_SEGMENT_REGISTER && isDataSegmentRegister(entry.arg0) &&
        (entry.kind1 === OPERAND_REGISTER || entry.kind1 === OPERAND_MEMORY) && entry.size1 >= 2) return DirectForm.MoveToSegment;
      return DirectForm.None;
    case 'stack':
      if (entry.operandBytes !== 4) return DirectForm.None;
      if (mnemonic === 'popf') return DirectForm.PopFlags32;
      if (entry.kind0 !== OPERAND_SEGMENT_REGISTER) return DirectForm.None;
      if (mnemonic === 'pop' && isDataSegmentRegister(entry.arg0)) return DirectForm.PopSegment32;
      if (mnemonic === 'push' && entry.arg0 <= 5) return DirectForm.PushSegment32;
      return DirectForm.None;
    case 'flag':
      switch (mnemonic) {
        case 'cli': return DirectForm.ClearInterrupts;
        case 'sti': return DirectForm.SetInterrupts;
        case 'cld': return DirectForm.ClearDirection;
        case 'std': return DirectForm.SetDirection;
        default: return DirectForm.None;
      }
    default:
      return DirectForm.None;
  }
}

/** Assignments of a segment's base and access ends to the block's locals for it. */
function segmentLocalsCode(segment: number): string {
  return `base${segment} = cpu.segBase[${segment}]; readEnd${segment} = cpu.segReadEnd[${segment}]; writeEnd${segment} = cpu.segWriteEnd[${segment}];`;
}

/** After `segment` was loaded: its base and ends again, if the block reads them. */
function reloadSegmentCode(emitter: Emitter, segment: number): Deferred {
  return () => (emitter.segments.has(segment) ? segmentLocalsCode(segment) : '');
}

/** cli/sti at a CPL above IOPL: #GP(0) (the flags and registers are as before the instruction). */
function ioplCheckCode(count: number): string {
  return `if (cpu.cpl > ((cpu.flags & ${FLAG_IOPL}) >>> 12)) { n = ${count}; cpu.raise(13, 0); }`;
}

/**
 * Emits a direct form. `exitAfter` leaves right after the instruction; `followed` tells, once the block
 * is complete, whether another instruction of the block runs after this one.
 */
function emitDirect(emitter: Emitter, entry: DecodedEntry, form: DirectForm, count: number, exitAfter: () => string, followed: () => boolean): void {
  const lines = emitter.lines;
  switch (form) {
    case DirectForm.MoveToSegment: {
      // The selector's checks and descriptor read may fault (#GP, #NP, #PF): nothing has changed then.
      const segment = entry.arg0;
      lines.push(`n = ${count};`);
      if (entry.kind1 === OPERAND_REGISTER) {
        const source = entry.size1 === 4 ? register32(emitter, entry.arg1) : readRegister(emitter, 2, entry.arg1);
        lines.push(`v = ${source} & 65535;`);
      } else {
        lines.push(`t = ${addressExpression(emitter, entry)};`, readSizedCode(emitter, 'v', entry.segment, 't', 2));
      }
      lines.push(`loadSegment(cpu, ${segment}, v);`, reloadSegmentCode(emitter, segment));
      return;
    }
    case DirectForm.PopSegment32: {
      // The selector is read, then loaded (a fault leaves ESP alone), then ESP moves (stack.ts pop).
      const segment = entry.arg0;
      lines.push(`n = ${count}; t = ${register32(emitter, 4)};`, readCode(emitter, 'v', 2, 't'),
        `loadSegment(cpu, ${segment}, v & 65535); ${setRegister32(emitter, 4, '(t + 4) | 0')}`, reloadSegmentCode(emitter, segment));
      return;
    }
    case DirectForm.PushSegment32:
      lines.push(`n = ${count}; v = cpu.segSelector[${entry.arg0}];`, pushCode(emitter, 'v', exitAfter));
      return;
    case DirectForm.PopFlags32: {
      // Every status flag is replaced: the pending ones are written first so nothing stale survives.
      flushFlags(emitter);
      lines.push(`n = ${count}; t = ${register32(emitter, 4)};`, readCode(emitter, 'v', 2, 't'),
        `writePoppedFlags(cpu, v, 4); ${setRegister32(emitter, 4, '(t + 4) | 0')}`,
        `if (cpu.attention !== 0) { ${exitAfter()} }`,
        () => (emitter.segments.size === 0 ? '' : 'readMask = cpu.readMask; writeMask = cpu.writeMask;'));
      return;
    }
    case DirectForm.ClearInterrupts:
      lines.push(ioplCheckCode(count), `cpu.flags &= ${~FLAG_IF};`);
      return;
    case DirectForm.SetInterrupts: {
      // sti holds interrupts off until the next instruction has run. When that instruction runs in this
      // block, no interrupt can come in between; so unless one waits already (or TF asks for a trap), the
      // block runs on and the shadow is over when it ends. Otherwise the run loop is told, as the handler does.
      const tellLoop = `cpu.interruptShadow = true; cpu.attention |= ${ATTENTION_SHADOW | ATTENTION_FLAGS};`;
      const leave = exitAfter();   // built here: registers and flags as they are at this instruction
      lines.push(ioplCheckCode(count), () => (followed()
        ? `if ((cpu.flags & ${FLAG_IF}) === 0) { cpu.flags |= ${FLAG_IF}; if (cpu.externalInterruptPending || (cpu.flags & ${FLAG_TF}) !== 0) { ${tellLoop} ${leave} } }`
        : `if ((cpu.flags & ${FLAG_IF}) === 0) { cpu.flags |= ${FLAG_IF}; ${tellLoop} }`));
      return;
    }
    case DirectForm.ClearDirection:
      lines.push(`cpu.flags &= ${~FLAG_DF};`);
      return;
    case DirectForm.SetDirection:
      lines.push(`cpu.flags |= ${FLAG_DF};`);
      return;
    default:
      throw new Error(`block compiler: direct form ${form} has no emitter`);
  }
}

// ------------------------------------------------------------------ inline instructions

/** A push of `value` (an expression evaluated before ESP moves): the write first, so a fault leaves ESP alone. */
function pushCode(emitter: Emitter, value: string, exitAfter: () => string): string {
  const esp = register32(emitter, 4);
  const head = `t = (${esp} - 4) | 0; `;
  markWritten(emitter, 4);
  return head + writeCode(emitter, 2, 't', value, `r4 = t; ${exitAfter()}`) + ' r4 = t;';
}

/**
 * Emits one inline instruction. `exitAfter` builds the code that leaves the block right after it (used
 * after stores: a write that hit decoded code sets `attention`, and the block must not run on).
 */
function emitInline(emitter: Emitter, entry: DecodedEntry, exitAfter: () => string): void {
  const lines = emitter.lines;
  const x = entry.arg0;
  const y = entry.arg1;
  const immediate = String(entry.arg1 | 0);
  const operation = entry.operation;
  switch (entry.hot) {
    case HotIndex.addRegisterRegister32:
      lines.push(`a = ${register32(emitter, x)}; b = ${register32(emitter, y)}; v = (a + b) | 0; ${setRegister32(emitter, x, 'v')}`);
      setFlags(emitter, LAZY_ADD, 'a', 'b', 'v', false);
      return;
    case HotIndex.subRegisterRegister32:
      lines.push(`a = ${register32(emitter, x)}; b = ${register32(emitter, y)}; v = (a - b) | 0;${operation === ALU_SUB ? ` ${setRegister32(emitter, x, 'v')}` : ''}`);
      setFlags(emitter, LAZY_SUB, 'a', 'b', 'v', false);
      return;
    case HotIndex.xorRegisterRegister32:
      lines.push(`v = ${register32(emitter, x)} ^ ${register32(emitter, y)}; ${setRegister32(emitter, x, 'v')}`);
      setFlags(emitter, LAZY_LOGIC, '0', '0', 'v', false);
      return;
    case HotIndex.addRegisterImmediate32:
      lines.push(`a = ${register32(emitter, x)}; v = (a + ${immediate}) | 0; ${setRegister32(emitter, x, 'v')}`);
      setFlags(emitter, LAZY_ADD, 'a', immediate, 'v', false);
      return;
    case HotIndex.subRegisterImmediate32:
      lines.push(`a = ${register32(emitter, x)}; v = (a - ${immediate}) | 0;${operation === ALU_SUB ? ` ${setRegister32(emitter, x, 'v')}` : ''}`);
      setFlags(emitter, LAZY_SUB, 'a', immediate, 'v', false);
      return;
    case HotIndex.aluRegisterRegister32:
    case HotIndex.aluRegisterImmediate32:
    case HotIndex.aluRegisterMemory32: {
      if (entry.hot === HotIndex.aluRegisterMemory32) {
        lines.push(`t = ${addressExpression(emitter, entry)};`, readCode(emitter, 'b', entry.segment, 't'), `a = ${register32(emitter, x)};`);
      } else {
        lines.push(`a = ${register32(emitter, x)}; b = ${entry.hot === HotIndex.aluRegisterRegister32 ? register32(emitter, y) : immediate};`);
      }
      const alu = aluExpression(operation, 'a', 'b')!;
      lines.push(`v = ${alu.result};${operation < ALU_CMP ? ` ${setRegister32(emitter, x, 'v')}` : ''}`);
      setFlags(emitter, alu.kind, 'a', 'b', 'v', false);
      return;
    }
    case HotIndex.aluMemory32: {
      const source = entry.kind1 === OPERAND_REGISTER ? register32(emitter, y) : immediate;
      lines.push(`t = ${addressExpression(emitter, entry)};`, readCode(emitter, 'a', entry.segment, 't'), `b = ${source};`);
      const alu = aluExpression(operation, 'a', 'b')!;
      lines.push(`v = ${alu.result};`);
      if (operation >= ALU_CMP) { setFlags(emitter, alu.kind, 'a', 'b', 'v', false); return; }
      emitWriteThenFlags(emitter, (exit) => writeCode(emitter, entry.segment, 't', 'v', exit), exitAfter, alu.kind, 'a', 'b', 'v', false, SIGN_BIT_32);
      return;
    }
    case HotIndex.inc32:
      lines.push(`a = ${register32(emitter, x)}; v = (a + 1) | 0;`);
      setFlags(emitter, LAZY_ADD, 'a', '1', 'v', true);
      lines.push(setRegister32(emitter, x, 'v'));
      return;
    case HotIndex.dec32:
      lines.push(`a = ${register32(emitter, x)}; v = (a - 1) | 0;`);
      setFlags(emitter, LAZY_SUB, 'a', '1', 'v', true);
      lines.push(setRegister32(emitter, x, 'v'));
      return;
    case HotIndex.moveRegisterRegister32:
      lines.push(setRegister32(emitter, x, register32(emitter, y)));
      return;
    case HotIndex.moveRegisterImmediate32:
      lines.push(setRegister32(emitter, x, immediate));
      return;
    case HotIndex.moveRegisterMemory32:
      lines.push(`t = ${addressExpression(emitter, entry)};`, readCode(emitter, 'v', entry.segment, 't'), setRegister32(emitter, x, 'v'));
      return;
    case HotIndex.moveMemoryRegister32:
      lines.push(`t = ${addressExpression(emitter, entry)};`, writeCode(emitter, entry.segment, 't', register32(emitter, y), exitAfter()));
      return;
    case HotIndex.loadEffectiveAddress:
      lines.push(setRegister32(emitter, x, addressExpression(emitter, entry)));
      return;
    case HotIndex.pushRegister32:
      // push esp pushes the value before the push: the operand is read before ESP moves.
      lines.push(`v = ${register32(emitter, x)};`, pushCode(emitter, 'v', exitAfter));
      return;
    case HotIndex.popRegister32: {
      // pop esp loads the popped value last: ESP + 4 first, then the destination.
      const esp = register32(emitter, 4);
      lines.push(`t = ${esp};`, readCode(emitter, 'v', 2, 't'), `${setRegister32(emitter, 4, '(t + 4) | 0')} ${setRegister32(emitter, x, 'v')}`);
      return;
    }
    default:
      break;
  }
  switch (extraInlineForm(entry)) {
    case ExtraForm.PushImmediate32:
      lines.push(pushCode(emitter, String(entry.arg0 | 0), exitAfter));
      return;
    case ExtraForm.PushMemory32:
      // The operand's address uses ESP before the push (push dword [esp+4]).
      lines.push(`t = ${addressExpression(emitter, entry)};`, readCode(emitter, 'v', entry.segment, 't'), pushCode(emitter, 'v', exitAfter));
      return;
    case ExtraForm.MoveMemoryImmediate32:
      lines.push(`t = ${addressExpression(emitter, entry)};`, writeCode(emitter, entry.segment, 't', String(entry.arg1 | 0), exitAfter()));
      return;
    case ExtraForm.PushFlags32:
      // pushfd: EFLAGS with every lazy flag evaluated, VM and RF read as 0 (stack.ts pushFlags).
      flushFlags(emitter);
      lines.push(`v = readEflags(cpu) & ${~(FLAG_VM | FLAG_RF)};`, pushCode(emitter, 'v', exitAfter));
      return;
    case ExtraForm.SizedMove: {
      const size = entry.size0;
      const source = entry.kind1 === OPERAND_IMMEDIATE ? String(entry.arg1 & maskOfSize(size)) : entry.kind1 === OPERAND_REGISTER ? readRegister(emitter, size, y) : null;
      if (entry.kind0 === OPERAND_REGISTER) {
        if (source !== null) lines.push(`v = ${source}; ${writeRegister(emitter, size, x, 'v')}`);
        else lines.push(`t = ${addressExpression(emitter, entry)};`, readSizedCode(emitter, 'v', entry.segment, 't', size), writeRegister(emitter, size, x, 'v'));
      } else {
        lines.push(`t = ${addressExpression(emitter, entry)}; v = ${source!};`, writeSizedCode(emitter, entry.segment, 't', 'v', size, exitAfter()));
      }
      return;
    }
    case ExtraForm.SizedAlu: {
      const size = entry.size0;
      const mask = maskOfSize(size);
      const sign = signBitOf(size);
      const toRegister = entry.kind0 === OPERAND_REGISTER;
      if (!toRegister) lines.push(`t = ${addressExpression(emitter, entry)};`, readSizedCode(emitter, 'a', entry.segment, 't', size));
      else lines.push(`a = ${readRegister(emitter, size, x)};`);
      if (entry.kind1 === OPERAND_IMMEDIATE) lines.push(`b = ${entry.arg1 & mask};`);
      else if (entry.kind1 === OPERAND_REGISTER) lines.push(`b = ${readRegister(emitter, size, y)};`);
      else lines.push(`t = ${addressExpression(emitter, entry)};`, readSizedCode(emitter, 'b', entry.segment, 't', size));
      const alu = aluExpression(operation, 'a', 'b')!;
      lines.push(`v = (${alu.result}) & ${mask};`);
      if (operation >= ALU_CMP) { setFlags(emitter, alu.kind, 'a', 'b', 'v', false, sign); return; }
      if (toRegister) {
        lines.push(writeRegister(emitter, size, x, 'v'));
        setFlags(emitter, alu.kind, 'a', 'b', 'v', false, sign);
        return;
      }
      emitWriteThenFlags(emitter, (exit) => writeSizedCode(emitter, entry.segment, 't', 'v', size, exit), exitAfter, alu.kind, 'a', 'b', 'v', false, sign);
      return;
    }
    case ExtraForm.IncDec: {
      const size = entry.size0;
      const mask = maskOfSize(size);
      const sign = signBitOf(size);
      const kind = entry.form.mnemonic === 'inc' ? LAZY_ADD : LAZY_SUB;
      const result = `v = (a ${kind === LAZY_ADD ? '+' : '-'} 1) & ${mask};`;
      if (entry.kind0 === OPERAND_REGISTER) {
        lines.push(`a = ${readRegister(emitter, size, x)}; ${result} ${writeRegister(emitter, size, x, 'v')}`);
        setFlags(emitter, kind, 'a', '1', 'v', true, sign);
        return;
      }
      lines.push(`t = ${addressExpression(emitter, entry)};`, readSizedCode(emitter, 'a', entry.segment, 't', size), result);
      emitWriteThenFlags(emitter, (exit) => writeSizedCode(emitter, entry.segment, 't', 'v', size, exit), exitAfter, kind, 'a', '1', 'v', true, sign);
      return;
    }
    case ExtraForm.ShiftImmediate32: {
      // The count is known here: masked to 0 the instruction changes nothing. Otherwise all six flags
      // are set (CF and OF explicitly, as shiftCompute does), so the pending local ones are dropped.
      const count = entry.arg1 & 0x1F;
      if (count === 0) return;
      const source = register32(emitter, x);
      let code: string;
      switch (operation) {
        case SHIFT_SHL: code = `a = ${source}; v = a << ${count}; b = (a >>> ${32 - count}) & 1; t = (v < 0 ? 1 : 0) ^ b;`; break;
        case SHIFT_SHR: code = `a = ${source}; v = (a >>> ${count}) | 0; b = (a >>> ${count - 1}) & 1; t = a < 0 ? 1 : 0;`; break;
        case SHIFT_SAR: code = `a = ${source}; v = a >> ${count}; b = (a >> ${count - 1}) & 1; t = 0;`; break;
        default: throw new Error(`block compiler: shift operation ${operation} is not inlinable`);
      }
      lines.push(code, `${setRegister32(emitter, x, 'v')} fm = 0; cpu.flags = (cpu.flags & ${~(FLAG_CF | FLAG_OF)}) | b | (t << 11); ` +
        `cpu.lazyKind = ${LAZY_LOGIC}; cpu.lazySign = ${SIGN_BIT_32}; cpu.lazyA = 0; cpu.lazyB = 0; cpu.lazyResult = v; cpu.lazyFlags = ${FLAG_ZF | FLAG_SF | FLAG_PF | FLAG_AF};`);
      emitter.flagState = FlagState.InCpu;
      return;
    }
    default:
      throw new Error(`block compiler: entry with hot index ${entry.hot} is not inlinable`);
  }
}

// ------------------------------------------------------------------ the block

/** Where the compiler goes after a conditional or unconditional jump, if it stays in the block. */
interface Continuation {
  /** Offset (from the head) of the instruction the block runs on into. */
  position: number;
  /** True when that is the jump's target (the fall-through leaves the block), false for the fall-through. */
  taken: boolean;
}

/**
 * Whether the block may run on at `position` (relative to the head at page offset `offset`): that
 * instruction is decoded (it ran before), is 32-bit, lies inside the span and the block's byte window,
 * and was not compiled into this block already (the block is a straight line, never a loop).
 */
function canContinueAt(entries: readonly (DecodedEntry | undefined)[], offset: number, span: number, position: number, visited: ReadonlySet<number>): boolean {
  if (position < 0 || visited.has(position)) return false;
  const following = entries[offset + position];
  return following !== undefined && following.codeBits === 32 && offset + position + following.length <= span &&
    position + following.length <= BLOCK_MAX_BYTES;
}

/**
 * For a 32-bit jcc: run on into the fall-through when it is decoded (the taken side leaves), otherwise
 * into the target when that is decoded (the fall-through leaves). For a near jmp: run on at its target.
 * Null when neither is possible or the block has no room for another instruction.
 */
function continuationAfter(entries: readonly (DecodedEntry | undefined)[], offset: number, span: number, position: number,
  count: number, entry: DecodedEntry, visited: ReadonlySet<number>): Continuation | null {
  if (entry.codeBits !== 32 || entry.operandBytes !== 4 || count + 2 > BLOCK_MAX_INSTRUCTIONS) return null;
  const fallThrough = position + entry.length;
  const target = fallThrough + entry.relative;
  if (entry.hot === HotIndex.jumpConditional32) {
    if (canContinueAt(entries, offset, span, fallThrough, visited)) return { position: fallThrough, taken: false };
    if (canContinueAt(entries, offset, span, target, visited)) return { position: target, taken: true };
    return null;
  }
  if (entry.hot === HotIndex.jumpRelative32 && canContinueAt(entries, offset, span, target, visited)) return { position: target, taken: true };
  return null;
}

type BlockFactory = (carry: typeof getCF, testCondition: typeof testConditionOf, eflags: typeof readEflags,
  loadSegment: typeof loadDataSegment, popFlags: typeof writePoppedFlags,
  terminate: DecodedEntry['handler'] | null, terminatorEntry: DecodedEntry | null, called: readonly DecodedEntry[]) => CompiledBlock;

/**
 * Factories by their source. Blocks are position-independent (EIP-relative), so the same code compiled
 * again — after a snapshot is restored, a launch restarted, or a page rewritten with the same bytes —
 * reuses the factory and with it what V8 has already optimised for it.
 */
const factoryCache = new Map<string, BlockFactory>();
/** Source text the cache may hold (the keys are most of its memory); past it the cache starts again. */
const FACTORY_CACHE_SOURCE_LIMIT = 4 * 1024 * 1024;
let factoryCacheSourceLength = 0;

function blockFactory(source: string): BlockFactory | null {
  const cached = factoryCache.get(source);
  if (cached !== undefined) return cached;
  let factory: BlockFactory;
  try {
    factory = new Function('getCF', 'testCondition', 'readEflags', 'loadSegment', 'writePoppedFlags', 'terminate', 'terminatorEntry', 'called', source) as BlockFactory;
  } catch {
    // A host that forbids code generation from strings (node --disallow-code-generation-from-strings)
    // keeps this head in the interpreter, which gives the same results more slowly.
    return null;
  }
  if (factoryCacheSourceLength + source.length > FACTORY_CACHE_SOURCE_LIMIT) {
    factoryCache.clear();
    factoryCacheSourceLength = 0;
  }
  factoryCache.set(source, factory);
  factoryCacheSourceLength += source.length;
  return factory;
}

/**
 * Compiles the block starting at `entries[offset]` (the loop guarantees the head is cached there):
 * inline entries while they are decoded, inside `span` and 32-bit, following jumps as above, then the
 * first other entry as the terminator. Stores the function and its extent on the head entry.
 */
export function compileBlock(entries: readonly (DecodedEntry | undefined)[], offset: number, span: number): void {
  const head = entries[offset]!;
  if (head.codeBits !== 32) { head.heat = -1; return; }
  const emitter = newEmitter();
  const lines = emitter.lines;
  let position = 0;     // offset of the next instruction from the head
  let extent = 0;       // the end of the furthest instruction compiled (what must lie in the span)
  let count = 0;
  /** Instruction start offsets by retired count: the fault path sets EIP from these. */
  const starts: number[] = [];
  const visited = new Set<number>();
  let terminator: DecodedEntry | null = null;
  let callsHandlers = false;
  /** Instructions the block runs through their own handlers, in order (h0/x0, h1/x1 ... in the code). */
  const called: DecodedEntry[] = [];
  const place = (entry: DecodedEntry): void => {
    starts.push(position);
    visited.add(position);
    extent = Math.max(extent, position + entry.length);
  };
  for (;;) {
    const entry = entries[offset + position];
    if (entry === undefined || offset + position + entry.length > span || position + entry.length > BLOCK_MAX_BYTES || visited.has(position)) break;
    const continuation = continuationAfter(entries, offset, span, position, count, entry, visited);
    if (continuation !== null) {
      place(entry);
      const fallThrough = position + entry.length;
      if (entry.hot === HotIndex.jumpConditional32) {
        // The side that did not run before leaves the block (a side exit); a chain of rarely taken
        // checks (the kernel path's) is one block either way.
        const condition = branchCondition(emitter, entry.operation);
        if (continuation.taken) {
          lines.push(`if (!${condition}) { ${exitCode(emitter, `(e + ${fallThrough}) | 0`, count + 1)} }`);
        } else {
          lines.push(`if (${condition}) { t = (e + ${fallThrough + entry.relative}) | 0; ` +
            `if ((t >>> 0) > cpu.segLimit[1]) { n = ${count}; cpu.raise(13, 0); } ${exitCode(emitter, 't', count + 1)} }`);
        }
      }
      // A jmp followed in the block is only a retired instruction: its target lies inside the span.
      position = continuation.position;
      count++;
      continue;
    }
    const direct = directForm(entry);
    if (direct !== DirectForm.None) {
      place(entry);
      const nextPosition = position + entry.length;
      const retired = count + 1;
      emitDirect(emitter, entry, direct, count, () => exitCode(emitter, `(e + ${nextPosition}) | 0`, retired), () => retired < count);
      position = nextPosition;
      count = retired;
      if (count >= BLOCK_MAX_INSTRUCTIONS) break;
      continue;
    }
    if (!canInline(entry)) {
      if (readsInstructionCount(entry)) {
        // The time-stamp counter is instructionCount + what this run retired, which only the
        // interpreter loop tracks exactly: such an instruction ends the block before itself.
        if (count === 0) head.heat = -1;
        break;
      }
      if (!canCallInBlock(entry)) { terminator = entry; break; }
      // The handler reads EFLAGS, EIP and the registers it works on from the CPU and moves EIP itself; the
      // block goes on only when it asked for nothing (attention) and went to the next instruction.
      place(entry);
      callsHandlers = true;
      const nextPosition = position + entry.length;
      const slot = called.length;
      const mask = handlerRegisterMask(entry);
      called.push(entry);
      flushFlags(emitter);
      lines.push(`${writeBackMaskedCode(emitter, mask)}w = ${ALL_REGISTERS & ~mask}; cpu.eip = (e + ${position}) | 0; n = ${count};`, `h${slot}(cpu, x${slot});`);
      const retired = count + 1;
      lines.push(`if (cpu.attention !== 0 || cpu.eip !== ((e + ${nextPosition}) | 0)) { ${writeBackCode(emitter)}return ${retired}; }`);
      lines.push(syncedAfterCall(emitter, mask));
      if (mayChangeSegments(entry)) lines.push(reloadSegmentsCode(emitter));
      position = nextPosition;
      count = retired;
      if (count >= BLOCK_MAX_INSTRUCTIONS) break;
      continue;
    }
    place(entry);
    // A fault must see the count retired (the fault path sets EIP from it) and the flags as they were.
    if (touchesMemory(entry)) lines.push(`n = ${count};`);
    const nextPosition = position + entry.length;
    const retiredAfter = count + 1;
    emitInline(emitter, entry, () => exitCode(emitter, `(e + ${nextPosition}) | 0`, retiredAfter));
    position = nextPosition;
    count = retiredAfter;
    if (count >= BLOCK_MAX_INSTRUCTIONS) break;
  }
  if (count === 0 && terminator === null) {
    // Nothing fits in the span here (a breakpoint page has none): stay interpreted, try again later.
    if (head.heat !== -1) head.heat = 0;
    return;
  }
  if (terminator !== null) {
    place(terminator);
    emitTerminator(emitter, terminator, position, count);
    count++;
  } else {
    lines.push(exitCode(emitter, `(e + ${position}) | 0`, count));
  }
  const factory = blockFactory(blockSource(emitter, starts, called.length, callsHandlers));
  if (factory === null) { head.heat = -1; return; }
  head.block = factory(getCF, testConditionOf, readEflags, loadDataSegment, writePoppedFlags, terminator === null ? null : terminator.handler, terminator, called);
  head.blockLength = count;
  head.blockBytes = extent;
}

/** The block's last instruction: a jcc decided here, jmp/call/ret inline, or anything else through its handler. */
function emitTerminator(emitter: Emitter, terminator: DecodedEntry, position: number, count: number): void {
  const lines = emitter.lines;
  const fallThrough = position + terminator.length;
  const fault = `n = ${count}; cpu.raise(13, 0);`;
  const checkTarget = `if ((t >>> 0) > cpu.segLimit[1]) { ${fault} }`;
  const inlineCondition = terminator.hot === HotIndex.jumpConditional32 && terminator.codeBits === 32
    ? conditionExpression(emitter, terminator.operation) : null;
  if (inlineCondition !== null) {
    // jcc on flags still in locals: decided here, then the flags are written back once.
    lines.push(`a = ${inlineCondition} ? 1 : 0;`);
    flushFlags(emitter);
    lines.push(`if (a !== 0) { t = (e + ${fallThrough + terminator.relative}) | 0; ${checkTarget} } else t = (e + ${fallThrough}) | 0;`,
      exitCode(emitter, 't', count + 1));
    return;
  }
  switch (inlineTerminator(terminator)) {
    case InlineTerminator.JumpRelative:
      flushFlags(emitter);
      lines.push(`t = (e + ${fallThrough + terminator.relative}) | 0; ${checkTarget}`, exitCode(emitter, 't', count + 1));
      return;
    case InlineTerminator.CallRelative:
      flushFlags(emitter);
      lines.push(`n = ${count}; t = (e + ${fallThrough + terminator.relative}) | 0; ${checkTarget} v = t;`, pushReturnCode(emitter, fallThrough, count));
      return;
    case InlineTerminator.CallIndirect:
      flushFlags(emitter);
      lines.push(`n = ${count};`);
      if (terminator.kind0 === OPERAND_REGISTER) lines.push(`t = ${register32(emitter, terminator.arg0)};`);
      else lines.push(`t = ${addressExpression(emitter, terminator)};`, readCode(emitter, 't', terminator.segment, 't'));
      lines.push(`${checkTarget} v = t;`, pushReturnCode(emitter, fallThrough, count));
      return;
    case InlineTerminator.Return: {
      flushFlags(emitter);
      const release = 4 + (terminator.kind0 !== 0 ? terminator.arg0 & 0xFFFF : 0);
      lines.push(`n = ${count}; t = ${register32(emitter, 4)};`, readCode(emitter, 'v', 2, 't'),
        `t = v; ${checkTarget} ${setRegister32(emitter, 4, `(r4 + ${release}) | 0`)}`, exitCode(emitter, 'v', count + 1));
      return;
    }
    default:
      // The handler reads the flags, registers and EIP from the CPU and sets EIP itself (branches included).
      flushFlags(emitter);
      lines.push(`${writeBackCode(emitter)}w = 0; cpu.eip = (e + ${position}) | 0; n = ${count};`, 'terminate(cpu, terminatorEntry);', `return ${count + 1};`);
      emitter.dirty.fill(false);
  }
}

/** call: the return address pushed (the target, checked, is in `v`), then EIP = v. A store into code leaves the same way. */
function pushReturnCode(emitter: Emitter, fallThrough: number, count: number): string {
  const leave = (): string => exitCode(emitter, 'v', count + 1);
  return `${pushCode(emitter, `(e + ${fallThrough}) | 0`, leave)} ${leave()}`;
}

/** After a handler that may load a segment register or change CPL / EFLAGS.AC: the memory locals again. */
function reloadSegmentsCode(emitter: Emitter): Deferred {
  return () => {
    if (emitter.segments.size === 0) return '';
    return `readMask = cpu.readMask; writeMask = cpu.writeMask; ${[...emitter.segments].map(segmentLocalsCode).join(' ')}`;
  };
}

/** The factory's source: handler constants, then the block function with its prologue, body and fault path. */
function blockSource(emitter: Emitter, starts: readonly number[], calledCount: number, callsHandlers: boolean): string {
  const usedRegisters: number[] = [];
  const writtenRegisters: number[] = [];
  for (let index = 0; index < GENERAL_REGISTERS; index++) {
    if (emitter.used[index]) usedRegisters.push(index);
    if (emitter.written[index]) writtenRegisters.push(index);
  }
  const body = emitter.lines.map((line) => (typeof line === 'string' ? line : line())).filter((line) => line !== '');
  const segments = [...emitter.segments];
  // Registers written back on a fault: the locals hold the state before the faulting instruction, except
  // those a called handler works on in the register file itself (their bits are clear in w meanwhile).
  const writeBack = writtenRegisters.map((index) => (callsHandlers ? `if ((w & ${1 << index}) !== 0) r[${index}] = r${index};` : `r[${index}] = r${index};`)).join(' ');
  return [
    ...Array.from({ length: calledCount }, (_, slot) => `const h${slot} = called[${slot}].handler, x${slot} = called[${slot}];`),
    `const starts = [${starts.join(', ')}];`,
    'return function compiledBlock(cpu) {',
    '  const r = cpu.r32;',
    '  const e = cpu.eip;',
    ...(usedRegisters.length === 0 ? [] : [`  let ${usedRegisters.map((index) => `r${index} = r[${index}]`).join(', ')};`]),
    `  let a = 0, b = 0, v = 0, t = 0, l = 0, q = 0, fk = 0, fa = 0, fb = 0, fr = 0, fg = ${SIGN_BIT_32}, fm = 0, fc = 0, n = 0, w = ${ALL_REGISTERS};`,
    ...(segments.length === 0 ? [] : [
      '  const tlb = cpu.tlb, dwords = cpu.memory.dwords, bytes = cpu.memory.bytes;',
      '  let readMask = cpu.readMask, writeMask = cpu.writeMask;',
      ...segments.map((segment) => `  let base${segment} = 0, readEnd${segment} = 0, writeEnd${segment} = 0; ${segmentLocalsCode(segment)}`),
    ]),
    '  try {',
    ...body.map((line) => `    ${line}`),
    '  } catch (signal) {',
    ...(writeBack === '' ? [] : [`    ${writeBack}`]),
    // Flags pending in locals at the fault are the flags before the faulting instruction.
    `    if (fm !== 0) { if (fm !== ${LAZY_ALL}) cpu.flags = (cpu.flags & -2) | fc; cpu.lazyKind = fk; cpu.lazySign = fg; cpu.lazyA = fa; cpu.lazyB = fb; cpu.lazyResult = fr; cpu.lazyFlags = fm; }`,
    '    cpu.eip = (e + starts[n]) | 0;',
    '    cpu.blockRetired = n;',
    '    throw signal;',
    '  }',
    '};',
  ].join('\n');
}
