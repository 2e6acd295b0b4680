// Prediction intervals: 10 %–90 % of the predictive count distribution of a cell. A cell's count is a sum over
// orders of each order's count in it (compound Poisson), so its variance is φ × its mean with
// φ = E[x²] / E[x] = Σ squared per-order counts / Σ items — read straight off the aggregation's sums of squares
// (holdout.ts), per category (aisles bought in packs are more over-dispersed: on the real orders φ runs from 1 to
// 4.4 around a pooled 2.07, and one pooled φ made the intervals too wide for most aisles and too narrow for the
// rest), the pooled φ for artifacts without it. The distribution is then Poisson (φ ≤ 1) or negative binomial with that
// mean and variance; above a mean of 50 its normal approximation. The interval is a pure function of the point
// value and its category's φ, so the cache, the API and the CLI all give the same one for the same model.
import type { Evaluation } from './evaluate.js';
import type { OrderHoldout } from './order-holdout.js';

export const INTERVAL_LEVELS = [0.1, 0.9] as const;
/** Standard normal quantile at 0.9. */
const Z90 = 1.2815515655446004;

export interface Interval {
  low: number;
  high: number;
}

/** φ of the data: Σ squares / Σ items over every cell (1, i.e. Poisson, without data). */
export function dispersionOf(holdout: Pick<OrderHoldout, 'squares' | 'bucketItems'>): number {
  let squares = 0;
  let items = 0;
  for (let g = 0; g < holdout.squares.length; g++) squares += holdout.squares[g];
  for (const bucket of holdout.bucketItems) for (let g = 0; g < bucket.length; g++) items += bucket[g];
  return items > 0 ? Math.max(squares / items, 1) : 1;
}

/**
 * φ per category: Σ squares / Σ items of each category's cells (at least 1); a category without items gets the
 * pooled φ.
 */
export function categoryDispersionOf(
  holdout: Pick<OrderHoldout, 'squares' | 'bucketItems'>,
  categories: number,
): number[] {
  const squares = new Float64Array(categories);
  const items = new Float64Array(categories);
  for (let g = 0; g < holdout.squares.length; g++) squares[g % categories] += holdout.squares[g];
  for (const bucket of holdout.bucketItems)
    for (let g = 0; g < bucket.length; g++) items[g % categories] += bucket[g];
  const pooled = dispersionOf(holdout);
  return Array.from(items, (n, c) => (n > 0 ? Math.max(squares[c] / n, 1) : pooled));
}

/** The φ an artifact gives category `c`: its own when recorded, else the pooled one (1 without data). */
export function dispersionFor(
  artifact: { dispersion?: number; categoryDispersion?: number[] },
  c: number,
): number {
  return artifact.categoryDispersion?.[c] ?? artifact.dispersion ?? 1;
}

/** Smallest k with P(Y ≤ k) ≥ q for Y with mean μ and variance φμ (q is one of the interval's levels). */
export function countQuantile(mu: number, phi: number, q: (typeof INTERVAL_LEVELS)[number]): number {
  if (!(mu > 0)) return 0;
  if (mu > 50) {
    const z = q < 0.5 ? -Z90 : Z90;
    return Math.max(0, Math.round(mu + z * Math.sqrt(phi * mu)));
  }
  // P(0), then P(k+1) = P(k) · (k + r)/(k + 1) · (1 − p): negative binomial with r = μ/(φ − 1), p = 1/φ;
  // Poisson (the limit φ → 1) when φ is at most 1 + 1e-9.
  const poisson = phi <= 1 + 1e-9;
  const r = poisson ? 0 : mu / (phi - 1);
  const keep = poisson ? 0 : 1 - 1 / phi;
  let p = poisson ? Math.exp(-mu) : Math.pow(1 / phi, r);
  let cdf = p;
  let k = 0;
  while (cdf < q && k < 100_000) {
    p = poisson ? (p * mu) / (k + 1) : (p * (k + r) * keep) / (k + 1);
    k++;
    cdf += p;
  }
  return k;
}

/** P(low ≤ Y ≤ high) for the same distribution (its normal approximation's 0.8 above a mean of 50). */
export function intervalMass(mu: number, phi: number, { low, high }: Interval): number {
  if (!(mu > 0)) return 1;
  if (mu > 50) return INTERVAL_LEVELS[1] - INTERVAL_LEVELS[0];
  const poisson = phi <= 1 + 1e-9;
  const r = poisson ? 0 : mu / (phi - 1);
  const keep = poisson ? 0 : 1 - 1 / phi;
  let p = poisson ? Math.exp(-mu) : Math.pow(1 / phi, r);
  let mass = low === 0 ? p : 0;
  for (let k = 0; k < high; k++) {
    p = poisson ? (p * mu) / (k + 1) : (p * (k + r) * keep) / (k + 1);
    if (k + 1 >= low) mass += p;
  }
  return mass;
}

export function intervalOf(mu: number, phi: number): Interval {
  return {
    low: countQuantile(mu, phi, INTERVAL_LEVELS[0]),
    high: countQuantile(mu, phi, INTERVAL_LEVELS[1]),
  };
}

/**
 * Share of held-out cells whose held-out count falls inside the best candidate's interval (its prediction scaled
 * to the held-out orders): over all cells, and over the cells with at least one held-out item.
 */
export interface Coverage {
  /** Share of all held-out cells inside their interval. */
  all: number;
  /** Share of the cells with at least one held-out item. */
  nonzero: number;
  /**
   * What a calibrated model would show over all cells: the mean probability its own distribution puts inside the
   * interval (counts are discrete, so with small means a 10–90 % interval holds more than 80 %).
   */
  expected: number;
  /**
   * The same over the cells with an item: P(inside, Y > 0) / P(Y > 0) summed over cells. Below 80 % by
   * construction where means are small — a cell of mean 0.2 has the interval [0, 0], and any item is outside it.
   */
  expectedNonzero: number;
}

/** P(Y = 0) for Y with mean μ and variance φμ (Poisson for φ ≤ 1). */
function zeroMass(mu: number, phi: number): number {
  if (!(mu > 0)) return 1;
  return phi <= 1 + 1e-9 ? Math.exp(-mu) : Math.pow(1 / phi, mu / (phi - 1));
}

/**
 * Coverage of held-out counts `y` by the intervals of `predicted` (same length), cell i of category `cat[i]`
 * with dispersion phi(cat[i]).
 */
export function coverageOf(
  parts: readonly { y: ArrayLike<number>; cat: ArrayLike<number>; predicted: ArrayLike<number> }[],
  phiOf: (category: number) => number,
): Coverage {
  let cells = 0;
  let expected = 0;
  let inside = 0;
  let nonzero = 0;
  let insideNonzero = 0;
  let massNonzero = 0;
  let chanceNonzero = 0;
  for (const { y, cat, predicted } of parts)
    for (let i = 0; i < y.length; i++) {
      const phi = phiOf(cat[i]);
      const interval = intervalOf(predicted[i], phi);
      const mass = intervalMass(predicted[i], phi, interval);
      const p0 = zeroMass(predicted[i], phi);
      expected += mass;
      massNonzero += interval.low === 0 ? Math.max(mass - p0, 0) : mass;
      chanceNonzero += 1 - p0;
      const hit = y[i] >= interval.low && y[i] <= interval.high;
      cells++;
      if (hit) inside++;
      if (y[i] > 0) {
        nonzero++;
        if (hit) insideNonzero++;
      }
    }
  return {
    all: cells > 0 ? inside / cells : Number.NaN,
    nonzero: nonzero > 0 ? insideNonzero / nonzero : Number.NaN,
    expected: cells > 0 ? expected / cells : Number.NaN,
    expectedNonzero: chanceNonzero > 0 ? massNonzero / chanceNonzero : Number.NaN,
  };
}

/** Coverage on the held-out bucket by the chosen candidate's intervals. */
export function intervalCoverage(ev: Evaluation, holdout: OrderHoldout): Coverage {
  const predicted = ev.testPredictions;
  if (!predicted)
    return { all: Number.NaN, nonzero: Number.NaN, expected: Number.NaN, expectedNonzero: Number.NaN };
  const phi = categoryDispersionOf(holdout, ev.test.categoryCount);
  return coverageOf([{ y: ev.test.y, cat: ev.test.cat, predicted }], (c) => phi[c]);
}

/** Coverage over every fold's held-out orders (each fold predicted by the chosen candidate trained without it). */
export function foldCoverage(ev: Evaluation, holdout: OrderHoldout): Coverage {
  const phi = categoryDispersionOf(holdout, ev.test.categoryCount);
  return coverageOf(
    (ev.folds ?? []).map((f) => ({ y: f.test.y, cat: f.test.cat, predicted: f.predictions })),
    (c) => phi[c],
  );
}
