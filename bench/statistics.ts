// The bench's summaries: a median with the spread of the samples beside it, and the paired change
// between two interleaved configurations (the breakpoint cost) with a sign test, so a reader can tell a
// cost from noise on shared, noisy cores. Pure functions; test/unit/bench-helpers.test.ts checks them.

/** A figure as the bench reports it: the median of the samples and how far they spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Quartiles (linear interpolation between order statistics). */
  p25: number;
  p75: number;
  samples: number;
}

/** The q-quantile (0..1) by linear interpolation between the sorted samples (NaN when there are none). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function spreadOf(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    samples: values.length,
  };
}

/** How a paired change compares with the noise between the pairs. */
export type ChangeVerdict = 'within noise' | 'slower' | 'faster';

/** The cost of a configuration measured in pairs against a baseline: per-pair relative change of time. */
export interface PairedChange {
  /** Per pair, (time with - time without) / time without, in percent; positive = slower. */
  percent: Spread;
  /** Pairs in which the configuration was slower than its baseline. */
  slowerPairs: number;
  pairs: number;
  /** Two-sided sign test: the chance of pairs this lopsided if neither configuration were faster. */
  signTestP: number;
  /** 'within noise' unless the sign test puts the change beyond chance (p < 0.05); then its direction. */
  verdict: ChangeVerdict;
}

/**
 * Compares times (seconds, smaller is better) measured in interleaved pairs: baseline[i] and other[i]
 * ran back to back, so slow drift of the machine (another process, thermal state) cancels within a pair.
 */
export function pairedChange(baselineTimes: readonly number[], otherTimes: readonly number[]): PairedChange {
  if (baselineTimes.length !== otherTimes.length) throw new Error('pairedChange: the two series must have one sample per pair');
  const percents = baselineTimes.map((base, i) => ((otherTimes[i] - base) / base) * 100);
  const percent = spreadOf(percents);
  const slowerPairs = percents.filter((value) => value > 0).length;
  const fasterPairs = percents.filter((value) => value < 0).length;
  const signTestP = signTest(slowerPairs, fasterPairs);
  const verdict: ChangeVerdict = signTestP >= SIGNIFICANCE ? 'within noise' : slowerPairs > fasterPairs ? 'slower' : 'faster';
  return { percent, slowerPairs, pairs: percents.length, signTestP, verdict };
}

const SIGNIFICANCE = 0.05;

/** Two-sided exact sign test (ties left out): P(a split at least this uneven | each side equally likely). */
export function signTest(above: number, below: number): number {
  const n = above + below;
  if (n === 0) return 1;
  const smaller = Math.min(above, below);
  let tail = 0;
  let choose = 1; // C(n, k), built up from k = 0
  for (let k = 0; k <= smaller; k++) {
    tail += choose;
    choose = (choose * (n - k)) / (k + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

/** `123.4 (118.0-125.2)`: the median, then the range of the samples. */
export function formatSpread(spread: Spread, digits: number): string {
  return `${spread.median.toFixed(digits)} (${spread.min.toFixed(digits)}-${spread.max.toFixed(digits)})`;
}

/** `+1.2% [-0.8..+3.0] 6/9 slower p=0.51 within noise`: median change, interquartile range, sign test, verdict. */
export function formatPairedChange(change: PairedChange): string {
  const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
  const { percent } = change;
  return `${signed(percent.median)}% [${signed(percent.p25)}..${signed(percent.p75)}] ${change.slowerPairs}/${change.pairs} slower p=${change.signTestP.toFixed(2)} ${change.verdict}`;
}
