// Port I/O: in/out, and the permission check shared with ins/outs (CPL <= IOPL, else the TSS I/O map).
import type { Cpu } from './cpu';
import { FLAG_IOPL, VECTOR_GP } from './constants';
import { DecodedEntry, Handler, OPERAND_IMMEDIATE } from './decoded-entry';
import { advance, readRegister, writeRegister } from './operands';

/** #GP(0) unless the current task may use ports [port, port + size). */
export function checkIoPermission(cpu: Cpu, port: number, size: number): void {
  if (cpu.cpl <= ((cpu.flags & FLAG_IOPL) >>> 12)) return;
  if ((cpu.trType !== 9 && cpu.trType !== 11) || cpu.trLimit < 0x67) cpu.raise(VECTOR_GP, 0);
  const mapBase = cpu.readSystem16((cpu.trBase + 0x66) | 0);
  const byteOffset = mapBase + (port >>> 3);
  if (byteOffset + 1 > cpu.trLimit) cpu.raise(VECTOR_GP, 0);
  const bits = cpu.readSystem16((cpu.trBase + byteOffset) | 0);
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) cpu.raise(VECTOR_GP, 0);
}

function portOf(cpu: Cpu, kind: number, arg: number): number {
  return kind === OPERAND_IMMEDIATE ? arg & 0xFF : cpu.r16[4];
}

function input(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size0 as 1 | 2 | 4;
  const port = portOf(cpu, entry.kind1, entry.arg1);
  checkIoPermission(cpu, port, size);
  writeRegister(cpu, size, 0, cpu.ports.readPort(port, size));
  advance(cpu, entry);
}

function output(cpu: Cpu, entry: DecodedEntry): void {
  const size = entry.size1 as 1 | 2 | 4;
  const port = portOf(cpu, entry.kind0, entry.arg0);
  checkIoPermission(cpu, port, size);
  cpu.ports.writePort(port, size, readRegister(cpu, size, 0) >>> 0);
  advance(cpu, entry);
}

export function resolveIo(mnemonic: string): Handler | undefined {
  if (mnemonic === 'in') return input;
  if (mnemonic === 'out') return output;
  return undefined;
}
