// The TSS view: KTSS fields under their real names and offsets, the ring-0 stack first.
import { hex0x, hex8 } from './hex-format';
import type { KtssFields, TssView } from './request-shapes';
import { ViewNode, groupNode, leafNode } from './view-node';

interface KtssFieldLayout {
  readonly key: keyof KtssFields;
  readonly name: string;
  readonly offset: number;
  /** Selectors and 16-bit fields print as four digits. */
  readonly digits: 4 | 8;
  readonly why?: string;
}

interface KtssFieldGroup {
  readonly id: string;
  readonly title: string;
  readonly expanded: boolean;
  readonly fields: readonly KtssFieldLayout[];
}

const KTSS_GROUPS: readonly KtssFieldGroup[] = [
  { id: 'stacks', title: 'Privilege-level stacks', expanded: true, fields: [
    { key: 'esp0', name: 'Esp0', offset: 0x04, digits: 8, why: 'The ring-0 stack the CPU switches to on an interrupt or int 2Eh from ring 3; KiFastCallEntry loads it by hand.' },
    { key: 'ss0', name: 'Ss0', offset: 0x08, digits: 4, why: 'The ring-0 stack segment (KGDT_R0_DATA 0x10).' },
    { key: 'esp1', name: 'Esp1', offset: 0x0C, digits: 8, why: 'Ring 1 is unused by NT.' },
    { key: 'ss1', name: 'Ss1', offset: 0x10, digits: 4 },
    { key: 'esp2', name: 'Esp2', offset: 0x14, digits: 8, why: 'Ring 2 is unused by NT.' },
    { key: 'ss2', name: 'Ss2', offset: 0x18, digits: 4 },
  ] },
  { id: 'task', title: 'Saved task state', expanded: false, fields: [
    { key: 'backlink', name: 'Backlink', offset: 0x00, digits: 4, why: 'The previous task after a nested task switch (the double-fault task).' },
    { key: 'cr3', name: 'CR3', offset: 0x1C, digits: 8, why: 'The page directory loaded on a task switch into this task.' },
    { key: 'eip', name: 'Eip', offset: 0x20, digits: 8 },
    { key: 'eflags', name: 'EFlags', offset: 0x24, digits: 8 },
    { key: 'eax', name: 'Eax', offset: 0x28, digits: 8 },
    { key: 'ecx', name: 'Ecx', offset: 0x2C, digits: 8 },
    { key: 'edx', name: 'Edx', offset: 0x30, digits: 8 },
    { key: 'ebx', name: 'Ebx', offset: 0x34, digits: 8 },
    { key: 'esp', name: 'Esp', offset: 0x38, digits: 8 },
    { key: 'ebp', name: 'Ebp', offset: 0x3C, digits: 8 },
    { key: 'esi', name: 'Esi', offset: 0x40, digits: 8 },
    { key: 'edi', name: 'Edi', offset: 0x44, digits: 8 },
    { key: 'es', name: 'Es', offset: 0x48, digits: 4 },
    { key: 'cs', name: 'Cs', offset: 0x4C, digits: 4 },
    { key: 'ss', name: 'Ss', offset: 0x50, digits: 4 },
    { key: 'ds', name: 'Ds', offset: 0x54, digits: 4 },
    { key: 'fs', name: 'Fs', offset: 0x58, digits: 4 },
    { key: 'gs', name: 'Gs', offset: 0x5C, digits: 4 },
    { key: 'ldt', name: 'LDT', offset: 0x60, digits: 4 },
  ] },
  { id: 'io', title: 'I/O permission', expanded: true, fields: [
    { key: 'flags', name: 'Flags', offset: 0x64, digits: 4, why: 'Bit 0 is the T bit: a debug trap on a task switch into this task.' },
    { key: 'ioMapBase', name: 'IoMapBase', offset: 0x66, digits: 4, why: 'Offset of the I/O permission bitmap; at or past the limit means no bitmap.' },
  ] },
];

export const KTSS_FIELD_NAMES: readonly (keyof KtssFields)[] = KTSS_GROUPS.flatMap((group) => group.fields.map((field) => field.key));

function fieldNode(tss: TssView, field: KtssFieldLayout): ViewNode {
  const value = tss.fields[field.key];
  const address = (tss.base + field.offset) >>> 0;
  const extra = field.key === 'ioMapBase' ? (tss.ioMapPresent ? 'bitmap present' : 'no bitmap: in/out from CPL > IOPL fault') : '';
  const tooltip = [`KTSS+${hex0x(field.offset, 2)} ${field.name} = ${hex0x(value, field.digits)} (at ${hex0x(address)})`];
  if (field.why !== undefined) tooltip.push(field.why);
  if (extra !== '') tooltip.push(extra);
  return leafNode({
    id: `tss/${field.key}`,
    label: field.name,
    description: extra === '' ? hex0x(value, field.digits) : `${hex0x(value, field.digits)} · ${extra}`,
    tooltip: tooltip.join('\n'),
    value: String(value),
    contextWords: ['field'],
    address,
    copyText: hex0x(value, field.digits),
  });
}

export function buildTssNodes(tss: TssView): ViewNode[] {
  const header = leafNode({
    id: 'tss/header',
    label: `TR ${hex0x(tss.selector, 4)}`,
    description: `base ${hex8(tss.base)} · limit ${hex0x(tss.limit, 4)}`,
    tooltip: `The task register selects GDT[${hex0x(tss.selector, 4)}]: a KTSS at ${hex0x(tss.base)}, ${tss.limit + 1} bytes.`,
    value: `${tss.selector}|${tss.base}|${tss.limit}`,
    address: tss.base,
    copyText: hex0x(tss.base),
  });
  return [header, ...KTSS_GROUPS.map((group) =>
    groupNode(`tss-group/${group.id}`, group.title, '', group.title, group.fields.map((field) => fieldNode(tss, field)), group.expanded))];
}

export function tssSummary(tss: TssView): string {
  return `KTSS at ${hex0x(tss.base)} · Esp0 ${hex0x(tss.fields.esp0)}`;
}
