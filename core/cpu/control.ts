// Control transfer: jmp jcc call ret loop* jcxz/jecxz, far jmp/call/retf through code segments, int n /
// int3 / into / int1, iret, bound. Targets beyond the CS limit raise #GP(0) at the branch.
import type { Cpu } from './cpu';
import { ATTENTION_FLAGS, SEG_CS, SEG_SS } from './cpu';
import {
  FLAG_IOPL, FLAG_NT, FLAG_RF, FLAG_VM, VECTOR_BR, VECTOR_DB, VECTOR_GP, VECTOR_OF, VECTOR_UD, WRITABLE_FLAGS,
} from './constants';
import { DecodedEntry, Handler, OPERAND_MEMORY, OPERAND_REGISTER } from './decoded-entry';
import { getOF, getZF, readEflags, testCondition, writeEflagsBits } from './flags';
import { deliverInterrupt, deliverSoftwareInterrupt } from './interrupts';
import { advance, nextEip, readOperand0, readOperand1 } from './operands';
import {
  checkCodeSegment, checkStackSegment, descriptorBaseBits, descriptorLimitBits, loadCacheFromDescriptor, loadCodeSegment,
  markAccessed, nullInaccessibleSegments,
} from './segment';
import { switchTask } from './task';
import { discardStack, peekStack, popValue, pushValue, writableFlagsMask } from './stack';

/** Sets EIP to a branch target, checking it against the CS limit. */
function branchTo(cpu: Cpu, target: number): void {
  if ((target >>> 0) > cpu.segLimit[SEG_CS]) cpu.raise(VECTOR_GP, 0);
  cpu.eip = target;
}

function relativeTarget(cpu: Cpu, entry: DecodedEntry): number {
  const target = cpu.eip + entry.length + entry.relative;
  return entry.operandBytes === 2 ? target & 0xFFFF : target | 0;
}

export function jumpRelative32(cpu: Cpu, entry: DecodedEntry): void {
  const target = (cpu.eip + entry.length + entry.relative) | 0;
  if ((target >>> 0) > cpu.segLimit[SEG_CS]) cpu.raise(VECTOR_GP, 0);
  cpu.eip = target;
}

export function jumpConditional32(cpu: Cpu, entry: DecodedEntry): void {
  if (testCondition(cpu, entry.operation)) {
    const target = (cpu.eip + entry.length + entry.relative) | 0;
    if ((target >>> 0) > cpu.segLimit[SEG_CS]) cpu.raise(VECTOR_GP, 0);
    cpu.eip = target;
  } else {
    cpu.eip = (cpu.eip + entry.length) | 0;
  }
}

function jumpRelative(cpu: Cpu, entry: DecodedEntry): void {
  branchTo(cpu, relativeTarget(cpu, entry));
}

function jumpConditional(cpu: Cpu, entry: DecodedEntry): void {
  if (testCondition(cpu, entry.operation)) branchTo(cpu, relativeTarget(cpu, entry));
  else advance(cpu, entry);
}

function jumpIndirect(cpu: Cpu, entry: DecodedEntry): void {
  const target = readOperand0(cpu, entry);
  branchTo(cpu, entry.size0 === 2 ? target & 0xFFFF : target);
}

export function callRelative(cpu: Cpu, entry: DecodedEntry): void {
  const target = relativeTarget(cpu, entry);
  if ((target >>> 0) > cpu.segLimit[SEG_CS]) cpu.raise(VECTOR_GP, 0);
  pushValue(cpu, entry.operandBytes, nextEip(cpu, entry));
  cpu.eip = target;
}

function callIndirect(cpu: Cpu, entry: DecodedEntry): void {
  const value = readOperand0(cpu, entry);
  const target = entry.size0 === 2 ? value & 0xFFFF : value;
  if ((target >>> 0) > cpu.segLimit[SEG_CS]) cpu.raise(VECTOR_GP, 0);
  pushValue(cpu, entry.size0 === 2 ? 2 : 4, nextEip(cpu, entry));
  cpu.eip = target;
}

export function returnNear(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  const target = peekStack(cpu, size, 0);
  if ((target >>> 0) > cpu.segLimit[SEG_CS]) cpu.raise(VECTOR_GP, 0);
  discardStack(cpu, size + (entry.kind0 !== 0 ? entry.arg0 & 0xFFFF : 0));
  cpu.eip = target;
}

function loop(cpu: Cpu, entry: DecodedEntry): void {
  let count: number;
  if (entry.addressMask === 0xFFFF) {
    count = (cpu.r16[2] - 1) & 0xFFFF;
    cpu.r16[2] = count;
  } else {
    count = (cpu.r32[1] - 1) | 0;
    cpu.r32[1] = count;
  }
  let taken = count !== 0;
  if (entry.operation === 1) taken = taken && getZF(cpu);
  else if (entry.operation === 2) taken = taken && !getZF(cpu);
  if (taken) branchTo(cpu, relativeTarget(cpu, entry));
  else advance(cpu, entry);
}

function jumpIfCounterZero(cpu: Cpu, entry: DecodedEntry): void {
  const count = entry.form.addressSize === 16 || entry.addressMask === 0xFFFF ? cpu.r16[2] : cpu.r32[1];
  if (count === 0) branchTo(cpu, relativeTarget(cpu, entry));
  else advance(cpu, entry);
}

// ---------------------------------------------------------------- far transfers

interface FarPointer { selector: number; offset: number }

function farOperand(cpu: Cpu, entry: DecodedEntry): FarPointer {
  if (entry.kind0 === OPERAND_MEMORY) {
    const address = cpu.effectiveAddress(entry);
    const size = entry.operandBytes;
    const offset = size === 4 ? cpu.read32(entry.segment, address) : cpu.read16(entry.segment, address);
    const selector = cpu.read16(entry.segment, (address + size) & entry.addressMask);
    return { selector, offset };
  }
  return { selector: entry.farSelector, offset: entry.farOffset };
}

function jumpFar(cpu: Cpu, entry: DecodedEntry): void {
  const target = farOperand(cpu, entry);
  const descriptor = checkCodeSegment(cpu, target.selector, false);
  if ((target.offset >>> 0) > (descriptorLimitBits(descriptor) >>> 0)) cpu.raise(VECTOR_GP, 0);
  loadCodeSegment(cpu, target.selector, descriptor, cpu.cpl);
  cpu.jumpTo(target.offset);
}

function callFar(cpu: Cpu, entry: DecodedEntry): void {
  const target = farOperand(cpu, entry);
  const descriptor = checkCodeSegment(cpu, target.selector, false);
  if ((target.offset >>> 0) > (descriptorLimitBits(descriptor) >>> 0)) cpu.raise(VECTOR_GP, 0);
  const size = entry.operandBytes;
  const savedEsp = cpu.r32[4];
  try {
    pushValue(cpu, size, cpu.segSelector[SEG_CS]);
    pushValue(cpu, size, nextEip(cpu, entry));
  } catch (signal) {
    cpu.r32[4] = savedEsp;
    throw signal;
  }
  loadCodeSegment(cpu, target.selector, descriptor, cpu.cpl);
  cpu.jumpTo(target.offset);
}

function returnFar(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  const release = entry.kind0 !== 0 ? entry.arg0 & 0xFFFF : 0;
  const offset = peekStack(cpu, size, 0);
  const selector = peekStack(cpu, size, size) & 0xFFFF;
  const rpl = selector & 3;
  const descriptor = checkCodeSegment(cpu, selector, true);
  if ((offset >>> 0) > (descriptorLimitBits(descriptor) >>> 0)) cpu.raise(VECTOR_GP, 0);
  if (rpl === cpu.cpl) {
    discardStack(cpu, size * 2 + release);
    loadCodeSegment(cpu, selector, descriptor, rpl);
    cpu.jumpTo(offset);
    return;
  }
  // Outer ring: the caller's ESP and SS follow the released parameters.
  const newEsp = peekStack(cpu, size, size * 2 + release);
  const newSs = peekStack(cpu, size, size * 3 + release) & 0xFFFF;
  const stackDescriptor = checkStackSegment(cpu, newSs, rpl, VECTOR_GP, 0);
  loadCodeSegment(cpu, selector, descriptor, rpl);
  markAccessed(cpu, stackDescriptor);
  loadCacheFromDescriptor(cpu, SEG_SS, newSs, stackDescriptor);
  cpu.r32[4] = (newEsp + release) | 0;
  nullInaccessibleSegments(cpu);
  cpu.jumpTo(offset);
}

// ---------------------------------------------------------------- interrupts

function interrupt(cpu: Cpu, entry: DecodedEntry): void {
  deliverSoftwareInterrupt(cpu, entry.arg0 & 0xFF, nextEip(cpu, entry));
}

function breakpointTrap(cpu: Cpu, entry: DecodedEntry): void {
  deliverSoftwareInterrupt(cpu, 3, nextEip(cpu, entry), 'exception');
}

function interruptOnOverflow(cpu: Cpu, entry: DecodedEntry): void {
  if (getOF(cpu)) deliverSoftwareInterrupt(cpu, VECTOR_OF, nextEip(cpu, entry), 'exception');
  else advance(cpu, entry);
}

/** int1 (icebp): #DB delivered like a hardware event, without the gate DPL check. */
function iceBreakpoint(cpu: Cpu, entry: DecodedEntry): void {
  deliverInterrupt(cpu, VECTOR_DB, 'exception', -1, nextEip(cpu, entry), cpu.eip);
}

/** iret/iretd in protected mode (SDM IRET: same privilege or return to an outer ring; no task return). */
function interruptReturn(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  if ((cpu.flags & FLAG_NT) !== 0) {
    // NT set: return to the task in the back link of the current TSS (SDM IRET, task return).
    const backLink = cpu.readSystem16(cpu.trBase) & 0xFFFF;
    switchTask(cpu, backLink, 'iret', nextEip(cpu, entry), 0);
    return;
  }
  const offset = size === 4 ? peekStack(cpu, 4, 0) : peekStack(cpu, 2, 0);
  const selector = peekStack(cpu, size, size) & 0xFFFF;
  const eflags = size === 4 ? peekStack(cpu, 4, size * 2) : peekStack(cpu, 2, size * 2);
  if (size === 4 && (eflags & FLAG_VM) !== 0 && cpu.cpl === 0) {
    cpu.raise(VECTOR_GP, 0); // virtual-8086 mode is not part of the model
  }
  const rpl = selector & 3;
  const descriptor = checkCodeSegment(cpu, selector, true);
  if ((offset >>> 0) > (descriptorLimitBits(descriptor) >>> 0)) cpu.raise(VECTOR_GP, 0);
  let mask = writableFlagsMask(cpu, size) | FLAG_RF;
  if (size === 2) mask &= 0xFFFF;
  if (rpl === cpu.cpl) {
    discardStack(cpu, size * 3);
    loadCodeSegment(cpu, selector, descriptor, rpl);
    writeEflagsBits(cpu, eflags, mask);
  } else {
    const newEsp = peekStack(cpu, size, size * 3);
    const newSs = peekStack(cpu, size, size * 4) & 0xFFFF;
    const stackDescriptor = checkStackSegment(cpu, newSs, rpl, VECTOR_GP, 0);
    // EFLAGS privilege rules use the CPL before the return.
    writeEflagsBits(cpu, eflags, mask);
    loadCodeSegment(cpu, selector, descriptor, rpl);
    markAccessed(cpu, stackDescriptor);
    cpu.setSegmentCache(SEG_SS, newSs, descriptorBaseBits(stackDescriptor), descriptorLimitBits(stackDescriptor), (stackDescriptor.high >>> 8) & 0xF0FF);
    cpu.r32[4] = size === 4 ? newEsp : (cpu.r32[4] & ~0xFFFF) | (newEsp & 0xFFFF);
    nullInaccessibleSegments(cpu);
  }
  cpu.updateAccessMasks();
  cpu.attention |= ATTENTION_FLAGS;
  cpu.jumpTo(offset);
}

function bound(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0;
  const index = size === 4 ? cpu.r32[entry.arg0] : (cpu.r16[entry.arg0] << 16) >> 16;
  const address = cpu.effectiveAddress(entry);
  const lower = size === 4 ? cpu.read32(entry.segment, address) : (cpu.read16(entry.segment, address) << 16) >> 16;
  const upper = size === 4
    ? cpu.read32(entry.segment, (address + 4) & entry.addressMask)
    : (cpu.read16(entry.segment, (address + 2) & entry.addressMask) << 16) >> 16;
  if (index < lower || index > upper) cpu.raise(VECTOR_BR);
  advance(cpu, entry);
}

function conditionCode(entry: DecodedEntry): number {
  const opcode = entry.form.opcode;
  return opcode[opcode.length - 1] & 0xF;
}

export function resolveControl(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  const fast = entry.codeBits === 32 && entry.operandBytes === 4;
  switch (mnemonic) {
    case 'jmp':
      if (entry.form.operands[0] === 'ptr16:16' || entry.form.operands[0] === 'ptr16:32' ||
        entry.form.operands[0] === 'm16:16' || entry.form.operands[0] === 'm16:32') return jumpFar;
      if (entry.kind0 === OPERAND_REGISTER || entry.kind0 === OPERAND_MEMORY) return jumpIndirect;
      return fast ? jumpRelative32 : jumpRelative;
    case 'call':
      if (entry.form.operands[0] === 'ptr16:16' || entry.form.operands[0] === 'ptr16:32' ||
        entry.form.operands[0] === 'm16:16' || entry.form.operands[0] === 'm16:32') return callFar;
      if (entry.kind0 === OPERAND_REGISTER || entry.kind0 === OPERAND_MEMORY) return callIndirect;
      return callRelative;
    case 'ret': return returnNear;
    case 'retf': return returnFar;
    case 'iret': case 'iretd': case 'iretw': return interruptReturn;
    case 'int': return interrupt;
    case 'int3': return breakpointTrap;
    case 'into': return interruptOnOverflow;
    case 'int1': return iceBreakpoint;
    case 'loop': entry.operation = 0; return loop;
    case 'loope': entry.operation = 1; return loop;
    case 'loopne': entry.operation = 2; return loop;
    case 'jcxz': case 'jecxz': return jumpIfCounterZero;
    case 'bound': return bound;
    default:
      if (mnemonic.startsWith('j')) {
        entry.operation = conditionCode(entry);
        return fast ? jumpConditional32 : jumpConditional;
      }
      return undefined;
  }
}

