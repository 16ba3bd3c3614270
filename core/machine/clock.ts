// The programmable clock: raises a hardware interrupt (vector 0x30 by default) every `interval`
// instructions. A tick that comes while IF=0 stays pending (one at most, like a latched PIC line).

export const CLOCK_DEFAULT_VECTOR = 0x30;

export interface ClockState {
  interval: number;
  vector: number;
  nextTickAt: number;
  pending: boolean;
  ticks: number;
}

export class ClockDevice {
  /** Instructions between ticks; 0 turns the clock off. */
  interval: number;
  vector: number;
  nextTickAt: number;
  pending = false;
  ticks = 0;

  constructor(interval = 0, vector = CLOCK_DEFAULT_VECTOR, now = 0) {
    this.interval = interval;
    this.vector = vector;
    this.nextTickAt = interval > 0 ? now + interval : Number.POSITIVE_INFINITY;
  }

  get enabled(): boolean {
    return this.interval > 0;
  }

  program(interval: number, vector: number, now: number): void {
    this.interval = Math.max(0, Math.floor(interval));
    this.vector = vector & 0xFF;
    this.nextTickAt = this.interval > 0 ? now + this.interval : Number.POSITIVE_INFINITY;
    this.pending = false;
  }

  /** Instructions the CPU may run before the clock needs a look. */
  instructionsUntilTick(now: number): number {
    return this.nextTickAt - now;
  }

  /** Latches ticks that are due at `now`. */
  advanceTo(now: number): void {
    if (now >= this.nextTickAt) {
      this.pending = true;
      this.ticks++;
      this.nextTickAt = now + this.interval;
    }
  }

  /** While halted with IF=1 the next tick comes at once (nothing else can happen meanwhile). */
  skipToTick(now: number): void {
    if (!this.enabled) return;
    this.pending = true;
    this.ticks++;
    this.nextTickAt = now + this.interval;
  }

  save(): ClockState {
    return { interval: this.interval, vector: this.vector, nextTickAt: this.nextTickAt, pending: this.pending, ticks: this.ticks };
  }

  restore(state: ClockState): void {
    this.interval = state.interval;
    this.vector = state.vector;
    this.nextTickAt = state.nextTickAt;
    this.pending = state.pending;
    this.ticks = state.ticks;
  }
}
