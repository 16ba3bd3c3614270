// Interrupt and exception delivery through the IDT (SDM vol. 3, 6.12): gate checks, the stack switch
// from TSS.Esp0/Ss0 on a privilege change, the frame pushed, and the double/triple-fault rules (6.15).
import type { Cpu } from './cpu';
import { ATTENTION_FLAGS, SEG_CS, SEG_SS } from './cpu';
import {
  FLAG_IF, FLAG_NT, FLAG_RF, FLAG_TF, FLAG_VM, VECTOR_DF, VECTOR_GP, VECTOR_NP, VECTOR_PF, VECTOR_TS,
  exceptionClass, exceptionHasErrorCode, exceptionMnemonic, exceptionName, hex32,
} from './constants';
import { CPU_FAULT_SIGNAL, NO_ERROR_CODE } from './fault';
import { materializeFlags, readEflags } from './flags';
import { pushValue } from './stack';
import { switchTask } from './task';
import {
  checkStackSegment, descriptorAttributes, descriptorBaseBits, descriptorDpl, descriptorLimitBits, descriptorPresent,
  isCodeDescriptor, markAccessed, readDescriptorInto, type Descriptor,
} from './segment';

export type InterruptKind = 'exception' | 'software' | 'hardware';

/** What the debugger and traces see for every delivered interrupt or exception. */
export interface InterruptEvent {
  vector: number;
  kind: InterruptKind;
  /** Pushed error code, when the exception has one. */
  errorCode?: number;
  fromCpl: number;
  toCpl: number;
  /** EIP of the instruction that faulted / executed int n, or the interrupted EIP for hardware. */
  eip: number;
  /** EIP pushed (where iretd returns). */
  returnEip: number;
  /** Linear address of the handler's first instruction. */
  handler: number;
  /** CR2 for #PF. */
  faultAddress?: number;
}

const GATE_TASK = 0x5;
const GATE_INTERRUPT_16 = 0x6;
const GATE_TRAP_16 = 0x7;
const GATE_INTERRUPT_32 = 0xE;
const GATE_TRAP_32 = 0xF;

/** The handler's code descriptor during a delivery (read into, not allocated: deliveries are hot). */
const gateCodeDescriptor: Descriptor = { low: 0, high: 0, address: 0 };

/**
 * Delivers through IDT[vector]. Faults during delivery propagate (the callers apply the double-fault
 * rules). `returnEip` is pushed; `sourceEip` is reported.
 */
export function deliverInterrupt(
  cpu: Cpu, vector: number, kind: InterruptKind, errorCode: number, returnEip: number, sourceEip: number,
  instructionRaised = kind === 'software',
): void {
  // int n / int3 / into check the gate DPL and report EXT=0; everything else is an external event.
  const external = instructionRaised ? 0 : 1;
  const gateErrorCode = vector * 8 + 2 + external;
  if (vector * 8 + 7 > cpu.idtLimit) cpu.raise(VECTOR_GP, gateErrorCode);
  const gateAddress = (cpu.idtBase + vector * 8) | 0;
  const low = cpu.readSystem32(gateAddress);
  const high = cpu.readSystem32((gateAddress + 4) | 0);
  const gateType = (high >>> 8) & 0x1F;
  if (gateType === GATE_TASK) {
    if (instructionRaised && cpu.cpl > ((high >>> 13) & 3)) cpu.raise(VECTOR_GP, vector * 8 + 2);
    if ((high & 0x8000) === 0) cpu.raise(VECTOR_NP, gateErrorCode);
    const fromCpl = cpu.cpl;
    switchTask(cpu, low >>> 16, 'interrupt', returnEip, external);
    cpu.halted = false;
    if (errorCode >= 0) pushValue(cpu, (cpu.segAttributes[SEG_SS] & 0x4000) !== 0 ? 4 : 2, errorCode);
    reportDelivery(cpu, vector, kind, errorCode, fromCpl, sourceEip, returnEip, (cpu.segBase[SEG_CS] + cpu.eip) >>> 0);
    return;
  }
  if (gateType !== GATE_INTERRUPT_32 && gateType !== GATE_TRAP_32 && gateType !== GATE_INTERRUPT_16 && gateType !== GATE_TRAP_16) {
    cpu.raise(VECTOR_GP, gateErrorCode);
  }
  const gateDpl = (high >>> 13) & 3;
  if (instructionRaised && cpu.cpl > gateDpl) cpu.raise(VECTOR_GP, vector * 8 + 2);
  if ((high & 0x8000) === 0) cpu.raise(VECTOR_NP, gateErrorCode);
  const gate32 = (gateType & 0x8) !== 0;
  const selector = low >>> 16;
  const offset = gate32 ? ((low & 0xFFFF) | (high & 0xFFFF0000)) >>> 0 : low & 0xFFFF;
  if ((selector & 0xFFFC) === 0) cpu.raise(VECTOR_GP, external);
  const codeDescriptor = gateCodeDescriptor;
  const selectorError = (selector & 0xFFFC) | external;
  if (!readDescriptorInto(cpu, selector, codeDescriptor)) return cpu.raise(VECTOR_GP, selectorError);
  if (!isCodeDescriptor(codeDescriptor) || descriptorDpl(codeDescriptor) > cpu.cpl) cpu.raise(VECTOR_GP, selectorError);
  if (!descriptorPresent(codeDescriptor)) cpu.raise(VECTOR_NP, selectorError);
  const conforming = (codeDescriptor.high & 0x400) !== 0;
  const codeDpl = descriptorDpl(codeDescriptor);
  if (offset > (descriptorLimitBits(codeDescriptor) >>> 0)) cpu.raise(VECTOR_GP, external);

  const fromCpl = cpu.cpl;
  const eflags = readEflags(cpu);
  const pushErrorCode = errorCode >= 0;
  const slot = gate32 ? 4 : 2;
  const oldCs = cpu.segSelector[SEG_CS];
  const oldSs = cpu.segSelector[SEG_SS];
  const oldEsp = cpu.r32[4];
  let toCpl = fromCpl;
  if (!conforming && codeDpl < fromCpl) {
    // Inner ring: new stack from the TSS (32-bit TSS: Esp0 at +4, Ss0 at +8, eight bytes per ring).
    toCpl = codeDpl;
    const stackSlot = 4 + toCpl * 8;
    if (cpu.trType !== 9 && cpu.trType !== 11) cpu.raise(VECTOR_TS, (cpu.trSelector & 0xFFFC) | external);
    if (stackSlot + 5 > cpu.trLimit) cpu.raise(VECTOR_TS, (cpu.trSelector & 0xFFFC) | external);
    const newEsp = cpu.readSystem32((cpu.trBase + stackSlot) | 0);
    const newSs = cpu.readSystem16((cpu.trBase + stackSlot + 4) | 0);
    const stackDescriptor = checkStackSegment(cpu, newSs, toCpl, VECTOR_TS, external);
    const stackBase = descriptorBaseBits(stackDescriptor);
    const stack32 = (stackDescriptor.high & 0x400000) !== 0;
    const stack = innerStack;
    stack.base = stackBase;
    stack.limit = descriptorLimitBits(stackDescriptor) >>> 0;
    stack.stack32 = stack32;
    stack.slot = slot;
    stack.user = toCpl === 3;
    stack.faultCode = (newSs & 0xFFFC) | external;
    let esp = newEsp;
    esp = pushOnNewStack(cpu, stack, esp, oldSs);
    esp = pushOnNewStack(cpu, stack, esp, oldEsp);
    esp = pushOnNewStack(cpu, stack, esp, eflags);
    esp = pushOnNewStack(cpu, stack, esp, oldCs);
    esp = pushOnNewStack(cpu, stack, esp, returnEip);
    if (pushErrorCode) esp = pushOnNewStack(cpu, stack, esp, errorCode);
    markAccessed(cpu, stackDescriptor);
    cpu.setSegmentCache(SEG_SS, newSs, stackBase, descriptorLimitBits(stackDescriptor), descriptorAttributes(stackDescriptor));
    cpu.r32[4] = esp;
  } else if (conforming || codeDpl === fromCpl) {
    let esp = oldEsp;
    esp = pushOnSameStack(cpu, slot, esp, eflags);
    esp = pushOnSameStack(cpu, slot, esp, oldCs);
    esp = pushOnSameStack(cpu, slot, esp, returnEip);
    if (pushErrorCode) esp = pushOnSameStack(cpu, slot, esp, errorCode);
    cpu.r32[4] = esp;
  } else {
    cpu.raise(VECTOR_GP, selectorError);
  }
  markAccessed(cpu, codeDescriptor);
  cpu.setSegmentCache(SEG_CS, (selector & 0xFFFC) | toCpl, descriptorBaseBits(codeDescriptor), descriptorLimitBits(codeDescriptor), descriptorAttributes(codeDescriptor));
  materializeFlags(cpu);
  let clear = FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM;
  if ((gateType & 1) === 0) clear |= FLAG_IF;
  cpu.flags &= ~clear;
  if (toCpl !== fromCpl) cpu.setCpl(toCpl);
  else cpu.updateAccessMasks();
  cpu.jumpTo(offset);
  cpu.halted = false;
  cpu.attention |= ATTENTION_FLAGS;

  reportDelivery(cpu, vector, kind, errorCode, fromCpl, sourceEip, returnEip, (descriptorBaseBits(codeDescriptor) + offset) | 0);
}

/** The inner-ring stack a delivery switches to (from the TSS), as the frame pushes need it. */
interface NewStack {
  base: number;
  limit: number;
  stack32: boolean;
  /** Bytes per pushed value: 4 through a 32-bit gate, 2 through a 16-bit one. */
  slot: number;
  /** Ring 3 handler: the writes are user-mode accesses. */
  user: boolean;
  /** #SS error code when a push falls outside the limit. */
  faultCode: number;
}

/** The one NewStack a delivery fills in (deliveries are hot: no allocation). */
const innerStack: NewStack = { base: 0, limit: 0, stack32: true, slot: 4, user: false, faultCode: 0 };

/** One push of the interrupt frame on the new stack (not yet loaded into SS:ESP); returns the new ESP. */
function pushOnNewStack(cpu: Cpu, stack: NewStack, esp: number, value: number): number {
  const slot = stack.slot;
  const next = stack.stack32 ? (esp - slot) | 0 : (esp & ~0xFFFF) | ((esp - slot) & 0xFFFF);
  const offsetInStack = stack.stack32 ? next : next & 0xFFFF;
  if ((offsetInStack >>> 0) + slot - 1 > stack.limit) cpu.raise(0x0C, stack.faultCode);
  const linear = (stack.base + offsetInStack) | 0;
  if (slot === 4 && !stack.user) cpu.writeSupervisor32(linear, value);
  else if (slot === 4) cpu.writeLinear(linear, 4, value, stack.user);
  else cpu.writeLinear(linear, 2, value & 0xFFFF, stack.user);
  return next;
}

/** One push of the interrupt frame on the current SS:ESP (same privilege); returns the new ESP. */
function pushOnSameStack(cpu: Cpu, slot: number, esp: number, value: number): number {
  const next = cpu.stackMask === -1 ? (esp - slot) | 0 : (esp & ~0xFFFF) | ((esp - slot) & 0xFFFF);
  const stackOffset = next & cpu.stackMask;
  if (slot === 4) cpu.write32(SEG_SS, stackOffset, value);
  else cpu.write16(SEG_SS, stackOffset, value);
  return next;
}

/** The event hook and the debugger's stop-on-vector / stop-on-exception, after a delivery. */
function reportDelivery(
  cpu: Cpu, vector: number, kind: InterruptKind, errorCode: number, fromCpl: number, sourceEip: number, returnEip: number, handler: number,
): void {
  const pushErrorCode = errorCode >= 0;
  if (cpu.onInterrupt !== null) {
    cpu.onInterrupt({
      vector, kind: kind, errorCode: pushErrorCode ? errorCode >>> 0 : undefined, fromCpl, toCpl: cpu.cpl,
      eip: sourceEip >>> 0, returnEip: returnEip >>> 0, handler: handler >>> 0,
      faultAddress: vector === VECTOR_PF && kind === 'exception' ? cpu.cr2 >>> 0 : undefined,
    });
  }
  if (cpu.stopOnVector[vector] !== 0 || (kind === 'exception' && cpu.stopOnExceptions)) {
    cpu.requestStop({
      reason: kind === 'exception' ? 'exception' : 'interrupt', vector, errorCode: pushErrorCode ? errorCode >>> 0 : undefined,
      eip: cpu.eip >>> 0,
      message: `${kind === 'exception' ? `${exceptionMnemonic(vector)} ${exceptionName(vector)}` : `interrupt 0x${vector.toString(16)}`} from ${hex32(sourceEip)}, handler ${hex32(handler)}`,
    });
  }
}

/**
 * Delivers an exception raised at cpu.eip ('fault': EIP names the faulting instruction; 'trap': EIP is
 * already past it), applying the double-fault table and shutting down on a fault while delivering #DF.
 */
export function deliverException(cpu: Cpu, vector: number, errorCode: number, _timing: 'fault' | 'trap'): void {
  const pushed = exceptionHasErrorCode(vector) ? (errorCode >= 0 ? errorCode : 0) : NO_ERROR_CODE;
  const eip = cpu.eip;
  try {
    deliverInterrupt(cpu, vector, 'exception', pushed, eip, eip);
  } catch (signal) {
    if (signal !== CPU_FAULT_SIGNAL) throw signal;
    if (cpu.shutdown) return;
    handleFaultDuringDelivery(cpu, vector, cpu.faultVector, cpu.faultErrorCode);
  }
}

/** A hardware interrupt (the clock): EXT set in error codes, no gate DPL check. */
export function deliverExternalInterrupt(cpu: Cpu, vector: number): void {
  try {
    deliverInterrupt(cpu, vector, 'hardware', NO_ERROR_CODE, cpu.eip, cpu.eip);
  } catch (signal) {
    if (signal !== CPU_FAULT_SIGNAL) throw signal;
    if (cpu.shutdown) return;
    deliverException(cpu, cpu.faultVector, cpu.faultErrorCode, 'fault');
  }
}

/**
 * int n (kind 'software') / int3 and into (#BP, #OF: exceptions raised by an instruction): traps whose
 * delivery faults are reported at the instruction itself, with the gate DPL check.
 */
export function deliverSoftwareInterrupt(cpu: Cpu, vector: number, returnEip: number, kind: InterruptKind = 'software'): void {
  deliverInterrupt(cpu, vector, kind, NO_ERROR_CODE, returnEip, cpu.eip, true);
}

function handleFaultDuringDelivery(cpu: Cpu, first: number, second: number, secondErrorCode: number): void {
  const describe = (vector: number): string =>
    vector === VECTOR_PF ? `#PF at ${hex32(cpu.cr2)}` : `${exceptionMnemonic(vector)} at EIP ${hex32(cpu.eip)}`;
  if (first === VECTOR_DF) {
    cpu.shutDown('triple-fault', `triple fault: ${describe(second)} while delivering #DF`);
    return;
  }
  const firstClass = exceptionClass(first);
  const secondClass = exceptionClass(second);
  const doubleFault =
    (firstClass === 'contributory' && secondClass === 'contributory') ||
    (firstClass === 'page-fault' && (secondClass === 'contributory' || secondClass === 'page-fault'));
  if (doubleFault) deliverException(cpu, VECTOR_DF, 0, 'fault');
  else deliverException(cpu, second, secondErrorCode, 'fault');
}


/** '#PF' for exception vectors, '0x2e' for the others: the name traces show for a vector. */
export function interruptNameForTrace(vector: number): string {
  return vector < 20 ? exceptionMnemonic(vector) : `0x${vector.toString(16)}`;
}
