// Architectural constants of IA-32 (Intel SDM vol. 3): EFLAGS bits, CR0/CR4 bits, exception vectors.

export const FLAG_CF = 0x0001;
export const FLAG_RESERVED_1 = 0x0002;
export const FLAG_PF = 0x0004;
export const FLAG_AF = 0x0010;
export const FLAG_ZF = 0x0040;
export const FLAG_SF = 0x0080;
export const FLAG_TF = 0x0100;
export const FLAG_IF = 0x0200;
export const FLAG_DF = 0x0400;
export const FLAG_OF = 0x0800;
export const FLAG_IOPL = 0x3000;
export const FLAG_NT = 0x4000;
export const FLAG_RF = 0x10000;
export const FLAG_VM = 0x20000;
export const FLAG_AC = 0x40000;
export const FLAG_ID = 0x200000;
/** The six status flags that arithmetic computes (the lazily evaluated set). */
export const ARITHMETIC_FLAGS = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;
/** Bits a Pentium II lets software change in EFLAGS (VIF/VIP left out: no virtual-8086 mode here). */
export const WRITABLE_FLAGS = ARITHMETIC_FLAGS | FLAG_TF | FLAG_IF | FLAG_DF | FLAG_IOPL | FLAG_NT | FLAG_RF | FLAG_AC | FLAG_ID;

export const CR0_PE = 0x00000001;
export const CR0_MP = 0x00000002;
export const CR0_EM = 0x00000004;
export const CR0_TS = 0x00000008;
export const CR0_ET = 0x00000010;
export const CR0_NE = 0x00000020;
export const CR0_WP = 0x00010000;
export const CR0_AM = 0x00040000;
export const CR0_NW = 0x20000000;
export const CR0_CD = 0x40000000;
export const CR0_PG = 0x80000000;

export const CR4_VME = 0x0001;
export const CR4_PVI = 0x0002;
export const CR4_TSD = 0x0004;
export const CR4_DE = 0x0008;
export const CR4_PSE = 0x0010;
export const CR4_PAE = 0x0020;
export const CR4_MCE = 0x0040;
export const CR4_PGE = 0x0080;
export const CR4_PCE = 0x0100;
/** CR4 bits a Pentium II implements (PAE is refused: the model is non-PAE). */
export const CR4_SUPPORTED = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE | CR4_PGE | CR4_PCE;

export const VECTOR_DE = 0;
export const VECTOR_DB = 1;
export const VECTOR_NMI = 2;
export const VECTOR_BP = 3;
export const VECTOR_OF = 4;
export const VECTOR_BR = 5;
export const VECTOR_UD = 6;
export const VECTOR_NM = 7;
export const VECTOR_DF = 8;
export const VECTOR_TS = 10;
export const VECTOR_NP = 11;
export const VECTOR_SS = 12;
export const VECTOR_GP = 13;
export const VECTOR_PF = 14;
export const VECTOR_MF = 16;
export const VECTOR_AC = 17;

export const MSR_TSC = 0x10;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;

const EXCEPTION_MNEMONICS: readonly string[] = [
  '#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'CSO', '#TS', '#NP', '#SS', '#GP', '#PF', '#15',
  '#MF', '#AC', '#MC', '#XM',
];
const EXCEPTION_NAMES: readonly string[] = [
  'divide error', 'debug', 'non-maskable interrupt', 'breakpoint', 'overflow', 'BOUND range exceeded',
  'invalid opcode', 'device not available', 'double fault', 'coprocessor segment overrun', 'invalid TSS',
  'segment not present', 'stack-segment fault', 'general protection', 'page fault', 'reserved',
  'x87 floating-point error', 'alignment check', 'machine check', 'SIMD floating-point exception',
];

/** '#PF' for 14; 'vector 0x30' for vectors that are not exceptions. */
export function exceptionMnemonic(vector: number): string {
  return vector < EXCEPTION_MNEMONICS.length ? EXCEPTION_MNEMONICS[vector] : `vector 0x${vector.toString(16)}`;
}

/** 'page fault' for 14. */
export function exceptionName(vector: number): string {
  return vector < EXCEPTION_NAMES.length ? EXCEPTION_NAMES[vector] : `interrupt 0x${vector.toString(16)}`;
}

/** Exceptions that push an error code (SDM vol. 3, table 6-1). */
export function exceptionHasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

/** Class of an exception for the double-fault rules (SDM vol. 3, table 6-5). */
export function exceptionClass(vector: number): 'benign' | 'contributory' | 'page-fault' | 'double-fault' {
  if (vector === VECTOR_PF) return 'page-fault';
  if (vector === VECTOR_DF) return 'double-fault';
  if (vector === 0 || (vector >= 10 && vector <= 13)) return 'contributory';
  return 'benign';
}

export function hex32(value: number): string {
  return '0x' + (value >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
