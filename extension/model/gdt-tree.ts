// The GDT view: each descriptor as `dg` prints it, under its KGDT_* name.
import { hex0x, hex8, hexDigits } from './hex-format';
import type { GdtEntryView, GdtView } from './request-shapes';
import { ViewNode, leafNode } from './view-node';

function descriptorDescription(entry: GdtEntryView): string {
  if (entry.kind === 'null') return 'null descriptor';
  const parts = [entry.type, `base ${hex8(entry.base)}`, `limit ${hex8(entry.limit)}`, `DPL ${entry.dpl}`];
  if (!entry.present) parts.unshift('not present');
  return parts.join(' · ');
}

function descriptorTooltip(entry: GdtEntryView, descriptorAddress: number): string {
  const lines = [
    `GDT[${hex0x(entry.selector, 4)}]${entry.name !== null ? ` ${entry.name}` : ''} at ${hex0x(descriptorAddress)}`,
    `Type:   ${entry.type} (${entry.system ? 'system' : 'code/data'}, type field 0x${entry.rawType.toString(16).toUpperCase()})`,
    `Base:   ${hex0x(entry.base)}`,
    `Limit:  ${hex0x(entry.limit)}${entry.granularity4K ? ' (4 KiB granularity)' : ''}`,
    `DPL:    ${entry.dpl}${entry.kind === 'code' || entry.kind === 'data' ? `, used as selector ${hex0x(entry.selector | entry.dpl, 4)}` : ''}`,
    `Present: ${entry.present ? 'yes' : 'no'} · ${entry.defaultBig ? '32-bit' : '16-bit'} · ${entry.accessed ? 'accessed' : 'not accessed'}`,
  ];
  return lines.join('\n');
}

export function buildGdtEntryNode(gdt: GdtView, entry: GdtEntryView): ViewNode {
  // The selector without its RPL and TI bits is the descriptor's byte offset in the table.
  const descriptorAddress = (gdt.base + (entry.selector & ~7)) >>> 0;
  return leafNode({
    id: `gdt/${entry.selector}`,
    label: `${hexDigits(entry.selector, 4)}  ${entry.name ?? ''}`.trimEnd(),
    description: descriptorDescription(entry),
    tooltip: descriptorTooltip(entry, descriptorAddress),
    value: [entry.base, entry.limit, entry.type, entry.dpl, entry.present].join('|'),
    contextWords: ['descriptor'],
    address: descriptorAddress,
    copyText: `${hexDigits(entry.selector, 4)} ${descriptorDescription(entry)}`,
    action: entry.kind === 'null' ? undefined : { kind: 'openMemory', address: entry.base },
  });
}

export function buildGdtNodes(gdt: GdtView): ViewNode[] {
  return gdt.entries.map((entry) => buildGdtEntryNode(gdt, entry));
}

export function gdtSummary(gdt: GdtView): string {
  return `GDTR ${hex0x(gdt.base)} limit ${hex0x(gdt.limit, 4)}`;
}
