// lookupRegister for the assembler's hot paths. Every pass asks about the same few name strings
// (`eax` in one statement is one string object from parsing on), and lower-casing a name makes a new
// string whose hash is computed again each time: remembering the answer per name as written is cheaper.
import { lookupRegister, type RegisterInfo } from '../isa/registers';

/** Answers by the name as written; only names that are registers are kept, so it stays small. */
const REGISTERS_BY_WRITTEN_NAME = new Map<string, RegisterInfo>();

/** The register a name (any case) stands for, undefined when it is not a register. */
export function registerNamed(name: string): RegisterInfo | undefined {
  const known = REGISTERS_BY_WRITTEN_NAME.get(name);
  if (known !== undefined) return known;
  const info = lookupRegister(name);
  if (info !== undefined) REGISTERS_BY_WRITTEN_NAME.set(name, info);
  return info;
}
