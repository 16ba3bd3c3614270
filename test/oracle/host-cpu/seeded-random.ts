// A small reproducible PRNG (sfc32) with draws biased toward the values where ALU flags change behaviour.
import { OperandSize, sizeMask } from './operand-locations';

const EDGE_VALUES: Record<OperandSize, readonly number[]> = {
  8: [0x00, 0x01, 0x02, 0x0f, 0x10, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff],
  16: [0x0000, 0x0001, 0x00ff, 0x0100, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff],
  32: [0x00000000, 0x00000001, 0x0000ffff, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff],
};

export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private counter = 1;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9 | 0;
    this.b = seed | 0;
    this.c = (seed ^ 0x85ebca6b) | 0;
    for (let i = 0; i < 16; i++) this.next(); // mix the seed through
  }

  /** One sfc32 step; state kept as int32 so V8 keeps it unboxed. */
  private next(): number {
    const result = (this.a + this.b + this.counter) | 0;
    this.counter = (this.counter + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + result) | 0;
    return result;
  }

  uint32(): number {
    return this.next() >>> 0;
  }

  /** Uniform integer in [0, bound). */
  below(bound: number): number {
    return Math.floor((this.uint32() / 0x100000000) * bound);
  }

  chance(probability: number): boolean {
    return this.uint32() / 0x100000000 < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** A value of `size` bits: an edge value, a near-edge value, a single bit, or uniform. */
  operand(size: OperandSize): number {
    const roll = this.below(8);
    const mask = sizeMask(size);
    if (roll <= 2) return this.pick(EDGE_VALUES[size]) >>> 0;
    if (roll === 3) return (this.pick(EDGE_VALUES[size]) + this.below(5) - 2) & mask;
    if (roll === 4) return (1 << this.below(size)) & mask;
    return (this.uint32() & mask) >>> 0;
  }

  /** A byte that looks like packed BCD most of the time (digits 0-9), sometimes with an invalid nibble. */
  bcdByte(): number {
    if (this.chance(0.35)) return this.below(256);
    const high = this.chance(0.85) ? this.below(10) : this.below(16);
    const low = this.chance(0.8) ? this.below(10) : this.pick([0x9, 0xa, 0xf, this.below(16)]);
    return (high << 4) | low;
  }

  /** A shift or rotate count: the boundaries of the 5-bit mask, the operand sizes and the rcl/rcr moduli. */
  shiftCount(): number {
    if (this.chance(0.25)) return this.below(256);
    return this.pick([0, 1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 18, 24, 31, 32, 33, 63, 64, 65, 127, 128, 255]);
  }
}
