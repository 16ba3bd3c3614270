// The contract between the table-driven decoder (core/isa/decoder.ts) and its two consumers: the
// disassembler's formatters and the CPU's decoded-instruction cache.

import type { InstructionForm } from './types';

/** Register numbers as encoded in ModRM: 0 eax/ax/al, 1 ecx, 2 edx, 3 ebx, 4 esp/ah, 5 ebp/ch, 6 esi/dh, 7 edi/bh. */
export type RegisterNumber = number;

/** Segment register numbers as encoded in ModRM.reg for mov sreg: 0 es, 1 cs, 2 ss, 3 ds, 4 fs, 5 gs. */
export const SEGMENT_ES = 0;
export const SEGMENT_CS = 1;
export const SEGMENT_SS = 2;
export const SEGMENT_DS = 3;
export const SEGMENT_FS = 4;
export const SEGMENT_GS = 5;

export interface DecodedMemory {
  /** Effective segment: the override if one was given, else SS for EBP/ESP-based (BP-based in a16), else DS. */
  segment: number;
  segmentOverridden: boolean;
  /** Register numbers, -1 when absent. In a16 forms, base/index are 16-bit registers (bx=3, bp=5, si=6, di=7). */
  base: RegisterNumber;
  index: RegisterNumber;
  scale: 1 | 2 | 4 | 8;
  /** Sign-extended displacement as a signed 32-bit number (a16: sign-extended 16-bit). */
  displacement: number;
  /** Encoded displacement width in bytes (0, 1, 2 or 4) — the disassembler needs it to print `[eax+0x0]` forms. */
  displacementBytes: 0 | 1 | 2 | 4;
  addressSize: 16 | 32;
}

export type DecodedOperand =
  | { kind: 'reg'; size: 1 | 2 | 4; reg: RegisterNumber }
  | { kind: 'sreg'; reg: number }
  | { kind: 'creg'; reg: number }
  | { kind: 'dreg'; reg: number }
  /** `size` in bytes: 1, 2, 4, 6 (m16&32, m16:32), 8 (m64, m32&32), 0 for unsized `m` (lea, invlpg). */
  | { kind: 'mem'; size: number; memory: DecodedMemory }
  /** Immediate, already extended as the form says (simm8 sign-extended to the operand size), as an unsigned number of `size` bytes. */
  | { kind: 'imm'; size: 1 | 2 | 4; value: number }
  /** Relative branch: `target` = (address + length + displacement) wrapped to the operand size. */
  | { kind: 'rel'; size: 1 | 2 | 4; displacement: number; target: number }
  | { kind: 'far'; segment: number; offset: number };

export interface DecodedInstruction {
  form: InstructionForm;
  /** Index of the form in INSTRUCTION_TABLE. */
  formIndex: number;
  address: number;
  length: number;
  operandSize: 16 | 32;
  addressSize: 16 | 32;
  lock: boolean;
  rep: 'rep' | 'repne' | null;
  /** Segment override prefix given (segment number), or -1. */
  segmentOverride: number;
  operands: DecodedOperand[];
}

export type DecodeFailure =
  /** No row of the table has this opcode (the disassembler says so; the CPU raises #UD). */
  | { ok: false; reason: 'unknown-opcode'; length: number; message: string }
  /** The opcode exists but this encoding is invalid (lea with a register, lock on a non-lockable form ...): #UD. */
  | { ok: false; reason: 'invalid'; length: number; message: string }
  /** More than 15 bytes: #GP(0). */
  | { ok: false; reason: 'too-long'; length: number; message: string }
  /** fetchByte returned -1 at byte `faultIndex` (unreadable memory: the CPU raises #PF for it). */
  | { ok: false; reason: 'fetch-fault'; faultIndex: number; length: number; message: string };

export type DecodeResult = { ok: true; instruction: DecodedInstruction } | DecodeFailure;

/**
 * Reads the byte at `address + index`, or returns -1 when it cannot be read. The decoder never reads
 * further than it needs to, so a CPU can raise #PF on exactly the byte that faulted.
 */
export type FetchByte = (index: number) => number;
