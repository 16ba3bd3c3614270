// Segment descriptors (Intel SDM vol. 3, 3.4.5): limit 15..0 | base 23..0 | access | flags+limit 19..16 | base 31..24.
import { DecodeResult, GuestMemoryReader, byteAt, decodeFailure, decoded, hex32, wordAt } from '../guest-memory';
import { kgdtName } from './gdt-selectors';
import type { GdtEntryView, GdtView, SegmentDescriptorKind } from './shapes';

export const SEGMENT_DESCRIPTOR_SIZE = 8;
/** The GDT limit field is 16 bits, so at most 8192 descriptors. */
export const GDT_MAX_DESCRIPTORS = 8192;

const SYSTEM_DESCRIPTOR_TYPES: ReadonlyMap<number, { type: string; kind: SegmentDescriptorKind }> = new Map([
  [0x1, { type: 'TSS16 Avl', kind: 'tss' }],
  [0x2, { type: 'LDT', kind: 'ldt' }],
  [0x3, { type: 'TSS16 Busy', kind: 'tss' }],
  [0x4, { type: 'CallGate16', kind: 'gate' }],
  [0x5, { type: 'TaskGate', kind: 'gate' }],
  [0x6, { type: 'Int Gate16', kind: 'gate' }],
  [0x7, { type: 'TrapGate16', kind: 'gate' }],
  [0x9, { type: 'TSS32 Avl', kind: 'tss' }],
  [0xB, { type: 'TSS32 Busy', kind: 'tss' }],
  [0xC, { type: 'CallGate32', kind: 'gate' }],
  [0xE, { type: 'Int Gate32', kind: 'gate' }],
  [0xF, { type: 'TrapGate32', kind: 'gate' }],
]);

/** WinDbg `dg` wording for code and data segments. */
function codeOrDataType(typeField: number): { type: string; kind: SegmentDescriptorKind } {
  const accessed = (typeField & 1) !== 0 ? ' Ac' : '';
  if ((typeField & 0x8) !== 0) {
    const readable = (typeField & 0x2) !== 0 ? 'RE' : 'EO';
    const conforming = (typeField & 0x4) !== 0 ? ' C' : '';
    return { type: `Code ${readable}${conforming}${accessed}`, kind: 'code' };
  }
  const writable = (typeField & 0x2) !== 0 ? 'RW' : 'RO';
  const expandDown = (typeField & 0x4) !== 0 ? ' ED' : '';
  return { type: `Data ${writable}${expandDown}${accessed}`, kind: 'data' };
}

/** Decodes one descriptor at `selector` (index * 8) of a descriptor table. */
export function decodeSegmentDescriptor(selector: number, bytes: Uint8Array): GdtEntryView {
  const access = byteAt(bytes, 5);
  const flags = byteAt(bytes, 6);
  const typeField = access & 0xF;
  const system = (access & 0x10) === 0;
  const granularity4K = (flags & 0x80) !== 0;
  const rawLimit = (wordAt(bytes, 0) | ((flags & 0xF) << 16)) >>> 0;
  const limit = granularity4K ? ((rawLimit << 12) | 0xFFF) >>> 0 : rawLimit;
  const base = (wordAt(bytes, 2) | (byteAt(bytes, 4) << 16) | (byteAt(bytes, 7) << 24)) >>> 0;
  const isNull = bytes.every((byte) => byte === 0);
  let described: { type: string; kind: SegmentDescriptorKind };
  if (isNull) described = { type: 'Null', kind: 'null' };
  else if (system) described = SYSTEM_DESCRIPTOR_TYPES.get(typeField) ?? { type: 'Reserved', kind: 'reserved' };
  else described = codeOrDataType(typeField);
  return {
    selector,
    base,
    limit,
    type: described.type,
    kind: described.kind,
    dpl: (access >>> 5) & 3,
    present: (access & 0x80) !== 0,
    name: kgdtName(selector),
    defaultBig: (flags & 0x40) !== 0,
    granularity4K,
    accessed: !system && (typeField & 1) !== 0,
    rawType: access & 0x1F,
    system,
  };
}

/** Decodes the GDT at `base` with GDTR.limit `limit`. */
export function decodeGdt(memory: GuestMemoryReader, base: number, limit: number): DecodeResult<GdtView> {
  const tableLimit = limit & 0xFFFF;
  const count = Math.min(GDT_MAX_DESCRIPTORS, Math.floor((tableLimit + 1) / SEGMENT_DESCRIPTOR_SIZE));
  const bytes = memory.readLinear(base >>> 0, count * SEGMENT_DESCRIPTOR_SIZE);
  if (bytes === undefined) return decodeFailure(`the GDT at ${hex32(base)} (limit 0x${tableLimit.toString(16)}) is not mapped`);
  const entries: GdtEntryView[] = [];
  for (let index = 0; index < count; index++) {
    const offset = index * SEGMENT_DESCRIPTOR_SIZE;
    entries.push(decodeSegmentDescriptor(offset, bytes.subarray(offset, offset + SEGMENT_DESCRIPTOR_SIZE)));
  }
  return decoded({ base: base >>> 0, limit: tableLimit, entries });
}

/** The descriptor a selector names in the GDT, or why it cannot be read (LDT selector, past the limit). */
export function lookupGdtDescriptor(memory: GuestMemoryReader, gdtBase: number, gdtLimit: number, selector: number): DecodeResult<GdtEntryView> {
  if ((selector & 4) !== 0) return decodeFailure(`selector 0x${selector.toString(16)} refers to the LDT, not the GDT`);
  const offset = selector & 0xFFF8;
  if (offset + 7 > (gdtLimit & 0xFFFF)) return decodeFailure(`selector 0x${selector.toString(16)} lies past the GDT limit 0x${(gdtLimit & 0xFFFF).toString(16)}`);
  const bytes = memory.readLinear((gdtBase + offset) >>> 0, SEGMENT_DESCRIPTOR_SIZE);
  if (bytes === undefined) return decodeFailure(`the descriptor of selector 0x${selector.toString(16)} at ${hex32(gdtBase + offset)} is not mapped`);
  return decoded(decodeSegmentDescriptor(offset, bytes));
}
