// Regression metrics on a holdout: root mean squared error, mean absolute error and R².

export interface Metrics {
  rmse: number;
  mae: number;
  r2: number;
  /** Mean Poisson deviance (order-holdout evaluation only). */
  deviance?: number;
}

/** Mean Poisson deviance 2·(y·ln(y/μ) − (y − μ)); a prediction ≤ 0 counts as a tiny positive rate. */
export function poissonDeviance(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i];
    const mu = Math.max(predicted[i], 1e-9);
    sum += 2 * ((y > 0 ? y * Math.log(y / mu) : 0) - (y - mu));
  }
  return actual.length === 0 ? Number.NaN : sum / actual.length;
}

export function regressionMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): Metrics {
  const n = actual.length;
  if (n === 0) return { rmse: Number.NaN, mae: Number.NaN, r2: Number.NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += actual[i];
  const mean = sum / n;
  let se = 0;
  let ae = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    const e = actual[i] - predicted[i];
    se += e * e;
    ae += Math.abs(e);
    const d = actual[i] - mean;
    tot += d * d;
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: tot === 0 ? Number.NaN : 1 - se / tot };
}

/** Averages per-fold metrics (cross-validation summary). */
export function meanMetrics(all: readonly Metrics[]): Metrics {
  const n = all.length;
  const avg = (pick: (m: Metrics) => number): number => all.reduce((s, m) => s + pick(m), 0) / n;
  const out: Metrics = { rmse: avg((m) => m.rmse), mae: avg((m) => m.mae), r2: avg((m) => m.r2) };
  if (all.every((m) => m.deviance !== undefined)) out.deviance = avg((m) => m.deviance!);
  return out;
}
