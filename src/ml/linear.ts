// Ridge linear regression on one-hot day (7), hour (24) and category (C) plus an unpenalized intercept.
// The design matrix has 1 + 7 + 24 + C columns, so the normal equations (XᵀX + αI)β = Xᵀy are built from
// co-occurrence counts in one pass over the rows and solved by Cholesky — no matrix library needed.
import { InputError } from '../base/errors.js';
import type { Hyperparameters, Learner, Regressor } from './model.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface LinearParams extends Hyperparameters {
  /** L2 penalty on every coefficient except the intercept. @defaultValue 0.1 */
  alpha: number;
}

export interface LinearState {
  intercept: number;
  day: number[];
  hour: number[];
  category: number[];
}

class LinearModel implements Regressor {
  readonly algorithm = 'linear_regression' as const;
  constructor(
    private readonly intercept: number,
    private readonly day: Float64Array,
    private readonly hour: Float64Array,
    private readonly category: Float64Array,
  ) {}

  predict(day: number, hour: number, category: number): number {
    return this.intercept + this.day[day] + this.hour[hour] + this.category[category];
  }

  state(): LinearState {
    return {
      intercept: this.intercept,
      day: Array.from(this.day),
      hour: Array.from(this.hour),
      category: Array.from(this.category),
    };
  }
}

/** Solves A x = b in place for a symmetric positive definite A (n × n, row-major). Returns x. */
function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) throw new Error(`matrix is not positive definite at column ${j}`);
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= a[i * n + k] * x[k];
    x[i] = s / a[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= a[k * n + i] * x[k];
    x[i] = s / a[i * n + i];
  }
  return x;
}

export const linearLearner: Learner<LinearParams> = {
  algorithm: 'linear_regression',
  label: 'LinearRegression',
  defaults: { alpha: 0.1 },
  fit(rows, params) {
    const c = rows.categoryCount;
    const p = 1 + DAYS + HOURS + c;
    const xtx = new Float64Array(p * p);
    const xty = new Float64Array(p);
    const cols = new Int32Array(4);
    cols[0] = 0;
    for (let i = 0; i < rows.length; i++) {
      cols[1] = 1 + rows.day[i];
      cols[2] = 1 + DAYS + rows.hour[i];
      cols[3] = 1 + DAYS + HOURS + rows.cat[i];
      const y = rows.y[i];
      for (let u = 0; u < 4; u++) {
        xty[cols[u]] += y;
        for (let v = 0; v < 4; v++) xtx[cols[u] * p + cols[v]] += 1;
      }
    }
    // A tiny penalty on the intercept keeps the system definite on an empty training set.
    xtx[0] += 1e-9;
    for (let j = 1; j < p; j++) xtx[j * p + j] += params.alpha > 0 ? params.alpha : 1e-9;
    const beta = choleskySolve(xtx, xty, p);
    return new LinearModel(
      beta[0],
      beta.slice(1, 1 + DAYS),
      beta.slice(1 + DAYS, 1 + DAYS + HOURS),
      beta.slice(1 + DAYS + HOURS),
    );
  },
  restore(raw, categoryCount) {
    const s = raw as Partial<LinearState> | null;
    if (
      !s ||
      typeof s.intercept !== 'number' ||
      s.day?.length !== DAYS ||
      s.hour?.length !== HOURS ||
      s.category?.length !== categoryCount
    ) {
      throw new InputError(
        `linear_regression artifact: expected intercept, day[7], hour[24], category[${categoryCount}]`,
      );
    }
    return new LinearModel(
      s.intercept,
      Float64Array.from(s.day),
      Float64Array.from(s.hour),
      Float64Array.from(s.category),
    );
  },
};
