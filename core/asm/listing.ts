// A listing in the layout of `nasm -l`: line number, address, bytes in hex (nine per row, `-` when the
// line continues), a `<n>` mark for lines from macros and included files, and the source text.
import type { PreprocessedLine } from './preprocessor';

export interface ListingRecord {
  /** Address of the line's first byte (an absolute address, not nasm's section offset). */
  address: number;
  /** Bytes of one repetition. */
  bytes: readonly number[];
  /** Bytes reserved without contents (resb, alignb). */
  reserved?: number;
  /** `times` count above 1. */
  repeat?: number;
  /** Value of an equ. */
  equValue?: number;
}

const BYTES_PER_ROW = 9;

function hex(value: number, digits: number): string {
  return (value >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}

export function formatListing(lines: readonly PreprocessedLine[], records: ReadonlyMap<number, ListingRecord>): string {
  const output: string[] = [];
  lines.forEach((line, index) => {
    const number = String(line.listingLine).padStart(6);
    const marker = line.listingDepth > 0 ? `<${line.listingDepth}>` : '   ';
    const record = records.get(index);
    if (!record) {
      output.push(`${number} ${' '.repeat(8)} ${' '.repeat(20)}${marker} ${line.listingText}`.trimEnd());
      return;
    }
    const address = hex(record.address, 8);
    if (record.equValue !== undefined) {
      output.push(`${number} ${' '.repeat(8)} ${`=${hex(record.equValue, 8)}`.padEnd(20)}${marker} ${line.listingText}`.trimEnd());
      return;
    }
    if (record.reserved !== undefined) {
      const shown = record.reserved <= 8 ? '??'.repeat(record.reserved) : `<res ${record.reserved.toString(16).toUpperCase()}h>`;
      output.push(`${number} ${address} ${shown.padEnd(20)}${marker} ${line.listingText}`.trimEnd());
      return;
    }
    const hexBytes = record.bytes.map((byte) => hex(byte, 2));
    if (record.repeat !== undefined) {
      const shown = `${hexBytes.slice(0, BYTES_PER_ROW).join('')}<rep ${record.repeat.toString(16).toUpperCase()}h>`;
      output.push(`${number} ${address} ${shown.padEnd(20)}${marker} ${line.listingText}`.trimEnd());
      return;
    }
    for (let row = 0; row * BYTES_PER_ROW < Math.max(hexBytes.length, 1); row++) {
      const chunk = hexBytes.slice(row * BYTES_PER_ROW, (row + 1) * BYTES_PER_ROW).join('');
      const continues = (row + 1) * BYTES_PER_ROW < hexBytes.length;
      const field = `${chunk}${continues ? '-' : ''}`;
      const rowAddress = hex(record.address + row * BYTES_PER_ROW, 8);
      output.push(row === 0 ? `${number} ${rowAddress} ${field.padEnd(20)}${marker} ${line.listingText}`.trimEnd() : `${number} ${rowAddress} ${field}`);
    }
  });
  return output.length > 0 ? `${output.join('\n')}\n` : '';
}
