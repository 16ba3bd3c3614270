// Disassembly of guest memory for the Disassembly view and `u`: symbolised, with source lines, and
// walking backwards from a known instruction start (line tables) so earlier instructions line up.
import { disassembleRange, formatDisassemblyLine, type DisassemblyLine } from '../../core/isa/disassembler';
import type { Machine } from '../../core/machine/machine';
import { readLinearBytes } from './machine-access';
import type { SourceLocation, SymbolIndex } from './symbol-index';

export interface DisassembledInstruction {
  address: number;
  /** Undefined where memory is not mapped. */
  line: DisassemblyLine | undefined;
  /** The symbol when an instruction starts one (`nt!KiSystemService`). */
  symbolStart: string | undefined;
  source: SourceLocation | undefined;
}

const MAX_INSTRUCTION_LENGTH = 15;
/** How far back a walk looks for a known instruction start. */
const BACKWARD_WINDOW = 0x400;

export class Disassembler {
  constructor(private readonly machine: Machine, private readonly symbols: SymbolIndex) {}

  private readonly symbolize = (address: number): string | undefined => this.symbols.symbolize(address);

  /** One instruction at `address` (undefined line when unmapped). */
  at(address: number): DisassembledInstruction {
    const linear = address >>> 0;
    let bytes: Uint8Array | undefined;
    for (let length = MAX_INSTRUCTION_LENGTH; length >= 1 && bytes === undefined; length--) bytes = readLinearBytes(this.machine, linear, length);
    const [line] = bytes === undefined ? [undefined] : disassembleRange(bytes, linear, 1, { style: 'windbg', symbolize: this.symbolize });
    const name = this.symbols.symbolize(linear);
    return { address: linear, line, symbolStart: name !== undefined && !name.includes('+') ? name : undefined, source: this.symbols.lineOf(linear) };
  }

  /** `count` instructions from `address` onwards. */
  forward(address: number, count: number): DisassembledInstruction[] {
    const result: DisassembledInstruction[] = [];
    let next = address >>> 0;
    for (let index = 0; index < count; index++) {
      const instruction = this.at(next);
      result.push(instruction);
      next = (next + (instruction.line?.length ?? 1)) >>> 0;
    }
    return result;
  }

  /** Up to `count` instructions that end at or before `address`, nearest last. */
  backward(address: number, count: number): DisassembledInstruction[] {
    if (count <= 0) return [];
    const linear = address >>> 0;
    const window = Math.max(BACKWARD_WINDOW, count * MAX_INSTRUCTION_LENGTH);
    const known = this.symbols.instructionStartsBetween(Math.max(0, linear - window), linear);
    const result: DisassembledInstruction[] = [];
    if (known.length > 0) {
      let next = known[0];
      while (next < linear) {
        const instruction = this.at(next);
        result.push(instruction);
        next = (next + (instruction.line?.length ?? 1)) >>> 0;
        // resynchronise on the line table when a decode runs over a known start
        const resync = known.find((start) => start > instruction.address && start < next);
        if (resync !== undefined) next = resync;
      }
    }
    const kept = result.slice(-count);
    // Where no line table helps, fill with single bytes so the count stays exact.
    const padding: DisassembledInstruction[] = [];
    let first = kept[0]?.address ?? linear;
    while (padding.length + kept.length < count) {
      first = (first - 1) >>> 0;
      padding.unshift({ address: first, line: undefined, symbolStart: undefined, source: undefined });
    }
    return [...padding, ...kept];
  }

  /** WinDbg `u` text: `symbol:` headers where an instruction starts a symbol. */
  windbgLines(address: number, count: number): { lines: string[]; next: number } {
    const lines: string[] = [];
    let next = address >>> 0;
    for (const instruction of this.forward(address, count)) {
      const name = this.symbols.symbolize(instruction.address);
      if (name !== undefined && (instruction.symbolStart !== undefined || lines.length === 0)) lines.push(`${name}:`);
      lines.push(instruction.line === undefined ? `${instruction.address.toString(16).padStart(8, '0')} ??              ???` : formatDisassemblyLine(instruction.line, 'windbg'));
      next = (instruction.address + (instruction.line?.length ?? 1)) >>> 0;
    }
    return { lines, next };
  }
}
