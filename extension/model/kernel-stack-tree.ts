// The Kernel Stack view: dwords from ESP up to the stack top, each annotated, ESP and EBP marked,
// the slots of each trap frame gathered under a `_KTRAP_FRAME @ address` row.
import { hex0x, hex8 } from './hex-format';
import type { KernelStackEntryView, KernelStackView } from './request-shapes';
import { NodeMark, ViewNode, groupNode, leafNode, messageNode } from './view-node';

/** How the adapter joins the parts of an annotation (core/nt/decoders/kernel-stack.ts). */
const ANNOTATION_SEPARATOR = ' · ';
/** A module-qualified symbol (`nt!KiSystemService+0x1a`) in an annotation names code the dword points at. */
const CODE_SYMBOL = /\b[A-Za-z_]\w*![A-Za-z_?@$][\w?@$]*(?:\+0x[0-9a-fA-F]+)?/;
/** `_KTRAP_FRAME.Eip (+0x68)`: the slot is that field of a trap frame starting 0x68 bytes below. */
const TRAP_FRAME_FIELD = /_KTRAP_FRAME\.(\w+) \(\+0x([0-9a-fA-F]+)\)/;
const KTRAP_FRAME_SIZE = 0x8C;

function marksOf(stack: KernelStackView, entry: KernelStackEntryView): NodeMark[] {
  const marks: NodeMark[] = [];
  if (entry.address === stack.esp) marks.push('esp');
  if (entry.address === stack.ebp) marks.push('ebp');
  return marks;
}

/** The annotation without the ESP/EBP words, which the row's label already shows. */
function annotationWithoutMarks(annotation: string): string {
  return annotation.split(ANNOTATION_SEPARATOR).filter((part) => part !== 'ESP' && part !== 'EBP' && part !== '').join(ANNOTATION_SEPARATOR);
}

function entryTooltip(stack: KernelStackView, entry: KernelStackEntryView): string {
  const lines = [
    `[${hex0x(entry.address)}] = ${hex0x(entry.value)}`,
    `ESP+${hex0x((entry.address - stack.esp) >>> 0, 0)} · ${hex0x((stack.top - entry.address) >>> 0, 0)} bytes below the stack top`,
  ];
  if (entry.annotation !== '') lines.push(entry.annotation);
  return lines.join('\n');
}

export function buildKernelStackEntryNode(stack: KernelStackView, entry: KernelStackEntryView): ViewNode {
  const marks = marksOf(stack, entry);
  const marked = marks.map((mark) => mark.toUpperCase()).join(' ');
  const annotation = annotationWithoutMarks(entry.annotation);
  const codeSymbol = CODE_SYMBOL.exec(annotation)?.[0];
  return leafNode({
    id: `stack/${entry.address}`,
    label: marked === '' ? hex8(entry.address) : `${hex8(entry.address)} ◀ ${marked}`,
    description: annotation === '' ? hex8(entry.value) : `${hex8(entry.value)}  ${annotation}`,
    tooltip: entryTooltip(stack, entry),
    value: `${entry.value}|${entry.annotation}`,
    contextWords: ['stackSlot'],
    marks,
    address: entry.address,
    target: codeSymbol !== undefined ? { address: entry.value, symbol: codeSymbol } : undefined,
    copyText: hex0x(entry.value),
    action: codeSymbol !== undefined ? { kind: 'revealSource', address: entry.value, symbol: codeSymbol } : { kind: 'openMemory', address: entry.value },
  });
}

/** The start of the trap frame a slot belongs to, or undefined. */
export function trapFrameBaseOf(entry: KernelStackEntryView): number | undefined {
  const match = TRAP_FRAME_FIELD.exec(entry.annotation);
  return match === null ? undefined : (entry.address - parseInt(match[2]!, 16)) >>> 0;
}

function trapFrameGroup(stack: KernelStackView, base: number, slots: readonly KernelStackEntryView[]): ViewNode {
  const fields = slots.map((slot) => TRAP_FRAME_FIELD.exec(slot.annotation)?.[1]).filter((name): name is string => name !== undefined);
  const complete = slots.length * 4 >= KTRAP_FRAME_SIZE;
  return groupNode(
    `stack-frame/${base}`,
    `_KTRAP_FRAME @ ${hex8(base)}`,
    complete ? `${slots.length} fields` : `${slots.length} fields above ESP (${fields[0]}..${fields[fields.length - 1]})`,
    `dt _KTRAP_FRAME ${hex0x(base)}\nThe frame the kernel saves on entry (int 2Eh, sysenter, an interrupt); fields below ESP are not built yet.`,
    slots.map((slot) => buildKernelStackEntryNode(stack, slot)),
    true,
  );
}

/** From ESP upward (lowest address first), as `dps esp` prints; trap frame slots under their frame. */
export function buildKernelStackNodes(stack: KernelStackView): ViewNode[] {
  if (stack.entries.length === 0) {
    return [messageNode('stack-empty', `Nothing between ESP ${hex0x(stack.esp)} and the stack top ${hex0x(stack.top)}`, false)];
  }
  const ordered = [...stack.entries].sort((a, b) => a.address - b.address);
  const rows: ViewNode[] = [];
  for (let index = 0; index < ordered.length;) {
    const base = trapFrameBaseOf(ordered[index]!);
    if (base === undefined) {
      rows.push(buildKernelStackEntryNode(stack, ordered[index]!));
      index++;
      continue;
    }
    const slots: KernelStackEntryView[] = [];
    while (index < ordered.length && trapFrameBaseOf(ordered[index]!) === base) slots.push(ordered[index++]!);
    rows.push(trapFrameGroup(stack, base, slots));
  }
  return rows;
}

export function kernelStackSummary(stack: KernelStackView): string {
  return `ESP ${hex0x(stack.esp)} · EBP ${hex0x(stack.ebp)} · ${hex0x((stack.top - stack.esp) >>> 0, 0)} bytes used`;
}
