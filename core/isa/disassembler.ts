// The disassembler: bytes -> lines of text in NASM syntax (re-assemblable) or in the MASM style WinDbg
// users read. Bytes the table does not cover become `db` lines that say why; nothing is guessed.

import type { DecodedInstruction, DecodeFailure } from './decoded';
import { decodeBytes } from './decoder';
import { formatNasmInstruction } from './nasm-syntax';
import type { Symbolizer } from './syntax-common';
import { formatWindbgInstruction, masmNumber } from './windbg-syntax';

export type { Symbolizer } from './syntax-common';

export type DisassemblyStyle = 'nasm' | 'windbg';

export interface DisassemblyOptions {
  style: DisassemblyStyle;
  /** Default operand/address size of the code (CS.D); 32 unless told. */
  bits?: 16 | 32;
  symbolize?: Symbolizer;
}

export interface DisassemblyLine {
  address: number;
  /** Bytes the line covers, as lower-case hex without spaces ("8b4304"). */
  bytesHex: string;
  length: number;
  text: string;
  /** The decoded instruction, absent for a line that could not be decoded. */
  instruction?: DecodedInstruction;
  /** Why the bytes could not be decoded, absent for an instruction. */
  failure?: DecodeFailure;
}

/** Formats one decoded instruction in the chosen style. */
export function formatInstruction(instruction: DecodedInstruction, options: DisassemblyOptions): string {
  if (options.style === 'windbg') return formatWindbgInstruction(instruction, { symbolize: options.symbolize });
  return formatNasmInstruction(instruction, { bits: options.bits ?? 32, symbolize: options.symbolize });
}

/** A `db` line for bytes that are not an instruction, with the decoder's reason as a comment. */
export function formatUndecodable(bytes: readonly number[], failure: DecodeFailure, style: DisassemblyStyle): string {
  const values = bytes.map((byte) => (style === 'windbg' ? masmNumber(byte, 2) : '0x' + byte.toString(16).padStart(2, '0')));
  const directive = style === 'windbg' ? 'db      ' : 'db ';
  return `${directive}${values.join(',')} ; ${failure.message}`;
}

function toHex(bytes: Uint8Array, start: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += bytes[start + i].toString(16).padStart(2, '0');
  return text;
}

/**
 * Disassembles up to `count` instructions from `bytes`, the first at `address`. Undecodable bytes become a
 * `db` line with the reason (the next line starts after them); a truncated instruction at the end takes the rest.
 */
export function disassembleRange(bytes: Uint8Array, address: number, count: number, options: DisassemblyOptions): DisassemblyLine[] {
  const bits = options.bits ?? 32;
  const lines: DisassemblyLine[] = [];
  let offset = 0;
  while (lines.length < count && offset < bytes.length) {
    const lineAddress = (address + offset) >>> 0;
    const result = decodeBytes(bytes, offset, lineAddress, bits);
    if (result.ok) {
      const instruction = result.instruction;
      lines.push({
        address: lineAddress,
        bytesHex: toHex(bytes, offset, instruction.length),
        length: instruction.length,
        text: formatInstruction(instruction, options),
        instruction,
      });
      offset += instruction.length;
      continue;
    }
    // A fetch fault here means the instruction runs past the end of the bytes given: show what is there.
    // Otherwise the line covers the bytes the decoder looked at (prefixes, opcode, ModRM).
    const remaining = bytes.length - offset;
    const length = result.reason === 'fetch-fault' ? remaining : Math.max(1, Math.min(result.length, remaining));
    const covered = Array.from(bytes.subarray(offset, offset + length));
    const failure: DecodeFailure = result.reason === 'fetch-fault'
      ? { ...result, message: 'truncated: the instruction continues past the end of the bytes given' }
      : result;
    lines.push({
      address: lineAddress,
      bytesHex: toHex(bytes, offset, length),
      length,
      text: formatUndecodable(covered, failure, options.style),
      failure,
    });
    offset += length;
  }
  return lines;
}

/**
 * One line as WinDbg's `u` prints it (`7c90d9b0 b8b7000000      mov     eax,0B7h`), or in NASM style as an
 * `address: bytes  text` listing line.
 */
export function formatDisassemblyLine(line: DisassemblyLine, style: DisassemblyStyle): string {
  const address = line.address.toString(16).padStart(8, '0');
  return style === 'windbg' ? `${address} ${line.bytesHex.padEnd(15)} ${line.text}` : `${address}: ${line.bytesHex.padEnd(16)} ${line.text}`;
}
