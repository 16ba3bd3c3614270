// Stack instructions: push pop (registers, memory, immediates, segment registers) pusha popa pushf popf
// enter leave, and the push/pop primitives the control-transfer handlers use. SS.B picks SP or ESP.
import type { Cpu } from './cpu';
import { ATTENTION_SHADOW, SEG_SS } from './cpu';
import { FLAG_IF, FLAG_IOPL, FLAG_RF, FLAG_VM, VECTOR_UD, WRITABLE_FLAGS } from './constants';
import { DecodedEntry, Handler, OPERAND_MEMORY, OPERAND_REGISTER, OPERAND_SEGMENT_REGISTER } from './decoded-entry';
import { readEflags, writeEflagsBits } from './flags';
import { advance, readOperand0, writeRegister } from './operands';
import { loadDataSegment } from './segment';

/** Pushes a word or dword. The write happens before ESP moves, so a fault leaves ESP alone. */
export function pushValue(cpu: Cpu, size: number, value: number): void {
  const esp = cpu.r32[4];
  if (cpu.stackMask === -1) {
    const top = (esp - size) | 0;
    if (size === 4) cpu.write32(SEG_SS, top, value);
    else cpu.write16(SEG_SS, top, value & 0xFFFF);
    cpu.r32[4] = top;
  } else {
    const top = (esp - size) & 0xFFFF;
    if (size === 4) cpu.write32(SEG_SS, top, value);
    else cpu.write16(SEG_SS, top, value & 0xFFFF);
    cpu.r16[8] = top;
  }
}

/** Reads the value at the top of the stack `depth` bytes in, without popping. */
export function peekStack(cpu: Cpu, size: number, depth: number): number {
  const offset = (cpu.r32[4] + depth) & cpu.stackMask;
  return size === 4 ? cpu.read32(SEG_SS, offset) : cpu.read16(SEG_SS, offset);
}

export function discardStack(cpu: Cpu, bytes: number): void {
  if (cpu.stackMask === -1) cpu.r32[4] = (cpu.r32[4] + bytes) | 0;
  else cpu.r16[8] = (cpu.r16[8] + bytes) & 0xFFFF;
}

export function popValue(cpu: Cpu, size: number): number {
  const value = peekStack(cpu, size, 0);
  discardStack(cpu, size);
  return value;
}

export function pushRegister32(cpu: Cpu, entry: DecodedEntry): void {
  const esp = cpu.r32[4];
  if (cpu.stackMask === -1) {
    const top = (esp - 4) | 0;
    cpu.write32(SEG_SS, top, cpu.r32[entry.arg0]);
    cpu.r32[4] = top;
  } else {
    pushValue(cpu, 4, cpu.r32[entry.arg0]);
  }
  cpu.eip = (cpu.eip + entry.length) | 0;
}

export function popRegister32(cpu: Cpu, entry: DecodedEntry): void {
  if (cpu.stackMask === -1) {
    const esp = cpu.r32[4];
    const value = cpu.read32(SEG_SS, esp);
    cpu.r32[4] = (esp + 4) | 0;
    cpu.r32[entry.arg0] = value;
  } else {
    const value = popValue(cpu, 4);
    cpu.r32[entry.arg0] = value;
  }
  cpu.eip = (cpu.eip + entry.length) | 0;
}

function push(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.kind0 === OPERAND_SEGMENT_REGISTER ? entry.operandBytes : entry.size0 === 1 ? entry.operandBytes : entry.size0;
  // push esp pushes the value before the push; push [esp+n] addresses with the old ESP too
  pushValue(cpu, size, readOperand0(cpu, entry));
  advance(cpu, entry);
}

function pop(cpu: Cpu, entry: DecodedEntry): void {
  if (entry.kind0 === OPERAND_SEGMENT_REGISTER) {
    const selector = peekStack(cpu, entry.operandBytes, 0) & 0xFFFF;
    if (entry.arg0 === 1) cpu.raise(VECTOR_UD);
    loadDataSegment(cpu, entry.arg0, selector);
    discardStack(cpu, entry.operandBytes);
    if (entry.arg0 === SEG_SS) {
      cpu.interruptShadow = true;
      cpu.attention |= ATTENTION_SHADOW;
    }
    advance(cpu, entry);
    return;
  }
  const size = entry.size0;
  const value = peekStack(cpu, size, 0);
  if (entry.kind0 === OPERAND_REGISTER) {
    discardStack(cpu, size);
    writeRegister(cpu, size, entry.arg0, value);
  } else if (entry.kind0 === OPERAND_MEMORY) {
    // The destination address is computed with ESP already incremented (SDM POP).
    const savedEsp = cpu.r32[4];
    discardStack(cpu, size);
    try {
      cpu.writeSized(entry.segment, cpu.effectiveAddress(entry), size, value);
    } catch (signal) {
      cpu.r32[4] = savedEsp;
      throw signal;
    }
  }
  advance(cpu, entry);
}

function pushAll(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  const r = cpu.r32;
  const values = [r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]];
  const savedEsp = r[4];
  try {
    for (const value of values) pushValue(cpu, size, value);
  } catch (signal) {
    r[4] = savedEsp;
    throw signal;
  }
  advance(cpu, entry);
}

function popAll(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  const values: number[] = [];
  for (let i = 0; i < 8; i++) values.push(peekStack(cpu, size, i * size));
  discardStack(cpu, size * 8);
  // popped order: edi esi ebp (esp skipped) ebx edx ecx eax
  for (let i = 0; i < 8; i++) {
    const register = 7 - i;
    if (register === 4) continue;
    writeRegister(cpu, size, size === 4 ? register : register * 2, values[i]);
  }
  advance(cpu, entry);
}

function pushFlags(cpu: Cpu, entry: DecodedEntry): void {
  const value = readEflags(cpu) & ~(FLAG_VM | FLAG_RF);
  pushValue(cpu, entry.operandBytes, value);
  advance(cpu, entry);
}

/** Which EFLAGS bits popf/iret may change at the current privilege (SDM POPF). */
export function writableFlagsMask(cpu: Cpu, size: number): number {
  let mask = WRITABLE_FLAGS & ~(FLAG_RF | FLAG_VM);
  if (cpu.cpl > 0) mask &= ~FLAG_IOPL;
  if (cpu.cpl > ((cpu.flags & FLAG_IOPL) >>> 12)) mask &= ~FLAG_IF;
  if (size === 2) mask &= 0xFFFF;
  return mask;
}

function popFlags(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  const value = peekStack(cpu, size, 0);
  discardStack(cpu, size);
  writePoppedFlags(cpu, value, size);
  advance(cpu, entry);
}

/**
 * popf after the value came off the stack: the bits the privilege lets it write, RF cleared, the access
 * masks (EFLAGS.AC) and the run loop told (TF, or IF with an interrupt waiting). Compiled blocks call it too.
 */
export function writePoppedFlags(cpu: Cpu, value: number, size: number): void {
  const flagsBefore = cpu.flags;
  writeEflagsBits(cpu, value, writableFlagsMask(cpu, size));
  cpu.flags &= ~FLAG_RF;
  cpu.updateAccessMasks();
  cpu.noteFlagsWritten(flagsBefore);
}

function enter(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  const allocation = entry.arg0 & 0xFFFF;
  const level = entry.arg1 & 0x1F;
  const r = cpu.r32;
  const savedEsp = r[4];
  const savedEbp = r[5];
  try {
    pushValue(cpu, size, size === 4 ? r[5] : cpu.r16[10]);
    const frame = r[4];
    if (level > 0) {
      let ebp = r[5];
      for (let i = 1; i < level; i++) {
        ebp = cpu.stackMask === -1 ? (ebp - size) | 0 : (ebp & ~0xFFFF) | ((ebp - size) & 0xFFFF);
        pushValue(cpu, size, size === 4 ? cpu.read32(SEG_SS, ebp & cpu.stackMask) : cpu.read16(SEG_SS, ebp & cpu.stackMask));
      }
      pushValue(cpu, size, frame);
    }
    // the new stack top must be writable: touch it like the CPU's final check
    const top = (r[4] - allocation) & cpu.stackMask;
    if (allocation > 0) cpu.read8(SEG_SS, top);
    if (size === 4) r[5] = frame; else cpu.r16[10] = frame;
    if (cpu.stackMask === -1) r[4] = (r[4] - allocation) | 0; else cpu.r16[8] = top;
  } catch (signal) {
    r[4] = savedEsp;
    r[5] = savedEbp;
    throw signal;
  }
  advance(cpu, entry);
}

function leave(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.operandBytes;
  const r = cpu.r32;
  const frame = cpu.stackMask === -1 ? r[5] : cpu.r16[10];
  const value = size === 4 ? cpu.read32(SEG_SS, frame) : cpu.read16(SEG_SS, frame);
  if (cpu.stackMask === -1) r[4] = (frame + size) | 0; else cpu.r16[8] = (frame + size) & 0xFFFF;
  if (size === 4) r[5] = value; else cpu.r16[10] = value;
  advance(cpu, entry);
}

export function resolveStack(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  switch (mnemonic) {
    case 'push':
      if (entry.kind0 === OPERAND_REGISTER && entry.size0 === 4 && entry.codeBits === 32) return pushRegister32;
      return push;
    case 'pop':
      if (entry.kind0 === OPERAND_REGISTER && entry.size0 === 4 && entry.codeBits === 32) return popRegister32;
      return pop;
    case 'pusha': case 'pushaw': return pushAll;
    case 'popa': case 'popaw': return popAll;
    case 'pushf': case 'pushfw': return pushFlags;
    case 'popf': case 'popfw': return popFlags;
    case 'enter': return enter;
    case 'leave': return leave;
    default: return undefined;
  }
}
