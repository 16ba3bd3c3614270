// `dt _KTRAP_FRAME addr`, `dt _KTSS`: one line per field in WinDbg's layout, `   +0x068 Eip              : 0x7c90e4f4`.
import type { DecodedField, DecodedStructure, StructureField, StructureLayout } from '../../core/nt/decoders/structure-layout';

const NAME_WIDTH = 16;

function printableCharacter(value: number): string {
  return value >= 0x20 && value < 0x7F ? String.fromCharCode(value) : '';
}

/** A field's value the way `dt` shows its type: hex for unsigned, decimal for Char, (null) for null pointers. */
export function formatFieldValue(field: StructureField, value: number | null): string {
  if (value === null) return field.typeName;
  if (field.count > 1) return `[${field.count}] 0x${value.toString(16)}`;
  if (field.typeName.startsWith('Ptr32 ')) return value === 0 ? '(null)' : `0x${value.toString(16).padStart(8, '0')} ${field.typeName.slice(6)}`;
  if (field.typeName === 'Char') {
    const signed = value >= 0x80 ? value - 0x100 : value;
    return `${signed} '${printableCharacter(value)}'`;
  }
  if (field.typeName === 'UChar') return `0x${value.toString(16)} '${printableCharacter(value)}'`;
  return `0x${value.toString(16)}`;
}

function fieldLine(field: StructureField, text: string): string {
  return `   +0x${field.offset.toString(16).padStart(3, '0')} ${field.name.padEnd(NAME_WIDTH)} : ${text}`;
}

/** `dt module!_TYPE address`: the decoded values. */
export function formatStructure(structure: DecodedStructure, moduleName = 'nt'): string {
  const lines = [`${moduleName}!${structure.layout.name}`];
  for (const { field, value } of structure.fields as DecodedField[]) lines.push(fieldLine(field, formatFieldValue(field, value)));
  return lines.join('\n');
}

/** `dt module!_TYPE` without an address: offsets, names and types. */
export function formatStructureLayout(layout: StructureLayout, moduleName = 'nt'): string {
  return [`${moduleName}!${layout.name}`, ...layout.fields.map((field) => fieldLine(field, field.typeName))].join('\n');
}
