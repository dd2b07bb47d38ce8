/** Order statistics and a seeded bootstrap for comparing repeated boots. */

/** Quantile with linear interpolation between order statistics (R's type 7, numpy's default). */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = s[lo] ?? NaN;
  const b = s[hi] ?? NaN;
  return a + (b - a) * (h - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  iqr: number;
}

export function summarize(values: readonly number[]): Summary {
  const q1 = quantile(values, 0.25);
  const q3 = quantile(values, 0.75);
  return {
    n: values.length,
    median: median(values),
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
    q1,
    q3,
    iqr: q3 - q1,
  };
}

/** mulberry32: a small, fast PRNG, so that the same samples and seed always give the same interval. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RatioInterval {
  ratio: number;
  low: number;
  high: number;
  /** The interval contains 1. */
  noDifference: boolean;
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided coverage, 0.95 by default. */
  level?: number;
}

export const BOOTSTRAP_DEFAULTS = { resamples: 2000, seed: 12, level: 0.95 } as const;

/**
 * Ratio of medians (variant / baseline) with a percentile bootstrap interval: both samples are
 * resampled independently with replacement. Resamples whose baseline median is 0 are dropped.
 */
export function bootstrapRatio(
  baseline: readonly number[],
  variant: readonly number[],
  o: BootstrapOptions = {},
): RatioInterval | undefined {
  const mb = median(baseline);
  const mv = median(variant);
  if (baseline.length === 0 || variant.length === 0 || mb === 0 || !Number.isFinite(mb) || !Number.isFinite(mv)) return undefined;
  const resamples = o.resamples ?? BOOTSTRAP_DEFAULTS.resamples;
  const level = o.level ?? BOOTSTRAP_DEFAULTS.level;
  const rnd = seededRandom(o.seed ?? BOOTSTRAP_DEFAULTS.seed);
  const draw = (xs: readonly number[]): number[] => xs.map(() => xs[Math.floor(rnd() * xs.length)] ?? NaN);
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const b = median(draw(baseline));
    const v = median(draw(variant));
    if (b !== 0) ratios.push(v / b);
  }
  const alpha = (1 - level) / 2;
  const low = quantile(ratios, alpha);
  const high = quantile(ratios, 1 - alpha);
  return { ratio: mv / mb, low, high, noDifference: low <= 1 && high >= 1 };
}

/** Below this many runs per variant the bootstrap interval says little (with 3 runs it has only a handful of values). */
export const MIN_RUNS = 5;
/** IQR / median above this: the metric is too noisy for a ratio to be read closely. */
export const NOISY_RELATIVE_IQR = 0.25;

export function relativeIqr(s: Summary): number {
  return s.median === 0 ? (s.iqr === 0 ? 0 : Infinity) : Math.abs(s.iqr / s.median);
}
