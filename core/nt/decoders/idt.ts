// IDT gate descriptors (Intel SDM vol. 3, 6.11): offset 15..0 | selector | attributes | offset 31..16.
import type { Symbolizer } from '../../isa/syntax-common';
import { DecodeResult, GuestMemoryReader, decodeFailure, decoded, hex32, wordAt } from '../guest-memory';
import type { IdtCategory, IdtEntryView, IdtGateType, IdtView } from './shapes';

export const IDT_GATE_SIZE = 8;
export const IDT_VECTOR_COUNT = 256;

/** Descriptor type field values of the gates an IDT may hold. */
export const GATE_TYPE_TASK = 0x5;
export const GATE_TYPE_INTERRUPT_16 = 0x6;
export const GATE_TYPE_TRAP_16 = 0x7;
export const GATE_TYPE_INTERRUPT_32 = 0xE;
export const GATE_TYPE_TRAP_32 = 0xF;

/** The seeds' layout of XP's IDT: exceptions, Intel-reserved, free, the system five, hardware. */
export const IDT_LAST_EXCEPTION = 0x13;
export const IDT_LAST_RESERVED = 0x1F;
export const IDT_LAST_FREE = 0x29;
export const IDT_FIRST_SYSTEM = 0x2A;
export const IDT_LAST_SYSTEM = 0x2F;
export const IDT_FIRST_HARDWARE = 0x30;

export function idtCategory(vector: number): IdtCategory {
  if (vector <= IDT_LAST_EXCEPTION) return 'exception';
  if (vector <= IDT_LAST_RESERVED) return 'reserved';
  if (vector <= IDT_LAST_FREE) return 'free';
  if (vector <= IDT_LAST_SYSTEM) return 'system';
  return 'hardware';
}

function gateKind(rawType: number, isSystem: boolean): { type: IdtGateType; gateBits: 0 | 16 | 32 } {
  if (!isSystem) return { type: 'none', gateBits: 0 };
  switch (rawType) {
    case GATE_TYPE_TASK: return { type: 'task', gateBits: 32 };
    case GATE_TYPE_INTERRUPT_16: return { type: 'interrupt', gateBits: 16 };
    case GATE_TYPE_TRAP_16: return { type: 'trap', gateBits: 16 };
    case GATE_TYPE_INTERRUPT_32: return { type: 'interrupt', gateBits: 32 };
    case GATE_TYPE_TRAP_32: return { type: 'trap', gateBits: 32 };
    default: return { type: 'none', gateBits: 0 };
  }
}

/** Decodes one 8-byte gate; `symbolize` names the handler (task gates have no offset to name). */
export function decodeIdtGate(vector: number, bytes: Uint8Array, symbolize?: Symbolizer): IdtEntryView {
  const attributes = wordAt(bytes, 4);
  const rawType = (attributes >>> 8) & 0xF;
  const isSystem = (attributes & 0x1000) === 0;
  const { type, gateBits } = gateKind(rawType, isSystem);
  const present = (attributes & 0x8000) !== 0;
  // A task gate's offset words are reserved: the handler is the TSS its selector names.
  const offset = type === 'task' ? 0 : gateBits === 16 ? wordAt(bytes, 0) : ((wordAt(bytes, 0) | (wordAt(bytes, 6) << 16)) >>> 0);
  const symbol = type === 'interrupt' || type === 'trap' ? symbolize?.(offset) ?? null : null;
  return {
    vector, present, type, gateBits, rawType,
    selector: wordAt(bytes, 2),
    offset,
    dpl: (attributes >>> 13) & 3,
    symbol,
    category: idtCategory(vector),
  };
}

/** Decodes the IDT at `base` with IDTR.limit `limit` (entries past the limit do not exist). */
export function decodeIdt(memory: GuestMemoryReader, base: number, limit: number, symbolize?: Symbolizer): DecodeResult<IdtView> {
  const entryCount = Math.min(IDT_VECTOR_COUNT, Math.floor(((limit & 0xFFFF) + 1) / IDT_GATE_SIZE));
  const bytes = memory.readLinear(base >>> 0, entryCount * IDT_GATE_SIZE);
  if (bytes === undefined) return decodeFailure(`the IDT at ${hex32(base)} (limit 0x${(limit & 0xFFFF).toString(16)}) is not mapped`);
  const entries: IdtEntryView[] = [];
  for (let vector = 0; vector < entryCount; vector++) {
    entries.push(decodeIdtGate(vector, bytes.subarray(vector * IDT_GATE_SIZE, (vector + 1) * IDT_GATE_SIZE), symbolize));
  }
  return decoded({ base: base >>> 0, limit: limit & 0xFFFF, entries });
}

