// `dg first [last]`: WinDbg's descriptor table listing, one selector a line.
import type { GdtEntryView } from '../../core/nt/decoders/shapes';
import { hex4, hex8 } from './windbg-numbers';

export const DG_HEADER = [
  '                                  P Si Gr Pr Lo',
  'Sel    Base     Limit     Type    l ze an es ng Flags',
  '---- -------- -------- ---------- - -- -- -- -- --------',
].join('\n');

/** The attribute bits as dg's Flags column shows them: G D/B 0 AVL in 11..8, then the access byte. */
function attributeWord(entry: GdtEntryView): number {
  return (entry.granularity4K ? 0x800 : 0) | (entry.defaultBig ? 0x400 : 0) | (entry.present ? 0x80 : 0) | (entry.dpl << 5) | entry.rawType;
}

export function formatDescriptorLine(entry: GdtEntryView): string {
  const size = entry.defaultBig ? 'Bg' : 'Nb';
  const granularity = entry.granularity4K ? 'Pg' : 'By';
  const present = entry.present ? 'P ' : 'NP';
  return `${hex4(entry.selector)} ${hex8(entry.base)} ${hex8(entry.limit)} ${entry.type.padEnd(10)} ${entry.dpl} ${size} ${granularity} ${present} Nl ${hex8(attributeWord(entry))}`;
}

export function formatDg(entries: readonly GdtEntryView[]): string {
  return [DG_HEADER, ...entries.map(formatDescriptorLine)].join('\n');
}
