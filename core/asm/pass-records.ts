// What a pass keeps per line for the line table and the listing. Trial passes keep it too, and most of
// them are thrown away, so it goes into flat per-line arrays as the pass runs; the LineTableEntry
// objects and ListingRecords are made only for the pass that is kept.
import type { LineTableEntry } from './line-table';
import type { ListingRecord } from './listing';
import type { PreprocessedLine } from './preprocessor';

const HAS_LISTING = 1;
const HAS_LINE_ENTRY = 2;
const IS_INSTRUCTION = 4;

export class PassRecords {
  private readonly flags: Uint8Array;
  private readonly addresses: Float64Array;
  private readonly entrySizes: Float64Array;
  private readonly bytes: (readonly number[] | undefined)[];
  /** NaN where the line has none. */
  private readonly reserved: Float64Array;
  private readonly repeats: Float64Array;
  private readonly equValues: Float64Array;

  constructor(lineCount: number) {
    this.flags = new Uint8Array(lineCount);
    this.addresses = new Float64Array(lineCount);
    this.entrySizes = new Float64Array(lineCount);
    this.bytes = new Array<readonly number[] | undefined>(lineCount).fill(undefined);
    this.reserved = new Float64Array(lineCount).fill(NaN);
    this.repeats = new Float64Array(lineCount).fill(NaN);
    this.equValues = new Float64Array(lineCount).fill(NaN);
  }

  /** An `equ` line: its value, shown in the listing. */
  recordEqu(lineIndex: number, value: number): void {
    this.flags[lineIndex] |= HAS_LISTING;
    this.addresses[lineIndex] = 0;
    this.bytes[lineIndex] = undefined;
    this.equValues[lineIndex] = value;
  }

  /** A line that produced bytes or reserved space at `address` (`bytes`: one repetition). */
  recordListing(lineIndex: number, address: number, bytes: readonly number[] | undefined, reserved: number | undefined, repeat: number | undefined): void {
    this.flags[lineIndex] |= HAS_LISTING;
    this.addresses[lineIndex] = address;
    this.bytes[lineIndex] = bytes;
    this.reserved[lineIndex] = reserved ?? NaN;
    this.repeats[lineIndex] = repeat ?? NaN;
  }

  /** The line's code or data occupies `size` bytes from its listing address. */
  recordLineEntry(lineIndex: number, size: number, kind: LineTableEntry['kind']): void {
    this.flags[lineIndex] |= HAS_LINE_ENTRY | (kind === 'instruction' ? IS_INSTRUCTION : 0);
    this.entrySizes[lineIndex] = size;
  }

  /** The line table's entries in line order. */
  lineEntries(lines: readonly { line: PreprocessedLine }[]): LineTableEntry[] {
    const entries: LineTableEntry[] = [];
    for (let index = 0; index < this.flags.length; index++) {
      const flags = this.flags[index];
      if ((flags & HAS_LINE_ENTRY) === 0) continue;
      const { file, line } = lines[index].line;
      entries.push({ address: this.addresses[index], size: this.entrySizes[index], file, line, kind: (flags & IS_INSTRUCTION) !== 0 ? 'instruction' : 'data' });
    }
    return entries;
  }

  /** The listing's records by line index. */
  listing(): Map<number, ListingRecord> {
    const records = new Map<number, ListingRecord>();
    for (let index = 0; index < this.flags.length; index++) {
      if ((this.flags[index] & HAS_LISTING) === 0) continue;
      const record: ListingRecord = { address: this.addresses[index], bytes: this.bytes[index] ?? [] };
      if (!Number.isNaN(this.equValues[index])) record.equValue = this.equValues[index];
      if (!Number.isNaN(this.reserved[index])) record.reserved = this.reserved[index];
      if (!Number.isNaN(this.repeats[index])) record.repeat = this.repeats[index];
      records.set(index, record);
    }
    return records;
  }
}
