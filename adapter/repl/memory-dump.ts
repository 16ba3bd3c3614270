// `db`, `dd` and `dps`: WinDbg's memory dumps, with ?? where guest memory is not mapped.
import type { Symbolizer } from '../../core/isa/syntax-common';
import { GuestMemoryReader, readGuestDword } from '../../core/nt/guest-memory';
import { hex2, hex8 } from './windbg-numbers';

/** WinDbg's defaults: db shows 0x80 bytes, dd 0x20 dwords, dps 0x20 pointers. */
export const DB_DEFAULT_LENGTH = 0x80;
export const DD_DEFAULT_COUNT = 0x20;
export const DPS_DEFAULT_COUNT = 0x20;
const BYTES_PER_LINE = 16;
const DWORDS_PER_LINE = 4;

function readByte(memory: GuestMemoryReader, address: number): number | undefined {
  return memory.readLinear(address >>> 0, 1)?.[0];
}

/** `db address Llength`: `7ffe0300  f0 e4 90 7c f4 e4 90 7c-00 00 00 00 00 00 00 00  ...|...|........`. */
export function formatBytes(memory: GuestMemoryReader, address: number, length: number = DB_DEFAULT_LENGTH): string {
  const lines: string[] = [];
  for (let lineStart = 0; lineStart < length; lineStart += BYTES_PER_LINE) {
    const count = Math.min(BYTES_PER_LINE, length - lineStart);
    let hexText = '';
    let ascii = '';
    for (let index = 0; index < count; index++) {
      const byte = readByte(memory, address + lineStart + index);
      // The dash marks the middle of a full line, between the 8th and 9th byte.
      if (index > 0) hexText += index === 8 ? '-' : ' ';
      hexText += byte === undefined ? '??' : hex2(byte);
      ascii += byte === undefined ? '?' : byte >= 0x20 && byte < 0x7F ? String.fromCharCode(byte) : '.';
    }
    lines.push(`${hex8(address + lineStart)}  ${hexText.padEnd(BYTES_PER_LINE * 3 - 1)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** `dd address Lcount`: four dwords a line. */
export function formatDwords(memory: GuestMemoryReader, address: number, count: number = DD_DEFAULT_COUNT): string {
  const lines: string[] = [];
  for (let lineStart = 0; lineStart < count; lineStart += DWORDS_PER_LINE) {
    const values: string[] = [];
    for (let index = lineStart; index < Math.min(count, lineStart + DWORDS_PER_LINE); index++) {
      const value = readGuestDword(memory, address + index * 4);
      values.push(value === undefined ? '????????' : hex8(value));
    }
    lines.push(`${hex8(address + lineStart * 4)}  ${values.join(' ')}`);
  }
  return lines.join('\n');
}

/** `dps address Lcount`: one pointer a line with the symbol it points at, `80501b8c  805999ac nt!NtAcceptConnectPort`. */
export function formatPointersWithSymbols(memory: GuestMemoryReader, address: number, count: number = DPS_DEFAULT_COUNT, symbolize?: Symbolizer): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    const slot = (address + index * 4) >>> 0;
    const value = readGuestDword(memory, slot);
    if (value === undefined) { lines.push(`${hex8(slot)}  ????????`); continue; }
    const symbol = symbolize?.(value);
    lines.push(symbol === undefined ? `${hex8(slot)}  ${hex8(value)}` : `${hex8(slot)}  ${hex8(value)} ${symbol}`);
  }
  return lines.join('\n');
}
