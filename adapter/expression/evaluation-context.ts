// What the evaluator needs from a paused machine: four look-ups, each answering undefined when the
// thing does not exist or cannot be read, so evaluation never has to catch anything.

/** The architectural registers the evaluator reads; sub-registers and flags are derived from them. */
export type BaseRegisterName =
  | 'eax' | 'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'esp' | 'ebp' | 'eip' | 'eflags'
  | 'cs' | 'ds' | 'es' | 'fs' | 'gs' | 'ss'
  | 'cr0' | 'cr2' | 'cr3' | 'cr4';

export type SegmentRegisterName = 'cs' | 'ds' | 'es' | 'fs' | 'gs' | 'ss';

export const SEGMENT_REGISTER_NAMES: readonly SegmentRegisterName[] = ['cs', 'ds', 'es', 'fs', 'gs', 'ss'];

export type MemoryAccessSize = 1 | 2 | 4;

export interface EvaluationContext {
  /** The register's value (selectors for segment registers), or undefined when unavailable. */
  register(name: BaseRegisterName): number | undefined;
  /** A little-endian value at a linear address, or undefined when any byte is unmapped. */
  readMemory(address: number, size: MemoryAccessSize): number | undefined;
  /** The address of `nt!KiServiceTable` or `KiSystemService` (any loaded module), or undefined. */
  symbol(name: string): number | undefined;
  /** The base of the segment the register holds (fs = 0xFFDFF000 in ring 0), or undefined. */
  segmentBase(segment: SegmentRegisterName): number | undefined;
  /** Every symbol name, for completions (`nt!KiSystemService`); optional. */
  symbolNames?(): readonly string[];
}
