// Registers an expression may name: the 32-bit ones and the pieces of them (ax, al, ah, ip, flags bits).
import { BaseRegisterName, SEGMENT_REGISTER_NAMES, SegmentRegisterName } from './evaluation-context';

export interface RegisterDefinition {
  name: string;
  /** The architectural register holding it. */
  base: BaseRegisterName;
  /** Bit position and width inside the base register. */
  shift: number;
  bits: number;
  /** Flag pseudo-registers must be written `@zf`: bare `cf`, `af`, `df`, `ac` would shadow hex numbers. */
  requiresAtSign: boolean;
}

function whole(name: BaseRegisterName): RegisterDefinition {
  return { name, base: name, shift: 0, bits: isSegmentRegister(name) ? 16 : 32, requiresAtSign: false };
}

function part(name: string, base: BaseRegisterName, shift: number, bits: number): RegisterDefinition {
  return { name, base, shift, bits, requiresAtSign: false };
}

function flag(name: string, shift: number, bits = 1): RegisterDefinition {
  return { name, base: 'eflags', shift, bits, requiresAtSign: true };
}

const WHOLE_REGISTERS: readonly BaseRegisterName[] = [
  'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'esp', 'ebp', 'eip', 'eflags',
  'cs', 'ds', 'es', 'fs', 'gs', 'ss', 'cr0', 'cr2', 'cr3', 'cr4',
];

const DEFINITIONS: readonly RegisterDefinition[] = [
  ...WHOLE_REGISTERS.map(whole),
  part('efl', 'eflags', 0, 32),
  part('ax', 'eax', 0, 16), part('bx', 'ebx', 0, 16), part('cx', 'ecx', 0, 16), part('dx', 'edx', 0, 16),
  part('si', 'esi', 0, 16), part('di', 'edi', 0, 16), part('sp', 'esp', 0, 16), part('bp', 'ebp', 0, 16), part('ip', 'eip', 0, 16),
  part('al', 'eax', 0, 8), part('bl', 'ebx', 0, 8), part('cl', 'ecx', 0, 8), part('dl', 'edx', 0, 8),
  part('ah', 'eax', 8, 8), part('bh', 'ebx', 8, 8), part('ch', 'ecx', 8, 8), part('dh', 'edx', 8, 8),
  // WinDbg's flag pseudo-registers (`r zf`), so a breakpoint condition can read one flag.
  flag('cf', 0), flag('pf', 2), flag('af', 4), flag('zf', 6), flag('sf', 7), flag('tf', 8), flag('if', 9),
  flag('df', 10), flag('of', 11), flag('iopl', 12, 2), flag('nt', 14), flag('rf', 16), flag('vm', 17), flag('ac', 18),
];

const BY_NAME: ReadonlyMap<string, RegisterDefinition> = new Map(DEFINITIONS.map((definition) => [definition.name, definition]));

export const REGISTER_NAMES: readonly string[] = DEFINITIONS.map((definition) => definition.name);

/** The definition of a register name (any case; `withAtSign` when written `@name`), or undefined. */
export function findRegister(name: string, withAtSign: boolean): RegisterDefinition | undefined {
  const definition = BY_NAME.get(name.toLowerCase());
  return definition !== undefined && (withAtSign || !definition.requiresAtSign) ? definition : undefined;
}

export function isSegmentRegister(name: string): name is SegmentRegisterName {
  return (SEGMENT_REGISTER_NAMES as readonly string[]).includes(name.toLowerCase());
}

function fieldMask(bits: number): number {
  return bits >= 32 ? 0xFFFFFFFF : (1 << bits) - 1;
}

/** The register's value extracted from its base register's value. */
export function extractRegister(definition: RegisterDefinition, baseValue: number): number {
  return ((baseValue >>> definition.shift) & fieldMask(definition.bits)) >>> 0;
}

/** The base register's new value after writing `value` to the register (for setExpression). */
export function composeRegisterWrite(definition: RegisterDefinition, baseValue: number, value: number): number {
  const mask = fieldMask(definition.bits);
  const cleared = baseValue & ~((mask << definition.shift) >>> 0);
  return (cleared | (((value & mask) << definition.shift) >>> 0)) >>> 0;
}
