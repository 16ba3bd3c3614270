// Segment descriptors: reading them from the GDT/LDT and loading segment registers with the checks the
// SDM lists for mov/pop/lds (vol. 2, MOV and POP: #GP(selector), #SS(selector), #NP(selector)).
import type { Cpu } from './cpu';
import { SEG_CS, SEG_SS } from './cpu';
import { VECTOR_GP, VECTOR_NP, VECTOR_SS } from './constants';

/** A descriptor as read from a table: its two dwords and the address it came from (for the accessed bit). */
export interface Descriptor {
  low: number;
  high: number;
  address: number;
}

export function descriptorBase(descriptor: Descriptor): number {
  return ((descriptor.low >>> 16) | ((descriptor.high & 0xFF) << 16) | (descriptor.high & 0xFF000000)) >>> 0;
}

export function descriptorLimit(descriptor: Descriptor): number {
  const raw = (descriptor.low & 0xFFFF) | (descriptor.high & 0xF0000);
  return (descriptor.high & 0x800000) !== 0 ? ((raw << 12) | 0xFFF) >>> 0 : raw;
}

/** The base as a signed int32 (what setSegmentCache stores; no heap number for a base above 2 GiB). */
export function descriptorBaseBits(descriptor: Descriptor): number {
  return (descriptor.low >>> 16) | ((descriptor.high & 0xFF) << 16) | (descriptor.high & 0xFF000000);
}

/** The limit's 32 bits as a signed int32 (no heap number for a 4 GiB limit on hot paths): `>>> 0` to compare. */
export function descriptorLimitBits(descriptor: Descriptor): number {
  const raw = (descriptor.low & 0xFFFF) | (descriptor.high & 0xF0000);
  return (descriptor.high & 0x800000) !== 0 ? (raw << 12) | 0xFFF : raw;
}

/** Attribute bits as LAR returns them, shifted right by 8: type 0-3, S 4, DPL 5-6, P 7, AVL 12, D/B 14, G 15. */
export function descriptorAttributes(descriptor: Descriptor): number {
  return (descriptor.high >>> 8) & 0xF0FF;
}

export function descriptorDpl(descriptor: Descriptor): number {
  return (descriptor.high >>> 13) & 3;
}

export function descriptorPresent(descriptor: Descriptor): boolean {
  return (descriptor.high & 0x8000) !== 0;
}

/** S=1 and the code bit: an executable segment. */
export function isCodeDescriptor(descriptor: Descriptor): boolean {
  return (descriptor.high & 0x1800) === 0x1800;
}

export function isDataDescriptor(descriptor: Descriptor): boolean {
  return (descriptor.high & 0x1800) === 0x1000;
}

/** System descriptor type (S=0): 9/11 = 32-bit TSS, 2 = LDT, 0xC call gate ... */
export function systemType(descriptor: Descriptor): number {
  return (descriptor.high & 0x1000) !== 0 ? -1 : (descriptor.high >>> 8) & 0xF;
}

/**
 * Reads the descriptor `selector` names, or returns undefined when the selector points past the end
 * of its table (callers raise the fault their instruction specifies).
 */
export function readDescriptor(cpu: Cpu, selector: number): Descriptor | undefined {
  const descriptor: Descriptor = { low: 0, high: 0, address: 0 };
  return readDescriptorInto(cpu, selector, descriptor) ? descriptor : undefined;
}

/** readDescriptor into an object the caller owns (no allocation on the hot segment-load path). */
export function readDescriptorInto(cpu: Cpu, selector: number, target: Descriptor): boolean {
  const index = selector & 0xFFF8;
  const inLdt = (selector & 4) !== 0;
  const tableBase = inLdt ? cpu.ldtBase : cpu.gdtBase;
  const tableLimit = inLdt ? cpu.ldtLimit : cpu.gdtLimit;
  if (inLdt && (cpu.ldtSelector & 0xFFFC) === 0) return false;
  if (index + 7 > tableLimit) return false;
  const address = (tableBase + index) | 0;
  target.low = cpu.readSystem32(address);
  target.high = cpu.readSystem32((address + 4) | 0);
  target.address = address;
  return true;
}

// The hot segment loads read into these instead of allocating: one each for loadDataSegment, the code
// descriptor checkCodeSegment returns and the stack descriptor checkStackSegment returns. A caller uses
// the returned object before it calls the same function again (a nested fault abandons the outer one).
const dataSegmentDescriptor: Descriptor = { low: 0, high: 0, address: 0 };
const codeSegmentDescriptor: Descriptor = { low: 0, high: 0, address: 0 };
const stackSegmentDescriptor: Descriptor = { low: 0, high: 0, address: 0 };

/** Sets the accessed bit the way the CPU does when it loads a segment register. */
export function markAccessed(cpu: Cpu, descriptor: Descriptor): void {
  if ((descriptor.high & 0x100) === 0) {
    descriptor.high |= 0x100;
    cpu.writeSystem32((descriptor.address + 4) | 0, descriptor.high);
  }
}

export function loadCacheFromDescriptor(cpu: Cpu, segment: number, selector: number, descriptor: Descriptor): void {
  cpu.setSegmentCache(segment, selector, descriptorBaseBits(descriptor), descriptorLimitBits(descriptor), descriptorAttributes(descriptor));
}

/** mov/pop/lds into DS, ES, FS, GS or SS, with the protected-mode checks. */
export function loadDataSegment(cpu: Cpu, segment: number, selector: number): void {
  selector &= 0xFFFF;
  const errorCode = selector & 0xFFFC;
  const rpl = selector & 3;
  if (segment === SEG_SS) {
    if (errorCode === 0) cpu.raise(VECTOR_GP, 0);
    const descriptor = dataSegmentDescriptor;
    if (!readDescriptorInto(cpu, selector, descriptor)) return cpu.raise(VECTOR_GP, errorCode);
    if (rpl !== cpu.cpl || descriptorDpl(descriptor) !== cpu.cpl) cpu.raise(VECTOR_GP, errorCode);
    if (!isDataDescriptor(descriptor) || (descriptor.high & 0x200) === 0) cpu.raise(VECTOR_GP, errorCode);
    if (!descriptorPresent(descriptor)) cpu.raise(VECTOR_SS, errorCode);
    markAccessed(cpu, descriptor);
    loadCacheFromDescriptor(cpu, segment, selector, descriptor);
    return;
  }
  if (errorCode === 0) {
    // A null selector loads fine; using the register later raises #GP(0).
    cpu.setSegmentCache(segment, selector, 0, 0, 0, false);
    return;
  }
  const descriptor = dataSegmentDescriptor;
  if (!readDescriptorInto(cpu, selector, descriptor)) return cpu.raise(VECTOR_GP, errorCode);
  const code = isCodeDescriptor(descriptor);
  if (!code && !isDataDescriptor(descriptor)) cpu.raise(VECTOR_GP, errorCode);
  if (code && (descriptor.high & 0x200) === 0) cpu.raise(VECTOR_GP, errorCode);
  const conformingCode = code && (descriptor.high & 0x400) !== 0;
  if (!conformingCode && (rpl > descriptorDpl(descriptor) || cpu.cpl > descriptorDpl(descriptor))) cpu.raise(VECTOR_GP, errorCode);
  if (!descriptorPresent(descriptor)) cpu.raise(VECTOR_NP, errorCode);
  markAccessed(cpu, descriptor);
  loadCacheFromDescriptor(cpu, segment, selector, descriptor);
}

/**
 * Checks a code segment for a far jmp/call (same privilege; conforming segments keep the CPL) or for a
 * return to the same or an outer ring (`returning`). Faults are #GP(selector) / #NP(selector).
 */
export function checkCodeSegment(cpu: Cpu, selector: number, returning: boolean): Descriptor {
  const errorCode = selector & 0xFFFC;
  if (errorCode === 0) return cpu.raise(VECTOR_GP, 0);
  const descriptor = codeSegmentDescriptor;
  if (!readDescriptorInto(cpu, selector, descriptor)) return cpu.raise(VECTOR_GP, errorCode);
  if (!isCodeDescriptor(descriptor)) return cpu.raise(VECTOR_GP, errorCode);
  const dpl = descriptorDpl(descriptor);
  const conforming = (descriptor.high & 0x400) !== 0;
  const rpl = selector & 3;
  if (returning) {
    if (rpl < cpu.cpl) cpu.raise(VECTOR_GP, errorCode);
    if (conforming ? dpl > rpl : dpl !== rpl) cpu.raise(VECTOR_GP, errorCode);
  } else if (conforming) {
    if (dpl > cpu.cpl) cpu.raise(VECTOR_GP, errorCode);
  } else if (rpl > cpu.cpl || dpl !== cpu.cpl) {
    cpu.raise(VECTOR_GP, errorCode);
  }
  if (!descriptorPresent(descriptor)) cpu.raise(VECTOR_NP, errorCode);
  return descriptor;
}

export function loadCodeSegment(cpu: Cpu, selector: number, descriptor: Descriptor, cpl: number): void {
  markAccessed(cpu, descriptor);
  cpu.setSegmentCache(SEG_CS, (selector & 0xFFFC) | cpl, descriptorBaseBits(descriptor), descriptorLimitBits(descriptor), descriptorAttributes(descriptor));
  if (cpu.cpl !== cpl) cpu.setCpl(cpl);
}

/**
 * Checks the stack segment for a privilege change (interrupt to an inner ring, iretd/retf to an outer one).
 * `fault` is #TS for the TSS path, #GP for returns; not present is #SS either way.
 */
export function checkStackSegment(cpu: Cpu, selector: number, cpl: number, faultVector: number, external: number): Descriptor {
  const errorCode = (selector & 0xFFFC) | external;
  if ((selector & 0xFFFC) === 0) return cpu.raise(faultVector, external);
  const descriptor = stackSegmentDescriptor;
  if (!readDescriptorInto(cpu, selector, descriptor)) return cpu.raise(faultVector, errorCode);
  if ((selector & 3) !== cpl || descriptorDpl(descriptor) !== cpl) cpu.raise(faultVector, errorCode);
  if (!isDataDescriptor(descriptor) || (descriptor.high & 0x200) === 0) cpu.raise(faultVector, errorCode);
  if (!descriptorPresent(descriptor)) cpu.raise(VECTOR_SS, errorCode);
  return descriptor;
}

/** ES, DS, FS, GS. */
const NULLABLE_DATA_SEGMENTS: readonly number[] = [0, 3, 4, 5];

/** After a return to an outer ring: data segments the new CPL may not use become null (SDM RET/IRET). */
export function nullInaccessibleSegments(cpu: Cpu): void {
  for (const segment of NULLABLE_DATA_SEGMENTS) {
    if (!cpu.segUsable[segment]) continue;
    const attributes = cpu.segAttributes[segment];
    const isCode = (attributes & 0x8) !== 0;
    const conforming = isCode && (attributes & 0x4) !== 0;
    const dpl = (attributes >>> 5) & 3;
    if (!conforming && dpl < cpu.cpl) cpu.setSegmentCache(segment, 0, 0, 0, 0, false);
  }
}

