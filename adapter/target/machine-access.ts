// Reads and writes of machine state the debugger needs beyond Machine's own API. Writes go through the
// CPU's host-side entry points (jumpTo, writeEflagsBits, writePhysical) so decoded code stays coherent.
// ADAPTER-SIDE WORKAROUND: Machine has no writeRegister / writeLinear / readTsc yet (reported to core).
import { writeEflagsBits } from '../../core/cpu/flags';
import type { Machine } from '../../core/machine/machine';
import { guestMemoryFromByteReader, type GuestMemoryReader } from '../../core/nt/guest-memory';
import type { BaseRegisterName } from '../expression/evaluation-context';

const GENERAL_REGISTER_INDEX: Readonly<Record<string, number>> = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 };
/** EFLAGS bits a debugger may change: status flags, TF, IF, DF, OF, IOPL, NT, RF, AC (never VM: it switches modes). */
const EDITABLE_EFLAGS_MASK = 0x00057FD5;

export function guestMemoryOf(machine: Machine): GuestMemoryReader {
  return guestMemoryFromByteReader((address, length) => machine.readLinear(address, length));
}

/** The bytes at a linear address, or undefined when any is unmapped. */
export function readLinearBytes(machine: Machine, address: number, length: number): Uint8Array | undefined {
  return guestMemoryOf(machine).readLinear(address >>> 0, length);
}

export function readLinearDword(machine: Machine, address: number): number | undefined {
  const bytes = readLinearBytes(machine, address, 4);
  return bytes === undefined ? undefined : (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
}

/** Writes through the current page tables byte by byte; returns how many bytes were written before an unmapped one. */
export function writeLinearBytes(machine: Machine, address: number, bytes: Uint8Array): number {
  for (let index = 0; index < bytes.length; index++) {
    const physical = machine.translate((address + index) >>> 0);
    if (physical === undefined || physical >= machine.memory.size) return index;
    machine.writePhysical(physical, bytes.subarray(index, index + 1));
  }
  return bytes.length;
}

export function littleEndianBytes(value: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let index = 0; index < size; index++) bytes[index] = (value >>> (8 * index)) & 0xFF;
  return bytes;
}

/** Writes one architectural register; returns an error message when the debugger cannot change it. */
export function writeRegister(machine: Machine, name: BaseRegisterName, value: number): string | undefined {
  const cpu = machine.cpu;
  const index = GENERAL_REGISTER_INDEX[name];
  if (index !== undefined) {
    cpu.r32[index] = value | 0;
    return undefined;
  }
  if (name === 'eip') {
    cpu.jumpTo(value | 0);
    return undefined;
  }
  if (name === 'eflags') {
    writeEflagsBits(cpu, value, EDITABLE_EFLAGS_MASK);
    return undefined;
  }
  return `${name} cannot be changed from the debugger (a segment or control register load needs the CPU's checks)`;
}

/** IA32_TIME_STAMP_COUNTER as rdtsc would read it now. */
export function readTimeStampCounter(machine: Machine): bigint {
  return BigInt.asUintN(64, BigInt(machine.instructionCount) + BigInt(machine.cpu.tscOffset));
}
