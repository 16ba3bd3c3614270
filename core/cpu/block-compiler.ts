// Basic-block compiler: a run of hot decoded entries on one page becomes one JavaScript function (built
// once with `new Function`), so V8 optimises the block as a unit — registers as typed-array slots, the
// memory accessors inlined, the lazy flags (STYLE.md 4) kept in locals and written to the CPU once at
// the block's exit, and no dispatch between the instructions. The common 32-bit register, memory and
// stack forms are emitted inline; the first other instruction ends the block and is run through its own
// handler. Everything an exception handler or the debugger can observe is exact at every fault:
// EIP names the faulting instruction, the flags are flushed, and the block reports how many retired.
import type { Cpu } from './cpu';
import type { DecodedEntry } from './decoded-entry';
import { NO_REGISTER, OPERAND_IMMEDIATE, OPERAND_MEMORY, OPERAND_REGISTER, OPERAND_SEGMENT_REGISTER } from './decoded-entry';
import { ARITHMETIC_FLAGS, FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_RF, FLAG_SF, FLAG_VM, FLAG_ZF } from './constants';
import { TLB_VALID } from '../memory/paging';
import { getCF, LAZY_ADD, LAZY_LOGIC, LAZY_SUB, maskOf as maskOfSize, readEflags, signBitOf, testCondition as testConditionOf } from './flags';
import { ALU_ADC, ALU_ADD, ALU_AND, ALU_CMP, ALU_OR, ALU_SBB, ALU_SUB, ALU_TEST, ALU_XOR } from './alu';
import { HotIndex } from './hot-dispatch';
import { SHIFT_SAR, SHIFT_SHL, SHIFT_SHR } from './shift';

/** A compiled block: runs from the CPU's current EIP and returns the number of instructions retired. */
export type CompiledBlock = (cpu: Cpu) => number;

/** Executions of a block head before it is compiled (cold code stays in the interpreter). */
export const BLOCK_COMPILE_THRESHOLD = 16;
/** Upper bounds that keep a block's code small and its invalidation window short. */
export const BLOCK_MAX_INSTRUCTIONS = 48;
export const BLOCK_MAX_BYTES = 256;

const SIGN_BIT_32 = 0x80000000 | 0;
const LAZY_ALL = ARITHMETIC_FLAGS;
const LAZY_KEEP_CARRY = ARITHMETIC_FLAGS & ~FLAG_CF;

/** A line of generated code that stands for "read the segment locals and access masks again". */
const RELOAD_SEGMENTS = '/* reload segments */';

/** Where the arithmetic flags live at a point of the generated code. */
const enum FlagState { InCpu, Local, LocalKeepCarry }

interface Emitter {
  lines: string[];
  flagState: FlagState;
  /** Lazy kind of the pending local state (valid unless InCpu). */
  flagKind: number;
  /** Sign bit of the pending local state's operand size (0x80, 0x8000 or bit 31). */
  flagSign: number;
  /** The value the generated code last gave its `fg` local (it starts at bit 31): set only on a change. */
  signLocal: number;
  /** Segments whose base and access ends the block's prologue loads. */
  segments: Set<number>;
}

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

/** A register operand of `size` bytes as an lvalue (index as the decoder gave it: AH is byte 1). */
function registerCode(size: number, index: number): string {
  return size === 4 ? `r[${index}]` : size === 2 ? `r16[${index}]` : `r8[${index}]`;
}

/** The effective address expression of the entry's memory operand (r is cpu.r32). */
function addressExpression(entry: DecodedEntry): string {
  const terms: string[] = [];
  if (entry.base !== NO_REGISTER) terms.push(`r[${entry.base}]`);
  if (entry.index !== NO_REGISTER) terms.push(entry.scaleShift === 0 ? `r[${entry.index}]` : `(r[${entry.index}] << ${entry.scaleShift})`);
  if (entry.displacement !== 0 || terms.length === 0) terms.push(String(entry.displacement));
  return `((${terms.join(' + ')}) & ${entry.addressMask})`;
}

/** Code writing the pending local flag state to the CPU (nothing when the flags already live there). */
function flushCode(emitter: Emitter): string {
  if (emitter.flagState === FlagState.InCpu) return '';
  const carry = emitter.flagState === FlagState.LocalKeepCarry ? 'cpu.flags = (cpu.flags & -2) | fc; ' : '';
  return `${carry}cpu.lazyKind = fk; cpu.lazySign = ${emitter.flagSign}; cpu.lazyA = fa; cpu.lazyB = fb; cpu.lazyResult = fr; cpu.lazyFlags = fm; fm = 0;`;
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

/** Whether the compiler emits this entry inline (otherwise it can only end a block, through its handler). */
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
 * Emits one inline instruction. `exit` is the code that leaves the block right after it (used after
 * stores: a write that hit decoded code or a watched page sets `attention`, and the block must not run on).
 */
function emitInline(emitter: Emitter, entry: DecodedEntry, exitAfter: () => string): void {
  const lines = emitter.lines;
  const x = entry.arg0;
  const y = entry.arg1;
  const immediate = String(entry.arg1 | 0);
  const operation = entry.operation;
  switch (entry.hot) {
    case HotIndex.addRegisterRegister32:
      lines.push(`a = r[${x}]; b = r[${y}]; v = (a + b) | 0; r[${x}] = v;`);
      setFlags(emitter, LAZY_ADD, 'a', 'b', 'v', false);
      return;
    case HotIndex.subRegisterRegister32:
      lines.push(`a = r[${x}]; b = r[${y}]; v = (a - b) | 0;${operation === ALU_SUB ? ` r[${x}] = v;` : ''}`);
      setFlags(emitter, LAZY_SUB, 'a', 'b', 'v', false);
      return;
    case HotIndex.xorRegisterRegister32:
      lines.push(`v = r[${x}] ^ r[${y}]; r[${x}] = v;`);
      setFlags(emitter, LAZY_LOGIC, '0', '0', 'v', false);
      return;
    case HotIndex.addRegisterImmediate32:
      lines.push(`a = r[${x}]; v = (a + ${immediate}) | 0; r[${x}] = v;`);
      setFlags(emitter, LAZY_ADD, 'a', immediate, 'v', false);
      return;
    case HotIndex.subRegisterImmediate32:
      lines.push(`a = r[${x}]; v = (a - ${immediate}) | 0;${operation === ALU_SUB ? ` r[${x}] = v;` : ''}`);
      setFlags(emitter, LAZY_SUB, 'a', immediate, 'v', false);
      return;
    case HotIndex.aluRegisterRegister32:
    case HotIndex.aluRegisterImmediate32:
    case HotIndex.aluRegisterMemory32: {
      if (entry.hot === HotIndex.aluRegisterMemory32) {
        lines.push(`t = ${addressExpression(entry)};`, readCode(emitter, 'b', entry.segment, 't'), `a = r[${x}];`);
      } else {
        lines.push(`a = r[${x}]; b = ${entry.hot === HotIndex.aluRegisterRegister32 ? `r[${y}]` : immediate};`);
      }
      const alu = aluExpression(operation, 'a', 'b')!;
      lines.push(`v = ${alu.result};${operation < ALU_CMP ? ` r[${x}] = v;` : ''}`);
      setFlags(emitter, alu.kind, 'a', 'b', 'v', false);
      return;
    }
    case HotIndex.aluMemory32: {
      const source = entry.kind1 === OPERAND_REGISTER ? `r[${y}]` : immediate;
      lines.push(`t = ${addressExpression(entry)};`, readCode(emitter, 'a', entry.segment, 't'), `b = ${source};`);
      const alu = aluExpression(operation, 'a', 'b')!;
      lines.push(`v = ${alu.result};`);
      if (operation >= ALU_CMP) { setFlags(emitter, alu.kind, 'a', 'b', 'v', false); return; }
      emitWriteThenFlags(emitter, (exit) => writeCode(emitter, entry.segment, 't', 'v', exit), exitAfter, alu.kind, 'a', 'b', 'v', false, SIGN_BIT_32);
      return;
    }
    case HotIndex.inc32:
      lines.push(`a = r[${x}]; v = (a + 1) | 0;`);
      setFlags(emitter, LAZY_ADD, 'a', '1', 'v', true);
      lines.push(`r[${x}] = v;`);
      return;
    case HotIndex.dec32:
      lines.push(`a = r[${x}]; v = (a - 1) | 0;`);
      setFlags(emitter, LAZY_SUB, 'a', '1', 'v', true);
      lines.push(`r[${x}] = v;`);
      return;
    case HotIndex.moveRegisterRegister32:
      lines.push(`r[${x}] = r[${y}];`);
      return;
    case HotIndex.moveRegisterImmediate32:
      lines.push(`r[${x}] = ${immediate};`);
      return;
    case HotIndex.moveRegisterMemory32:
      lines.push(`t = ${addressExpression(entry)};`, readCode(emitter, `r[${x}]`, entry.segment, 't'));
      return;
    case HotIndex.moveMemoryRegister32:
      lines.push(`t = ${addressExpression(entry)};`, writeCode(emitter, entry.segment, 't', `r[${y}]`, exitAfter()));
      return;
    case HotIndex.loadEffectiveAddress:
      lines.push(`r[${x}] = ${addressExpression(entry)};`);
      return;
    case HotIndex.pushRegister32:
      // The write happens before ESP moves, so a fault leaves ESP alone (push esp pushes the old value).
      lines.push(`t = (r[4] - 4) | 0;`, writeCode(emitter, 2, 't', `r[${x}]`, `r[4] = t; ${exitAfter()}`), 'r[4] = t;');
      return;
    case HotIndex.popRegister32:
      lines.push('t = r[4];', readCode(emitter, 'v', 2, 't'), `r[4] = (t + 4) | 0; r[${x}] = v;`);
      return;
    default:
      break;
  }
  switch (extraInlineForm(entry)) {
    case ExtraForm.PushImmediate32:
      lines.push(`t = (r[4] - 4) | 0;`, writeCode(emitter, 2, 't', String(entry.arg0 | 0), `r[4] = t; ${exitAfter()}`), 'r[4] = t;');
      return;
    case ExtraForm.PushMemory32:
      // The operand's address uses ESP before the push (push dword [esp+4]).
      lines.push(`t = ${addressExpression(entry)};`, readCode(emitter, 'v', entry.segment, 't'),
        `t = (r[4] - 4) | 0;`, writeCode(emitter, 2, 't', 'v', `r[4] = t; ${exitAfter()}`), 'r[4] = t;');
      return;
    case ExtraForm.MoveMemoryImmediate32:
      lines.push(`t = ${addressExpression(entry)};`, writeCode(emitter, entry.segment, 't', String(entry.arg1 | 0), exitAfter()));
      return;
    case ExtraForm.PushFlags32:
      // pushfd: EFLAGS with every lazy flag evaluated, VM and RF read as 0 (stack.ts pushFlags).
      lines.push(flushCode(emitter));
      emitter.flagState = FlagState.InCpu;
      lines.push(`t = (r[4] - 4) | 0; v = readEflags(cpu) & ${~(FLAG_VM | FLAG_RF)};`,
        writeCode(emitter, 2, 't', 'v', `r[4] = t; ${exitAfter()}`), 'r[4] = t;');
      return;
    case ExtraForm.SizedMove: {
      const size = entry.size0;
      const source = entry.kind1 === OPERAND_IMMEDIATE ? String(entry.arg1 & maskOfSize(size)) : entry.kind1 === OPERAND_REGISTER ? registerCode(size, y) : null;
      if (entry.kind0 === OPERAND_REGISTER) {
        if (source !== null) lines.push(`${registerCode(size, x)} = ${source};`);
        else lines.push(`t = ${addressExpression(entry)};`, readSizedCode(emitter, registerCode(size, x), entry.segment, 't', size));
      } else {
        lines.push(`t = ${addressExpression(entry)};`, writeSizedCode(emitter, entry.segment, 't', source!, size, exitAfter()));
      }
      return;
    }
    case ExtraForm.SizedAlu: {
      const size = entry.size0;
      const mask = maskOfSize(size);
      const sign = signBitOf(size);
      const destination = entry.kind0 === OPERAND_REGISTER ? registerCode(size, x) : null;
      if (destination === null) lines.push(`t = ${addressExpression(entry)};`, readSizedCode(emitter, 'a', entry.segment, 't', size));
      else lines.push(`a = ${destination};`);
      if (entry.kind1 === OPERAND_IMMEDIATE) lines.push(`b = ${entry.arg1 & mask};`);
      else if (entry.kind1 === OPERAND_REGISTER) lines.push(`b = ${registerCode(size, y)};`);
      else lines.push(`t = ${addressExpression(entry)};`, readSizedCode(emitter, 'b', entry.segment, 't', size));
      const alu = aluExpression(operation, 'a', 'b')!;
      lines.push(`v = (${alu.result}) & ${mask};`);
      if (operation >= ALU_CMP) { setFlags(emitter, alu.kind, 'a', 'b', 'v', false, sign); return; }
      if (destination !== null) {
        lines.push(`${destination} = v;`);
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
        lines.push(`a = ${registerCode(size, x)}; ${result} ${registerCode(size, x)} = v;`);
        setFlags(emitter, kind, 'a', '1', 'v', true, sign);
        return;
      }
      lines.push(`t = ${addressExpression(entry)};`, readSizedCode(emitter, 'a', entry.segment, 't', size), result);
      emitWriteThenFlags(emitter, (exit) => writeSizedCode(emitter, entry.segment, 't', 'v', size, exit), exitAfter, kind, 'a', '1', 'v', true, sign);
      return;
    }
    case ExtraForm.ShiftImmediate32: {
      // The count is known here: masked to 0 the instruction changes nothing. Otherwise all six flags
      // are set (CF and OF explicitly, as shiftCompute does), so the pending local ones are dropped.
      const count = entry.arg1 & 0x1F;
      if (count === 0) return;
      let code: string;
      switch (operation) {
        case SHIFT_SHL: code = `a = r[${x}]; v = a << ${count}; b = (a >>> ${32 - count}) & 1; t = (v < 0 ? 1 : 0) ^ b;`; break;
        case SHIFT_SHR: code = `a = r[${x}]; v = (a >>> ${count}) | 0; b = (a >>> ${count - 1}) & 1; t = a < 0 ? 1 : 0;`; break;
        case SHIFT_SAR: code = `a = r[${x}]; v = a >> ${count}; b = (a >> ${count - 1}) & 1; t = 0;`; break;
        default: throw new Error(`block compiler: shift operation ${operation} is not inlinable`);
      }
      lines.push(code, `r[${x}] = v; fm = 0; cpu.flags = (cpu.flags & ${~(FLAG_CF | FLAG_OF)}) | b | (t << 11); ` +
        `cpu.lazyKind = ${LAZY_LOGIC}; cpu.lazySign = ${SIGN_BIT_32}; cpu.lazyA = 0; cpu.lazyB = 0; cpu.lazyResult = v; cpu.lazyFlags = ${FLAG_ZF | FLAG_SF | FLAG_PF | FLAG_AF};`);
      emitter.flagState = FlagState.InCpu;
      return;
    }
    default:
      throw new Error(`block compiler: entry with hot index ${entry.hot} is not inlinable`);
  }
}

/**
 * Whether the block goes on past `entry`, a 32-bit conditional jump, into its fall-through: only when
 * that instruction is decoded already (it ran before), fits the span and the block's bounds, and another
 * instruction after the jump is left in the block's budget.
 */
function continuesPastBranch(entries: readonly (DecodedEntry | undefined)[], offset: number, bytes: number, span: number, count: number, entry: DecodedEntry): boolean {
  if (entry.hot !== HotIndex.jumpConditional32 || entry.codeBits !== 32 || count + 2 > BLOCK_MAX_INSTRUCTIONS) return false;
  const fallThrough = bytes + entry.length;
  const following = entries[offset + fallThrough];
  return following !== undefined && following.codeBits === 32 && offset + fallThrough + following.length <= span &&
    fallThrough + following.length <= BLOCK_MAX_BYTES;
}

/**
 * Compiles the block starting at `entries[offset]` (the loop guarantees the head is cached there):
 * inline entries while they are decoded, inside `span` and 32-bit, then the first other entry as the
 * terminator. Stores the function and its extent on the head entry.
 */
export function compileBlock(entries: readonly (DecodedEntry | undefined)[], offset: number, span: number): void {
  const head = entries[offset]!;
  if (head.codeBits !== 32) { head.heat = -1; return; }
  const emitter: Emitter = { lines: [], flagState: FlagState.InCpu, flagKind: 0, flagSign: SIGN_BIT_32, signLocal: SIGN_BIT_32, segments: new Set<number>() };
  const lines = emitter.lines;
  let bytes = 0;
  let count = 0;
  let eipStored = 0;   // the EIP offset cpu.eip holds at this point of the code
  let terminator: DecodedEntry | null = null;
  /** Instructions the block runs through their own handlers, in order (h0/x0, h1/x1 ... in the code). */
  const called: DecodedEntry[] = [];
  for (;;) {
    const entry = entries[offset + bytes];
    if (entry === undefined || offset + bytes + entry.length > span || bytes + entry.length > BLOCK_MAX_BYTES) break;
    if (continuesPastBranch(entries, offset, bytes, span, count, entry)) {
      // A conditional jump whose fall-through is decoded: the taken side leaves the block (a side exit),
      // the other runs on, so a chain of rarely taken checks (the kernel path's) is one block.
      const fallThrough = bytes + entry.length;
      let condition = conditionExpression(emitter, entry.operation);
      if (condition === null) {
        lines.push(flushCode(emitter));
        emitter.flagState = FlagState.InCpu;
        condition = `testCondition(cpu, ${entry.operation})`;
      }
      lines.push(
        `if (${condition}) { t = (e + ${fallThrough + entry.relative}) | 0; ` +
        `if ((t >>> 0) > cpu.segLimit[1]) { cpu.eip = (e + ${bytes}) | 0; n = ${count}; cpu.raise(13, 0); } ` +
        `${flushCode(emitter)} cpu.eip = t; return ${count + 1}; }`);
      bytes = fallThrough;
      count++;
      continue;
    }
    if (!canInline(entry)) {
      if (readsInstructionCount(entry)) {
        // The time-stamp counter is instructionCount + what this run retired, which only the
        // interpreter loop tracks exactly: such an instruction ends the block before itself.
        if (bytes === 0) head.heat = -1;
        break;
      }
      if (!canCallInBlock(entry)) { terminator = entry; break; }
      // The handler reads EFLAGS and EIP from the CPU and moves EIP itself; the block goes on only when
      // it asked for nothing (attention) and went to the next instruction.
      const nextBytes = bytes + entry.length;
      const slot = called.length;
      called.push(entry);
      lines.push(flushCode(emitter));
      emitter.flagState = FlagState.InCpu;
      if (eipStored !== bytes) lines.push(`cpu.eip = (e + ${bytes}) | 0;`);
      lines.push(`n = ${count};`, `h${slot}(cpu, x${slot});`,
        `if (cpu.attention !== 0 || cpu.eip !== ((e + ${nextBytes}) | 0)) return ${count + 1};`);
      if (mayChangeSegments(entry)) lines.push(RELOAD_SEGMENTS);
      eipStored = nextBytes;
      bytes = nextBytes;
      count++;
      if (count >= BLOCK_MAX_INSTRUCTIONS) break;
      continue;
    }
    if (touchesMemory(entry)) {
      // A fault must see EIP at this instruction, the flags as they were before it, and the count retired.
      if (eipStored !== bytes) { lines.push(`cpu.eip = (e + ${bytes}) | 0;`); eipStored = bytes; }
      lines.push(`n = ${count};`);
    }
    const nextBytes = bytes + entry.length;
    const retiredAfter = count + 1;
    emitInline(emitter, entry, () => `${flushCode(emitter)} cpu.eip = (e + ${nextBytes}) | 0; return ${retiredAfter};`);
    bytes = nextBytes;
    count = retiredAfter;
    if (count >= BLOCK_MAX_INSTRUCTIONS) break;
  }
  if (count === 0 && terminator === null) {
    // Nothing fits in the span here (a breakpoint page has none): stay interpreted, try again later.
    if (head.heat !== -1) head.heat = 0;
    return;
  }
  const inlineCondition = terminator !== null && terminator.hot === HotIndex.jumpConditional32 && terminator.codeBits === 32
    ? conditionExpression(emitter, terminator.operation) : null;
  if (terminator !== null && inlineCondition !== null) {
    // jcc on flags still in locals: decided here, then the flags are written back once.
    const fallThrough = bytes + terminator.length;
    lines.push(`a = ${inlineCondition} ? 1 : 0;`, flushCode(emitter));
    emitter.flagState = FlagState.InCpu;
    lines.push(
      `if (a !== 0) { t = (e + ${fallThrough + terminator.relative}) | 0; ` +
      `if ((t >>> 0) > cpu.segLimit[1]) { cpu.eip = (e + ${bytes}) | 0; n = ${count}; cpu.raise(13, 0); } cpu.eip = t; } ` +
      `else cpu.eip = (e + ${fallThrough}) | 0;`,
      `return ${count + 1};`);
    bytes = fallThrough;
    count++;
  } else if (terminator !== null && inlineTerminator(terminator) !== InlineTerminator.None) {
    // Near jumps, calls and returns inline: EIP is written once, at the end. A fault (stack page, EIP past
    // the CS limit) leaves EIP at the instruction and ESP as it was, with the flags written back first.
    lines.push(flushCode(emitter));
    emitter.flagState = FlagState.InCpu;
    const fallThrough = bytes + terminator.length;
    const fault = `cpu.eip = (e + ${bytes}) | 0; n = ${count}; cpu.raise(13, 0);`;
    const checkTarget = `if ((t >>> 0) > cpu.segLimit[1]) { ${fault} }`;
    // A store that lands in decoded code asks to leave; the call is complete by then (EIP at its target).
    const pushReturn = (target: string): string => `v = ${target}; ` +
      `t = (r[4] - 4) | 0; ${writeCode(emitter, 2, 't', `(e + ${fallThrough}) | 0`, 'r[4] = t; cpu.eip = v; return ' + (count + 1) + ';')} r[4] = t; cpu.eip = v;`;
    lines.push(`n = ${count};`);
    if (eipStored !== bytes) lines.push(`cpu.eip = (e + ${bytes}) | 0;`);
    switch (inlineTerminator(terminator)) {
      case InlineTerminator.JumpRelative:
        lines.push(`t = (e + ${fallThrough + terminator.relative}) | 0; ${checkTarget} cpu.eip = t;`);
        break;
      case InlineTerminator.CallRelative:
        lines.push(`t = (e + ${fallThrough + terminator.relative}) | 0; ${checkTarget}`, pushReturn('t'));
        break;
      case InlineTerminator.CallIndirect:
        if (terminator.kind0 === OPERAND_REGISTER) lines.push(`t = r[${terminator.arg0}];`);
        else lines.push(`t = ${addressExpression(terminator)};`, readCode(emitter, 't', terminator.segment, 't'));
        lines.push(checkTarget, pushReturn('t'));
        break;
      case InlineTerminator.Return: {
        const release = 4 + (terminator.kind0 !== 0 ? terminator.arg0 & 0xFFFF : 0);
        lines.push('t = r[4];', readCode(emitter, 'v', 2, 't'), `t = v; ${checkTarget} r[4] = (r[4] + ${release}) | 0; cpu.eip = v;`);
        break;
      }
      default:
        break;
    }
    lines.push(`return ${count + 1};`);
    bytes = fallThrough;
    count++;
  } else if (terminator !== null) {
    // The terminator's handler reads the flags and EIP from the CPU and sets EIP itself (branches included).
    lines.push(flushCode(emitter));
    emitter.flagState = FlagState.InCpu;
    if (eipStored !== bytes) lines.push(`cpu.eip = (e + ${bytes}) | 0;`);
    lines.push(`n = ${count};`, `terminate(cpu, terminatorEntry);`, `return ${count + 1};`);
    bytes += terminator.length;
    count++;
  } else {
    lines.push(flushCode(emitter), `cpu.eip = (e + ${bytes}) | 0;`, `return ${count};`);
  }
  // Nothing an inline instruction does changes these; a called segment or flag instruction may, and
  // they are read again after it.
  const segmentLoads = [...emitter.segments].map((segment) =>
    `base${segment} = cpu.segBase[${segment}]; readEnd${segment} = cpu.segReadEnd[${segment}]; writeEnd${segment} = cpu.segWriteEnd[${segment}];`);
  const reload = emitter.segments.size === 0 ? '' : `readMask = cpu.readMask; writeMask = cpu.writeMask; ${segmentLoads.join(' ')}`;
  const source = [
    ...called.map((_, slot) => `const h${slot} = called[${slot}].handler, x${slot} = called[${slot}];`),
    'return function compiledBlock(cpu) {',
    '  const r = cpu.r32, r8 = cpu.r8, r16 = cpu.r16;',
    '  const e = cpu.eip;',
    `  let a = 0, b = 0, v = 0, t = 0, l = 0, q = 0, fk = 0, fa = 0, fb = 0, fr = 0, fg = ${SIGN_BIT_32}, fm = 0, fc = 0, n = 0;`,
    ...(emitter.segments.size === 0 ? [] : [
      '  const tlb = cpu.tlb, dwords = cpu.memory.dwords, bytes = cpu.memory.bytes;',
      `  let readMask = cpu.readMask, writeMask = cpu.writeMask;`,
      ...[...emitter.segments].map((segment) => `  let base${segment} = 0, readEnd${segment} = 0, writeEnd${segment} = 0;`),
      `  ${segmentLoads.join(' ')}`,
    ]),
    '  try {',
    ...lines.filter((line) => line !== '').map((line) => `    ${line === RELOAD_SEGMENTS ? reload : line}`),
    '  } catch (signal) {',
    // Flags pending in locals at the fault are the flags before the faulting instruction.
    `    if (fm !== 0) { if (fm !== ${LAZY_ALL}) cpu.flags = (cpu.flags & -2) | fc; cpu.lazyKind = fk; cpu.lazySign = fg; cpu.lazyA = fa; cpu.lazyB = fb; cpu.lazyResult = fr; cpu.lazyFlags = fm; }`,
    '    cpu.blockRetired = n;',
    '    throw signal;',
    '  }',
    '};',
  ].join('\n');
  type BlockFactory = (carry: typeof getCF, testCondition: typeof testConditionOf, eflags: typeof readEflags, terminate: DecodedEntry['handler'] | null, terminatorEntry: DecodedEntry | null, called: readonly DecodedEntry[]) => CompiledBlock;
  let factory: BlockFactory;
  try {
    factory = new Function('getCF', 'testCondition', 'readEflags', 'terminate', 'terminatorEntry', 'called', source) as BlockFactory;
  } catch {
    // A host that forbids code generation from strings (node --disallow-code-generation-from-strings)
    // keeps this head in the interpreter, which gives the same results more slowly.
    head.heat = -1;
    return;
  }
  head.block = factory(getCF, testConditionOf, readEflags, terminator === null ? null : terminator.handler, terminator, called);
  head.blockLength = count;
  head.blockBytes = bytes;
}
