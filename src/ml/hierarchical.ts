// A count model built for the day × hour × category grid: items(d, h, c) = volume(d, h) × share(c | d, h), every
// level shrunk toward the level above by empirical Bayes (how much is estimated from the data, not tuned):
//   volume(d, h)  → the independence prior day(d) × hour(h) / total, the hour margin itself shrunk toward its
//                   three-hour window. Gamma–Poisson: a cell's count is
//                   over-dispersed (items come in orders) with dispersion φ_V, and the true volumes vary around the
//                   prior with relative variance τ²; both from the moments (V − m)²/m ≈ φ_V + τ²·m, and the
//                   estimate is m + w(V − m) with w = τ²m / (τ²m + φ_V);
//   shares        → share(c | hour) toward its three-hour window's (hours are ordered), that toward the overall
//                   shares; share(c | day) toward the overall shares; share(c | day, hour) toward
//                   share(c | hour) × share(c | day) / share(c). Per category: its counts across the groups
//                   deviate from the parent's by a category-specific relative variance τ²_c (moments again), so
//                   only the categories that really move (breakfast in the morning, drinks at weekend evenings)
//                   keep their own shares; φ (the count dispersion of one category) comes from the data's sums
//                   of squares when the trainer has them, else from the Pearson statistics of the finest level.
// The fit is closed form: a few milliseconds for the 134 aisles.
import { InputError } from '../base/errors.js';
import type { Hyperparameters, Learner, Regressor } from './model.js';
import { type Rows } from './rows.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface HierarchicalParams extends Hyperparameters {
  /** Pseudo-count per category added to the overall shares, so no category is ever certain to sell nothing. @defaultValue 0.5 */
  basePseudoCount: number;
  /** φ of one category's count (Σ squares / Σ items of the data); 0 = estimate it from the counts. @defaultValue 0 */
  dispersion: number;
  /** Multiplier of the volume level's prior strength φ_V (1 = the empirical-Bayes estimate). @defaultValue 1 */
  volumeStrength: number;
  /** Multiplier of the share levels' prior strength φ (1 = the empirical-Bayes estimate). @defaultValue 1 */
  shareStrength: number;
}

export interface HierarchicalState {
  /** Predicted items per cell, index (day × 24 + hour) × C + category. */
  grid: number[];
  /** The estimated shrinkage, for the registry and the curious. */
  shrinkage: { volumeDispersion: number; volumeBetween: number; shareDispersion: number };
}

const CELLS = DAYS * HOURS;

/** Least squares of r on [1, x]: intercept and slope. */
function lineFit(x: readonly number[], r: readonly number[]): { a: number; b: number } {
  const n = x.length;
  if (n < 2) return { a: n === 1 ? r[0] : 0, b: 0 };
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const mr = r.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxr = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxr += (x[i] - mx) * (r[i] - mr);
  }
  const b = sxx > 0 ? sxr / sxx : 0;
  return { a: mr - b * mx, b };
}

/**
 * The hour margin shrunk toward its three-hour window (hours are ordered; a quiet night hour's few orders say
 * little on their own): Gamma–Poisson with the volume's dispersion φ_V and a between-hour relative variance τ²
 * from the moments Σ((H − w)² − φ_V·w) / Σ w²; the total is kept. In place.
 */
function smoothHourMargin(hourTotal: number[], phiV: number): void {
  const n = hourTotal.length;
  const win = hourTotal.map(
    (_, h) => (hourTotal[(h + n - 1) % n] + hourTotal[h] + hourTotal[(h + 1) % n]) / 3,
  );
  let num = 0;
  let den = 0;
  hourTotal.forEach((H, h) => {
    num += (H - win[h]) ** 2 - phiV * win[h];
    den += win[h] ** 2;
  });
  const tau2 = den > 0 ? Math.max(num / den, 0) : 0;
  const smoothed = hourTotal.map(
    (H, h) => win[h] + ((tau2 * win[h]) / (tau2 * win[h] + phiV)) * (H - win[h]),
  );
  const before = hourTotal.reduce((a, b) => a + b, 0);
  const after = smoothed.reduce((a, b) => a + b, 0);
  smoothed.forEach((v, h) => (hourTotal[h] = after > 0 ? (v * before) / after : v));
}

/** Pearson X²/(C − 1) of a group's counts against its parent shares. */
function pearson(counts: Float64Array, parent: Float64Array): number {
  let n = 0;
  for (let c = 0; c < counts.length; c++) n += counts[c];
  let x2 = 0;
  for (let c = 0; c < counts.length; c++) {
    const e = n * parent[c];
    if (e > 0) x2 += (counts[c] - e) ** 2 / e;
  }
  return x2 / Math.max(counts.length - 1, 1);
}

/**
 * Per-category Gamma–Poisson shrinkage of each group's shares toward its parent's: for category c the expected
 * count is e = n_g·p_gc, its multiplicative deviation has variance τ²_c = Σ_g((y − e)² − φe) / Σ_g e² (moments
 * over the groups), and the estimate is e + w(y − e) with w = τ²_c·e / (τ²_c·e + φ); then each group is
 * renormalized. Only the categories that really move between groups (breakfast in the morning, drinks at
 * weekend evenings) keep their own shares.
 */
function shrinkByCategory(
  groups: readonly Float64Array[],
  parents: readonly Float64Array[],
  phi: number,
): Float64Array[] {
  const C = groups[0]?.length ?? 0;
  const n = groups.map((g) => g.reduce((s, v) => s + v, 0));
  const tau2 = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let num = 0;
    let den = 0;
    groups.forEach((g, i) => {
      const e = n[i] * parents[i][c];
      num += (g[c] - e) ** 2 - phi * e;
      den += e * e;
    });
    tau2[c] = den > 0 ? Math.max(num / den, 0) : 0;
  }
  return groups.map((g, i) => {
    if (n[i] <= 0) return Float64Array.from(parents[i]);
    const out = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const e = n[i] * parents[i][c];
      const w = tau2[c] * e + phi > 0 ? (tau2[c] * e) / (tau2[c] * e + phi) : 0;
      out[c] = Math.max(e + w * (g[c] - e), 0);
    }
    return normalize(out);
  });
}

function normalize(v: Float64Array): Float64Array {
  const s = v.reduce((a, b) => a + b, 0);
  if (s > 0) for (let i = 0; i < v.length; i++) v[i] /= s;
  return v;
}

/** Volume per day×hour, shrunk toward day × hour / total (with the hour margin smoothed when overdispersed). */
function shrunkVolume(
  volume: number[],
  volumeStrength: number,
): { volumeHat: number[]; phiV: number; tau2: number } {
  const total = volume.reduce((s, v) => s + v, 0);
  const dayTotal = Array.from({ length: DAYS }, (_, d) =>
    volume.slice(d * HOURS, (d + 1) * HOURS).reduce((s, v) => s + v, 0),
  );
  const hourTotal = Array.from({ length: HOURS }, (_, h) =>
    dayTotal.reduce((s, _v, d) => s + volume[d * HOURS + h], 0),
  );
  const prior = volume.map((_, g) =>
    total > 0 ? (dayTotal[Math.floor(g / HOURS)] * hourTotal[g % HOURS]) / total : 0,
  );
  const used = prior.map((m, g) => g).filter((g) => prior[g] > 0);
  const { a: phiV, b: tau2 } = lineFit(
    used.map((g) => prior[g]),
    used.map((g) => (volume[g] - prior[g]) ** 2 / prior[g]),
  );
  if (phiV > 0) smoothHourMargin(hourTotal, phiV);
  for (let g = 0; g < CELLS; g++)
    prior[g] = total > 0 ? (dayTotal[Math.floor(g / HOURS)] * hourTotal[g % HOURS]) / total : 0;
  const volumeHat = volume.map((v, g) => {
    const m = prior[g];
    if (m <= 0) return v;
    if (tau2 <= 0) return m;
    const w = phiV <= 0 ? 1 : (tau2 * m) / (tau2 * m + volumeStrength * phiV);
    return m + w * (v - m);
  });
  return { volumeHat, phiV, tau2 };
}

/**
 * φ of the shares: given by the caller (the data's Σ squares / Σ items), else from the finest level's Pearson
 * statistics against the overall shares (168 day×hour groups of very different sizes: the intercept of
 * X²/(C−1) on n).
 */
function shareDispersion(cells: readonly Float64Array[], overall: Float64Array, given: number): number {
  if (given > 0) return given;
  const dh = cells.map((g) => g.reduce((s, v) => s + v, 0));
  const withData = cells.map((_, g) => g).filter((g) => dh[g] > 0);
  const fit = lineFit(
    withData.map((g) => dh[g]),
    withData.map((g) => pearson(cells[g], overall)),
  );
  return Math.max(fit.a, 1);
}

/**
 * Category shares per day×hour cell, shrunk level by level. Hours have an order: an hour's shares shrink toward
 * those of its three-hour window (h − 1, h, h + 1, around midnight too), which shrink toward the overall shares;
 * a cell's prior is the hour's shares times the day's relative shares.
 */
function shrunkCellShares(
  counts: { hours: Float64Array[]; days: Float64Array[]; cells: Float64Array[] },
  overall: Float64Array,
  phiShare: number,
): Float64Array[] {
  const { hours, days, cells } = counts;
  const C = overall.length;
  const windows = hours.map((_, h) => {
    const w = new Float64Array(C);
    for (const k of [h + HOURS - 1, h, h + 1]) hours[k % HOURS].forEach((v, c) => (w[c] += v));
    return w;
  });
  const windowShare = shrinkByCategory(
    windows,
    windows.map(() => overall),
    phiShare,
  );
  const hourShare = shrinkByCategory(hours, windowShare, phiShare);
  const dayShare = shrinkByCategory(
    days,
    days.map(() => overall),
    phiShare,
  );
  const cellPrior = cells.map((_, g) => {
    const h = hourShare[g % HOURS];
    const d = dayShare[Math.floor(g / HOURS)];
    return normalize(Float64Array.from({ length: C }, (_, c) => (h[c] * d[c]) / overall[c]));
  });
  return shrinkByCategory(cells, cellPrior, phiShare);
}

export function fitHierarchical(rows: Rows, params: HierarchicalParams): HierarchicalState {
  const C = rows.categoryCount;
  const y = new Float64Array(CELLS * C);
  for (let i = 0; i < rows.length; i++)
    y[(rows.day[i] * HOURS + rows.hour[i]) * C + rows.cat[i]] += rows.y[i];
  const cell = (g: number): Float64Array => y.subarray(g * C, (g + 1) * C);
  const sumOf = (pick: (g: number) => boolean): Float64Array => {
    const out = new Float64Array(C);
    for (let g = 0; g < CELLS; g++) if (pick(g)) cell(g).forEach((v, c) => (out[c] += v));
    return out;
  };
  const volume = Array.from({ length: CELLS }, (_, g) => cell(g).reduce((s, v) => s + v, 0));
  const { volumeHat, phiV, tau2 } = shrunkVolume(volume, params.volumeStrength);
  // Shares: overall ← hour, day ← day×hour.
  const overall = sumOf(() => true);
  for (let c = 0; c < C; c++) overall[c] += params.basePseudoCount;
  normalize(overall);
  const hours = Array.from({ length: HOURS }, (_, h) => sumOf((g) => g % HOURS === h));
  const days = Array.from({ length: DAYS }, (_, d) => sumOf((g) => Math.floor(g / HOURS) === d));
  const cells = Array.from({ length: CELLS }, (_, g) => cell(g));
  const phi = shareDispersion(cells, overall, params.dispersion);
  const cellShares = shrunkCellShares({ hours, days, cells }, overall, phi * params.shareStrength);
  const grid = new Array<number>(CELLS * C);
  for (let g = 0; g < CELLS; g++)
    for (let c = 0; c < C; c++) grid[g * C + c] = volumeHat[g] * cellShares[g][c];
  return {
    grid,
    shrinkage: { volumeDispersion: phiV, volumeBetween: tau2, shareDispersion: phi },
  };
}

class HierarchicalModel implements Regressor {
  readonly algorithm = 'hierarchical_poisson' as const;
  constructor(
    private readonly values: Float64Array,
    private readonly categories: number,
    private readonly shrinkage: HierarchicalState['shrinkage'],
  ) {}
  predict(day: number, hour: number, category: number): number {
    return this.values[(day * HOURS + hour) * this.categories + category];
  }
  predictGrid(): Float64Array {
    return this.values.slice();
  }
  state(): HierarchicalState {
    return { grid: Array.from(this.values), shrinkage: this.shrinkage };
  }
}

export const hierarchicalLearner: Learner<HierarchicalParams> = {
  algorithm: 'hierarchical_poisson',
  label: 'HierPoisson',
  defaults: { basePseudoCount: 0.5, dispersion: 0, volumeStrength: 1, shareStrength: 1 },
  fit(rows, params) {
    const state = fitHierarchical(rows, params);
    return new HierarchicalModel(Float64Array.from(state.grid), rows.categoryCount, state.shrinkage);
  },
  restore(raw, categoryCount) {
    const s = raw as Partial<HierarchicalState> | null;
    if (!s || !Array.isArray(s.grid) || s.grid.length !== CELLS * categoryCount || !s.shrinkage)
      throw new InputError(
        `hierarchical_poisson artifact: expected a grid of ${CELLS * categoryCount} values`,
      );
    return new HierarchicalModel(Float64Array.from(s.grid), categoryCount, s.shrinkage);
  },
};
