// Test models written straight to a models folder: a linear_regression artifact whose predictions are known
// (prediction = base + day + hour/10 + category index/100), so tests can tell two versions apart by value.
import { setCurrentPointer, writeArtifact, type ModelArtifact } from '../../src/ml/artifact.js';

const metrics = { rmse: 0, mae: 0, r2: 1 };

/** Writes `version` with these categories and makes it current. Returns the expected prediction function. */
export async function writeTestModel(
  modelsDir: string,
  version: string,
  categories: string[],
  base: number,
): Promise<(day: number, hour: number, categoryIndex: number) => number> {
  const day = Array.from({ length: 7 }, (_, d) => d);
  const hour = Array.from({ length: 24 }, (_, h) => h / 10);
  const category = categories.map((_, c) => c / 100);
  const artifact: ModelArtifact = {
    format: 'orderflow-model',
    formatVersion: 1,
    version,
    algorithm: 'linear_regression',
    hyperparameters: { alpha: 0.1 },
    categories,
    trainingMode: 'grid',
    fingerprint: `test-${version}`,
    trainingRows: 0,
    inputPath: null,
    createdAt: new Date().toISOString(),
    metrics: { holdout: metrics },
    candidates: [],
    evaluation: { split: 'random', folds: 0, seed: 1, trainRows: 0, testRows: 0 },
    state: { intercept: base, day, hour, category },
  };
  await writeArtifact(modelsDir, artifact);
  await setCurrentPointer(modelsDir, version);
  return (d, h, c) => Math.max(0, base + day[d] + hour[h] + category[c]);
}

export const names = (n: number, prefix = 'aisle'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix} ${String(i).padStart(3, '0')}`);
