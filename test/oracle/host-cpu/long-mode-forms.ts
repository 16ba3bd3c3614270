// Which forms a 64-bit host may run in long mode in place of 32-bit code. A form qualifies only when NASM
// accepts its text under `bits 64` and ndisasm decodes the long-mode bytes to the same instructions as the
// 32-bit bytes (so `inc eax`, FF C0 there, passes; a form whose text meant another operation would not).
// For these forms the low 32 bits of results and the flags do not depend on the mode.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AluVariant, displayText } from './variants';

/** Per variant index: why the form must not run in long mode. Forms absent from the map may. */
export type LongModeRefusals = Map<number, string>;

type ListingMode = 32 | 64;

/** One form's text between two labels, after a header of (start, end) offsets, so the bytes can be cut apart. */
interface EncodingListing {
  readonly source: string;
  /** Source line number (1-based) to the variant whose text it holds. */
  readonly variantOfLine: Map<number, AluVariant>;
  readonly headerBytes: number;
}

function encodingListing(variants: readonly AluVariant[], mode: ListingMode, omitted: ReadonlySet<number>): EncodingListing {
  const lines = [`bits ${mode}`, `dd ${variants.length}`];
  for (const variant of variants) lines.push(`dd f${variant.index}_start - $$, f${variant.index}_end - $$`);
  const variantOfLine = new Map<number, AluVariant>();
  for (const variant of variants) {
    lines.push(`f${variant.index}_start:`);
    if (!omitted.has(variant.index)) {
      for (const textLine of variant.text.split('\n')) {
        lines.push(`  ${textLine.trim()}`);
        variantOfLine.set(lines.length, variant);
      }
    }
    lines.push(`f${variant.index}_end:`);
  }
  return { source: lines.join('\n') + '\n', variantOfLine, headerBytes: 4 + variants.length * 8 };
}

interface AssembledListing {
  readonly bytes?: Buffer;
  /** NASM's error lines (input.asm:LINE: error: MESSAGE). */
  readonly errors: readonly { line: number; message: string }[];
}

function assembleListing(nasm: string, directory: string, listing: EncodingListing): AssembledListing {
  const input = path.join(directory, 'listing.asm');
  const output = path.join(directory, 'listing.bin');
  fs.writeFileSync(input, listing.source);
  try {
    execFileSync(nasm, ['-f', 'bin', '-o', output, input], { stdio: ['ignore', 'pipe', 'pipe'] });
    return { bytes: fs.readFileSync(output), errors: [] };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message;
    const errors = [...stderr.matchAll(/^.*?:(\d+): error: (.*)$/gm)].map((match) => ({ line: Number(match[1]), message: match[2] }));
    if (errors.length === 0) throw new Error(`nasm failed without an error line: ${stderr}`);
    return { errors };
  }
}

/** ndisasm's text for each form's bytes, keyed by variant index (empty for omitted forms). */
function disassembleListing(ndisasm: string, directory: string, listing: EncodingListing, bytes: Buffer, mode: ListingMode, variants: readonly AluVariant[]): Map<number, string[]> {
  const file = path.join(directory, `listing${mode}.bin`);
  fs.writeFileSync(file, bytes);
  const text = execFileSync(ndisasm, ['-b', String(mode), '-e', String(listing.headerBytes), '-o', String(listing.headerBytes), file], { maxBuffer: 1 << 28 }).toString();
  const instructions: { offset: number; text: string }[] = [];
  for (const line of text.split('\n')) {
    const main = /^([0-9A-F]{8})\s+[0-9A-F]+\s+(.*)$/.exec(line);
    if (main) instructions.push({ offset: parseInt(main[1], 16), text: main[2].trim() });
    else if (line.trim() !== '' && !/^\s+-[0-9A-F]+$/.test(line)) throw new Error(`unexpected ndisasm line: ${line}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const byVariant = new Map<number, string[]>();
  variants.forEach((variant, position) => {
    const start = view.getUint32(4 + position * 8, true);
    const end = view.getUint32(8 + position * 8, true);
    const inside = instructions.filter((instruction) => instruction.offset >= start && instruction.offset < end);
    // a form's first instruction must start at its label, or ndisasm lost the instruction boundaries
    if (start !== end && inside[0]?.offset !== start) throw new Error(`ndisasm -b ${mode} lost the instruction boundary of '${displayText(variant)}'`);
    byVariant.set(variant.index, inside.map((instruction) => instruction.text));
  });
  return byVariant;
}

/** Checks every form once (NASM twice for long mode, once for 32-bit, ndisasm once per mode). */
export function longModeRefusals(nasm: string, ndisasm: string, variants: readonly AluVariant[]): LongModeRefusals {
  const refusals: LongModeRefusals = new Map();
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-longmode-'));
  try {
    const first = encodingListing(variants, 64, new Set());
    const attempt = assembleListing(nasm, directory, first);
    for (const { line, message } of attempt.errors) {
      const variant = first.variantOfLine.get(line);
      if (!variant) throw new Error(`nasm (bits 64) failed outside any form's text, line ${line}: ${message}`);
      refusals.set(variant.index, `NASM refuses it in 64-bit mode (${message})`);
    }
    const longListing = encodingListing(variants, 64, new Set(refusals.keys()));
    const longBytes = attempt.bytes ?? assembleListing(nasm, directory, longListing).bytes;
    if (!longBytes) throw new Error('nasm (bits 64) still fails with the refused forms left out');
    const legacyListing = encodingListing(variants, 32, new Set());
    const legacyBytes = assembleListing(nasm, directory, legacyListing).bytes;
    if (!legacyBytes) throw new Error('nasm (bits 32) refuses a form the emulator image holds');

    const longText = disassembleListing(ndisasm, directory, longListing, longBytes, 64, variants);
    const legacyText = disassembleListing(ndisasm, directory, legacyListing, legacyBytes, 32, variants);
    for (const variant of variants) {
      if (refusals.has(variant.index)) continue;
      const inLongMode = (longText.get(variant.index) ?? []).join('; ');
      const inLegacyMode = (legacyText.get(variant.index) ?? []).join('; ');
      if (inLongMode !== inLegacyMode) refusals.set(variant.index, `decodes as '${inLongMode}' in 64-bit mode but '${inLegacyMode}' in 32-bit mode`);
    }
    return refusals;
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
