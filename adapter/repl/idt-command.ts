// `!idt [vector]`: one line per present gate, `2e:\t804de2e0 nt!KiSystemService`, as WinDbg prints it.
import type { IdtEntryView, IdtView } from '../../core/nt/decoders/shapes';
import { hex2, hex8 } from './windbg-numbers';

function gateLine(entry: IdtEntryView): string {
  const vector = hex2(entry.vector);
  if (entry.type === 'task') return `${vector}:\tTask Selector = 0x${entry.selector.toString(16).padStart(4, '0')}`;
  if (entry.type === 'none') return `${vector}:\t(no gate: descriptor type 0x${entry.rawType.toString(16)})`;
  const handler = entry.symbol === null ? hex8(entry.offset) : `${hex8(entry.offset)} ${entry.symbol}`;
  return entry.present ? `${vector}:\t${handler}` : `${vector}:\t${handler} (not present)`;
}

/** The text of `!idt` (every present gate) or `!idt vector` (that gate, present or not). */
export function formatIdtCommand(idt: IdtView, vector?: number): string {
  const header = `Dumping IDT: ${hex8(idt.base)}\n`;
  if (vector === undefined) {
    return [header, ...idt.entries.filter((entry) => entry.present).map(gateLine)].join('\n');
  }
  const entry = idt.entries.find((candidate) => candidate.vector === vector);
  if (entry === undefined) {
    return `vector 0x${(vector >>> 0).toString(16)} is outside the IDT (limit 0x${idt.limit.toString(16)}: ${idt.entries.length} gates)`;
  }
  return [header, gateLine(entry)].join('\n');
}
