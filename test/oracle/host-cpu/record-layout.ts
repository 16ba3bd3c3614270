// The 64-byte case record shared by the snippets, the native runner (native-runner.c) and the emulator
// runner: inputs the snippet loads, a memory area holding the memory operand, outputs it stores.

export const RECORD_BYTES = 64;
export const RECORD_WORDS = RECORD_BYTES / 4;

/** Byte offsets of the inputs; the four registers appear in this order: eax, ebx, ecx, edx. */
export const IN_REGISTERS = 0;
export const IN_EFLAGS = 16;
/** Four dwords that the instruction may read and write in place (the operand sits in the second). */
export const MEMORY_AREA = 24;
export const MEMORY_AREA_WORDS = 4;
/** The memory operand is `[esi+28]`: a dword of neighbours on each side catches stray writes and bt offsets. */
export const MEMORY_OPERAND = 28;
/** Byte offsets of the outputs (same register order), then EFLAGS and the fault marker. */
export const OUT_REGISTERS = 40;
export const OUT_EFLAGS = 56;
/** 0 = the instruction completed; 1 + vector when it faulted; NOT_RUN until the snippet reaches the case. */
export const OUT_FAULT = 60;
export const FAULT_NOT_RUN = 0xffffffff;

/** The snippet image header: a count, then per snippet the offsets of entry, instruction, next case, final hlt. */
export const SNIPPET_HEADER_WORDS = 4;

/** The general registers the instruction under test may use, in record order. */
export const CASE_REGISTERS = ['eax', 'ebx', 'ecx', 'edx'] as const;
export type CaseRegister = (typeof CASE_REGISTERS)[number];

/** The EFLAGS bits the oracle compares and varies on input. */
export const FLAG_BITS = { CF: 0x001, PF: 0x004, AF: 0x010, ZF: 0x040, SF: 0x080, DF: 0x400, OF: 0x800 } as const;
export type ComparedFlag = keyof typeof FLAG_BITS;
export const COMPARED_FLAGS_MASK = 0xcd5;
/** EFLAGS bit 1 always reads as 1. */
export const EFLAGS_RESERVED_ONE = 0x002;
