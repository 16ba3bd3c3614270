// The structures `dt` knows, by the names WinDbg accepts: `_KTRAP_FRAME`, `nt!_KTSS`, `_kthread`.
import { KPCR_LAYOUT } from './kpcr';
import { KTHREAD_LAYOUT } from './kthread';
import { KTRAP_FRAME_LAYOUT } from './ktrap-frame';
import { KTSS_LAYOUT } from './ktss';
import type { StructureLayout } from './structure-layout';

export const KNOWN_STRUCTURES: readonly StructureLayout[] = [KTRAP_FRAME_LAYOUT, KTSS_LAYOUT, KTHREAD_LAYOUT, KPCR_LAYOUT];

/** The layout a `dt` type argument names (module prefix and case ignored), or undefined. */
export function findStructureLayout(typeName: string): StructureLayout | undefined {
  const bare = typeName.trim().replace(/^[^!]*!/, '').toLowerCase();
  return KNOWN_STRUCTURES.find((layout) => layout.name.toLowerCase() === bare || layout.name.slice(1).toLowerCase() === bare);
}
