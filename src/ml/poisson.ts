// The count model: a Poisson log-linear GLM, items ~ Poisson(μ), log μ = sum of effects of the chosen terms.
// Default terms `day*hour+category`: log μ = a[day, hour] + b[category] — a day-by-hour profile times an aisle's
// popularity. The Poisson likelihood's sufficient statistics are the totals per term level, so the maximum
// likelihood fit is iterative proportional fitting: scale each factor until its fitted totals match the observed
// totals. Predictions are never negative, and a category or time with no sales predicts zero.
import { InputError } from '../base/errors.js';
import type { Hyperparameters, Learner, Regressor } from './model.js';
import { DAYS, HOURS } from '../base/cell.js';

export const POISSON_TERMS = ['day+hour+category', 'day*hour+category', 'day*hour+hour*category'] as const;
export type PoissonTerms = (typeof POISSON_TERMS)[number];

export interface PoissonParams extends Hyperparameters {
  /** Effects in the log-linear predictor. @defaultValue 'day*hour+category' */
  terms: PoissonTerms;
  /** Maximum proportional-fitting sweeps. @defaultValue 200 */
  maxIterations: number;
  /** Stop when a sweep moves no factor by more than this relative amount. @defaultValue 1e-7 */
  tolerance: number;
}

type TermName = 'day' | 'hour' | 'category' | 'day_hour' | 'hour_category';

const TERMS_OF: Record<PoissonTerms, TermName[]> = {
  'day+hour+category': ['day', 'hour', 'category'],
  'day*hour+category': ['day_hour', 'category'],
  'day*hour+hour*category': ['day_hour', 'hour_category'],
};

function levels(term: TermName, categories: number): number {
  switch (term) {
    case 'day':
      return DAYS;
    case 'hour':
      return HOURS;
    case 'category':
      return categories;
    case 'day_hour':
      return DAYS * HOURS;
    case 'hour_category':
      return HOURS * categories;
  }
}

function level(term: TermName, day: number, hour: number, cat: number, categories: number): number {
  switch (term) {
    case 'day':
      return day;
    case 'hour':
      return hour;
    case 'category':
      return cat;
    case 'day_hour':
      return day * HOURS + hour;
    case 'hour_category':
      return hour * categories + cat;
  }
}

export interface PoissonState {
  terms: PoissonTerms;
  /** Multiplicative factor per level of each term (exp of the log-linear effect). */
  factors: number[][];
}

class PoissonModel implements Regressor {
  readonly algorithm = 'poisson_glm' as const;
  private readonly termNames: TermName[];
  constructor(
    private readonly terms: PoissonTerms,
    private readonly factors: Float64Array[],
    private readonly categories: number,
  ) {
    this.termNames = TERMS_OF[terms];
  }

  predict(day: number, hour: number, category: number): number {
    let mu = 1;
    for (let t = 0; t < this.termNames.length; t++) {
      mu *= this.factors[t][level(this.termNames[t], day, hour, category, this.categories)];
    }
    return mu;
  }

  state(): PoissonState {
    return { terms: this.terms, factors: this.factors.map((f) => Array.from(f)) };
  }
}

/**
 * Iterative proportional fitting: factor k at level l becomes observed[l] / Σ_{rows at l} Π_{q≠k} factor_q,
 * so the fitted totals of term k match the observed ones; sweeps until no factor moves by more than `tolerance`.
 */
function proportionalFit(
  lv: readonly Uint32Array[],
  observed: readonly Float64Array[],
  factors: readonly Float64Array[],
  n: number,
  maxIterations: number,
  tolerance: number,
): void {
  const terms = factors.length;
  const other = new Float64Array(n);
  for (let iter = 0; iter < maxIterations; iter++) {
    let worst = 0;
    for (let k = 0; k < terms; k++) {
      other.fill(1);
      for (let q = 0; q < terms; q++) {
        if (q === k) continue;
        const f = factors[q];
        const l = lv[q];
        for (let i = 0; i < n; i++) other[i] *= f[l[i]];
      }
      const lk = lv[k];
      const obs = observed[k];
      const f = factors[k];
      const denom = new Float64Array(f.length);
      for (let i = 0; i < n; i++) denom[lk[i]] += other[i];
      for (let l = 0; l < f.length; l++) {
        if (denom[l] <= 0) continue;
        const next = obs[l] / denom[l];
        const change = Math.abs(next - f[l]) / Math.max(Math.abs(f[l]), 1e-12);
        if (change > worst) worst = change;
        f[l] = next;
      }
    }
    if (worst < tolerance) return;
  }
}

export const poissonLearner: Learner<PoissonParams> = {
  algorithm: 'poisson_glm',
  label: 'PoissonGLM',
  defaults: { terms: 'day*hour+category', maxIterations: 200, tolerance: 1e-7 },
  fit(rows, params) {
    const c = rows.categoryCount;
    const names = TERMS_OF[params.terms];
    const n = rows.length;
    const lv = names.map((t) => {
      const a = new Uint32Array(n);
      for (let i = 0; i < n; i++) a[i] = level(t, rows.day[i], rows.hour[i], rows.cat[i], c);
      return a;
    });
    let total = 0;
    for (let i = 0; i < n; i++) total += rows.y[i];
    const mean = n > 0 ? total / n : 0;
    const observed = names.map((t, k) => {
      const o = new Float64Array(levels(t, c));
      for (let i = 0; i < n; i++) o[lv[k][i]] += rows.y[i];
      return o;
    });
    // Start from the overall mean: the first factor carries it, the others start at 1.
    const factors = names.map((t, k) => new Float64Array(levels(t, c)).fill(k === 0 ? mean : 1));
    proportionalFit(lv, observed, factors, n, params.maxIterations, params.tolerance);
    // A level absent from the training rows gets the average factor of its term.
    names.forEach((_, k) => {
      const present = new Uint8Array(factors[k].length);
      for (let i = 0; i < n; i++) present[lv[k][i]] = 1;
      let sum = 0;
      let count = 0;
      for (let l = 0; l < present.length; l++) {
        if (present[l]) {
          sum += factors[k][l];
          count++;
        }
      }
      for (let l = 0; l < present.length; l++) if (!present[l]) factors[k][l] = count > 0 ? sum / count : 0;
    });
    return new PoissonModel(params.terms, factors, c);
  },
  restore(raw, categoryCount) {
    const s = raw as Partial<PoissonState> | null;
    const terms = s?.terms;
    if (!s || !terms || !POISSON_TERMS.includes(terms) || !Array.isArray(s.factors)) {
      throw new InputError(
        `poisson_glm artifact: expected terms (one of ${POISSON_TERMS.join(', ')}) and factors`,
      );
    }
    const names = TERMS_OF[terms];
    if (
      s.factors.length !== names.length ||
      names.some((t, k) => s.factors![k].length !== levels(t, categoryCount))
    ) {
      throw new InputError('poisson_glm artifact: factor lengths do not match its terms and categories');
    }
    return new PoissonModel(
      terms,
      s.factors.map((f) => Float64Array.from(f)),
      categoryCount,
    );
  },
};
