// Field tables of NT structures as WinDbg's `dt` lists them: one table drives the decoder, the
// annotations of the kernel stack and the REPL's `dt` text, so names and offsets agree everywhere.
import { DecodeResult, GuestMemoryReader, byteAt, decodeFailure, decoded, dwordAt, hex32, wordAt } from '../guest-memory';

export interface StructureField {
  offset: number;
  /** Exactly as `dt` prints it: "HardwareSegSs", "IoMapBase". */
  name: string;
  /** WinDbg's type text: "Uint4B", "Uint2B", "UChar", "Char", "Ptr32 _KTRAP_FRAME", "[4] Uint4B". */
  typeName: string;
  /** Bytes of one element; 0 for embedded structures shown by type only. */
  size: 0 | 1 | 2 | 4;
  /** Elements of an array field (1 for a scalar). */
  count: number;
}

export interface StructureLayout {
  /** As `dt` names it, e.g. "_KTRAP_FRAME". */
  name: string;
  /** sizeof, in bytes. */
  size: number;
  fields: readonly StructureField[];
}

export interface DecodedField {
  field: StructureField;
  /** The first element's value (arrays show their first element, as `dt` does); null for embedded structures. */
  value: number | null;
}

export interface DecodedStructure {
  layout: StructureLayout;
  address: number;
  fields: DecodedField[];
}

export function scalar(offset: number, name: string, typeName: string, size: 1 | 2 | 4): StructureField {
  return { offset, name, typeName, size, count: 1 };
}

export function array(offset: number, name: string, elementType: string, size: 1 | 2 | 4, count: number): StructureField {
  return { offset, name, typeName: `[${count}] ${elementType}`, size, count };
}

export function embedded(offset: number, name: string, typeName: string): StructureField {
  return { offset, name, typeName, size: 0, count: 1 };
}

/** The bytes a decode must read: up to the end of the last field with a value. */
export function decodedExtent(layout: StructureLayout): number {
  return layout.fields.reduce((end, field) => (field.size === 0 ? end : Math.max(end, field.offset + field.size * field.count)), 0);
}

/** Reads every field of `layout` from `bytes` (which start at the structure's first byte). */
export function decodeStructure(layout: StructureLayout, address: number, bytes: Uint8Array): DecodedStructure {
  const fields = layout.fields.map((field): DecodedField => {
    if (field.size === 0 || field.offset + field.size > bytes.length) return { field, value: null };
    const value = field.size === 1 ? byteAt(bytes, field.offset) : field.size === 2 ? wordAt(bytes, field.offset) : dwordAt(bytes, field.offset);
    return { field, value };
  });
  return { layout, address: address >>> 0, fields };
}

/** The value of the named field, or undefined when it has none. */
export function fieldValue(structure: DecodedStructure, name: string): number | undefined {
  return structure.fields.find((entry) => entry.field.name === name)?.value ?? undefined;
}

/** The field whose bytes contain `offset`, for naming stack slots inside a structure. */
export function fieldAtOffset(layout: StructureLayout, offset: number): StructureField | undefined {
  return layout.fields.find((field) => offset >= field.offset && offset < field.offset + Math.max(1, field.size * field.count));
}

/** Reads and decodes the structure at `address`; an error value when its bytes are not all mapped. */
export function decodeStructureAt(memory: GuestMemoryReader, layout: StructureLayout, address: number): DecodeResult<DecodedStructure> {
  const bytes = memory.readLinear(address >>> 0, decodedExtent(layout));
  if (bytes === undefined) return decodeFailure(`the ${layout.name} at ${hex32(address)} is not mapped`);
  return decoded(decodeStructure(layout, address, bytes));
}
