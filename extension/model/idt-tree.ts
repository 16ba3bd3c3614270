// The IDT view: gates grouped by the seeds' layout (exceptions, reserved, free, system, hardware).
import { farPointer, hex0x, hexDigits } from './hex-format';
import type { IdtCategory, IdtEntryView, IdtView } from './request-shapes';
import { ViewNode, groupNode, leafNode } from './view-node';

const IDT_GATE_SIZE = 8;
/** Runs of at least this many empty gates fold into one row (0x31-0xFF would otherwise be 207 rows). */
const EMPTY_RUN_TO_FOLD = 3;

interface CategoryDescription {
  readonly category: IdtCategory;
  readonly title: string;
  readonly explanation: string;
  readonly expanded: boolean;
}

const CATEGORY_ORDER: readonly CategoryDescription[] = [
  { category: 'exception', title: 'Exceptions', expanded: true,
    explanation: 'CPU exceptions: KiTrap00 (#DE) .. KiTrap13 (#XF); 0x03 and 0x04 are DPL 3 so int3/into work from ring 3.' },
  { category: 'reserved', title: 'Reserved by Intel', expanded: false,
    explanation: 'Vectors 0x14-0x1F are reserved by Intel for future exceptions.' },
  { category: 'free', title: 'Free', expanded: false,
    explanation: 'Vectors 0x20-0x29 are unused by NT on x86.' },
  { category: 'system', title: 'System services', expanded: true,
    explanation: 'The system five: 0x2A KiGetTickCount, 0x2B KiCallbackReturn, 0x2C KiRaiseAssertion, 0x2D KiDebugService, 0x2E KiSystemService (DPL 3 interrupt gates).' },
  { category: 'hardware', title: 'Hardware interrupts', expanded: false,
    explanation: 'Vectors 0x30-0xFF: device interrupts (the clock at 0x30).' },
];

export function vectorText(vector: number): string {
  return hexDigits(vector, 2);
}

function gateTypeText(entry: IdtEntryView): string {
  const width = entry.gateBits === 16 ? ' (16-bit)' : '';
  switch (entry.type) {
    case 'interrupt': return `interrupt gate${width}`;
    case 'trap': return `trap gate${width}`;
    case 'task': return 'task gate';
    case 'none': return `not a gate (type 0x${entry.rawType.toString(16).toUpperCase()})`;
  }
}

function hasHandler(entry: IdtEntryView): boolean {
  return entry.present && (entry.type === 'interrupt' || entry.type === 'trap');
}

/** `interrupt gate, DPL 3, 0008:804DE2E0` — what `!idt` would tell. */
export function gateDescription(entry: IdtEntryView): string {
  if (!entry.present) return entry.type === 'none' && entry.selector === 0 && entry.offset === 0 ? 'not present (empty)' : `not present · ${gateTypeText(entry)}`;
  if (entry.type === 'none') return gateTypeText(entry);
  if (entry.type === 'task') return `DPL ${entry.dpl}, TSS selector ${hexDigits(entry.selector, 4)} (a task switch)`;
  return `${gateTypeText(entry)}, DPL ${entry.dpl}, ${farPointer(entry.selector, entry.offset)}`;
}

function gateTooltip(entry: IdtEntryView, gateAddress: number): string {
  const lines = [`IDT[${hex0x(entry.vector, 2)}] at ${hex0x(gateAddress)} (IDTR.base + vector*8)`];
  if (entry.type === 'interrupt' || entry.type === 'trap') {
    lines.push(`Handler:  ${entry.symbol ?? '(no symbol)'} at ${hex0x(entry.offset)}`);
  }
  lines.push(`Selector: ${hex0x(entry.selector, 4)}${entry.type === 'task' ? ' (a TSS: the CPU switches tasks)' : ''}`);
  lines.push(`Type:     ${gateTypeText(entry)} (descriptor type 0x${entry.rawType.toString(16).toUpperCase()})`);
  if (entry.type === 'interrupt') lines.push('          an interrupt gate clears IF on entry');
  if (entry.type === 'trap') lines.push('          a trap gate leaves IF as it was');
  lines.push(`DPL:      ${entry.dpl} — ${entry.dpl === 3
    ? `\`int ${hex0x(entry.vector, 2)}\` is allowed from ring 3`
    : `\`int ${hex0x(entry.vector, 2)}\` from ring 3 raises #GP with error code ${hex0x(entry.vector * 8 + 2, 4)}`}`);
  lines.push(`Present:  ${entry.present ? 'yes' : 'no (delivering it raises #NP)'}`);
  lines.push(`Category: ${entry.category}`);
  return lines.join('\n');
}

function gateValue(entry: IdtEntryView): string {
  return [entry.present, entry.type, entry.gateBits, entry.selector, entry.offset, entry.dpl, entry.symbol ?? ''].join('|');
}

export function buildIdtGateNode(entry: IdtEntryView, idtBase: number): ViewNode {
  const gateAddress = (idtBase + entry.vector * IDT_GATE_SIZE) >>> 0;
  const handler = hasHandler(entry) ? { address: entry.offset, symbol: entry.symbol } : undefined;
  const name = handler !== undefined ? handler.symbol ?? hex0x(handler.address)
    : entry.present && entry.type === 'task' ? 'task gate' : entry.present ? '' : '—';
  return leafNode({
    id: `idt/${entry.vector}`,
    label: `${vectorText(entry.vector)}  ${name}`.trimEnd(),
    description: gateDescription(entry),
    tooltip: gateTooltip(entry, gateAddress),
    value: gateValue(entry),
    contextWords: ['gate', ...(handler ? ['handler'] : [])],
    address: gateAddress,
    target: handler,
    vector: entry.vector,
    copyText: handler ? `${vectorText(entry.vector)} ${handler.symbol ?? ''} ${farPointer(entry.selector, entry.offset)}`.replace(/  +/g, ' ') : gateDescription(entry),
    action: handler ? { kind: 'revealSource', address: handler.address, symbol: handler.symbol } : undefined,
  });
}

function isEmptyGate(entry: IdtEntryView): boolean {
  return !entry.present && entry.type === 'none' && entry.selector === 0 && entry.offset === 0;
}

function emptyRunNode(run: readonly IdtEntryView[], idtBase: number): ViewNode {
  const first = run[0]!.vector;
  const last = run[run.length - 1]!.vector;
  return leafNode({
    id: `idt-empty/${first}-${last}`,
    label: `${vectorText(first)}–${vectorText(last)}  —`,
    description: `not present (${run.length} empty gates)`,
    tooltip: `IDT[${hex0x(first, 2)}]..IDT[${hex0x(last, 2)}] are all zero: delivering one of these vectors raises #NP with error code vector*8+2.`,
    value: String(run.length),
    contextWords: ['gateRange'],
    address: (idtBase + first * IDT_GATE_SIZE) >>> 0,
  });
}

/** The group's rows: one per gate, with long runs of empty gates folded into one row. */
function gateRows(entries: readonly IdtEntryView[], idtBase: number): ViewNode[] {
  const rows: ViewNode[] = [];
  let emptyRun: IdtEntryView[] = [];
  const flush = (): void => {
    if (emptyRun.length >= EMPTY_RUN_TO_FOLD) rows.push(emptyRunNode(emptyRun, idtBase));
    else rows.push(...emptyRun.map((entry) => buildIdtGateNode(entry, idtBase)));
    emptyRun = [];
  };
  for (const entry of entries) {
    if (isEmptyGate(entry)) {
      emptyRun.push(entry);
    } else {
      flush();
      rows.push(buildIdtGateNode(entry, idtBase));
    }
  }
  flush();
  return rows;
}

/** The IDT grouped as the seeds teach it; groups that hold no vectors are left out. */
export function buildIdtNodes(idt: IdtView): ViewNode[] {
  const groups: ViewNode[] = [];
  for (const description of CATEGORY_ORDER) {
    const entries = idt.entries.filter((entry) => entry.category === description.category);
    if (entries.length === 0) continue;
    const first = entries[0]!.vector;
    const last = entries[entries.length - 1]!.vector;
    const presentCount = entries.filter((entry) => entry.present).length;
    groups.push(groupNode(
      `idt-group/${description.category}`,
      `${description.title}  ${vectorText(first)}–${vectorText(last)}`,
      `${presentCount} of ${entries.length} present`,
      description.explanation,
      gateRows(entries, idt.base),
      description.expanded,
    ));
  }
  return groups;
}

/** The view's title line: where the IDT lives. */
export function idtSummary(idt: IdtView): string {
  return `IDTR ${hex0x(idt.base)} limit ${hex0x(idt.limit, 4)} · ${idt.entries.length} vectors`;
}
