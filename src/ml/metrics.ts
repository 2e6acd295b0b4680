// Regression metrics on a holdout: root mean squared error, mean absolute error and R².

export interface Metrics {
  rmse: number;
  mae: number;
  r2: number;
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
  return { rmse: avg((m) => m.rmse), mae: avg((m) => m.mae), r2: avg((m) => m.r2) };
}
