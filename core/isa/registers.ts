// Register names and the numbers the hardware encodes them with (ModRM.reg / ModRM.rm / +r opcodes).
// The encoder, the decoder, the disassembler and the CPU all name registers through this file.

/** 8-bit registers in ModRM order: 0 al .. 3 bl, 4 ah .. 7 bh. */
export const REGISTERS_8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'] as const;
/** 16-bit registers in ModRM order. */
export const REGISTERS_16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'] as const;
/** 32-bit registers in ModRM order. */
export const REGISTERS_32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
/** Segment registers in the order mov sreg encodes them: es 0, cs 1, ss 2, ds 3, fs 4, gs 5. */
export const SEGMENT_REGISTERS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
/** Control registers that exist on a Pentium II (cr1 and cr5..cr7 raise #UD). */
export const CONTROL_REGISTER_NUMBERS = [0, 2, 3, 4] as const;
/** Debug registers dr0..dr7 (dr4/dr5 alias dr6/dr7 when CR4.DE is clear). */
export const DEBUG_REGISTER_NUMBERS = [0, 1, 2, 3, 4, 5, 6, 7] as const;

export type GeneralRegisterName8 = (typeof REGISTERS_8)[number];
export type GeneralRegisterName16 = (typeof REGISTERS_16)[number];
export type GeneralRegisterName32 = (typeof REGISTERS_32)[number];
export type SegmentRegisterName = (typeof SEGMENT_REGISTERS)[number];

export const REG_EAX = 0;
export const REG_ECX = 1;
export const REG_EDX = 2;
export const REG_EBX = 3;
export const REG_ESP = 4;
export const REG_EBP = 5;
export const REG_ESI = 6;
export const REG_EDI = 7;

export type RegisterInfo =
  | { class: 'gpr'; size: 1 | 2 | 4; number: number }
  | { class: 'sreg'; number: number }
  | { class: 'creg'; number: number }
  | { class: 'dreg'; number: number };

const REGISTER_LOOKUP: ReadonlyMap<string, RegisterInfo> = buildRegisterLookup();

function buildRegisterLookup(): Map<string, RegisterInfo> {
  const lookup = new Map<string, RegisterInfo>();
  REGISTERS_8.forEach((name, number) => lookup.set(name, { class: 'gpr', size: 1, number }));
  REGISTERS_16.forEach((name, number) => lookup.set(name, { class: 'gpr', size: 2, number }));
  REGISTERS_32.forEach((name, number) => lookup.set(name, { class: 'gpr', size: 4, number }));
  SEGMENT_REGISTERS.forEach((name, number) => lookup.set(name, { class: 'sreg', number }));
  for (const number of CONTROL_REGISTER_NUMBERS) lookup.set(`cr${number}`, { class: 'creg', number });
  for (const number of DEBUG_REGISTER_NUMBERS) lookup.set(`dr${number}`, { class: 'dreg', number });
  return lookup;
}

/** Looks a register up by name (case-insensitive); undefined when the name is not a register. */
export function lookupRegister(name: string): RegisterInfo | undefined {
  return REGISTER_LOOKUP.get(name.toLowerCase());
}

/** The name of a general register of the given size and number ('eax' for (4, 0)). */
export function generalRegisterName(size: 1 | 2 | 4, number: number): string {
  const names = size === 1 ? REGISTERS_8 : size === 2 ? REGISTERS_16 : REGISTERS_32;
  return names[number & 7];
}

/** The name of a segment register by number, or undefined for the reserved numbers 6 and 7. */
export function segmentRegisterName(number: number): SegmentRegisterName | undefined {
  return SEGMENT_REGISTERS[number];
}
