// Evaluates candidate learners on one training set: a holdout split (seeded random or md5) and optional K-fold
// cross-validation, RMSE/MAE/R² per candidate, the best by holdout RMSE refit on every row for serving.
import { performance } from 'node:perf_hooks';
import { LEARNERS } from './learners.js';
import { meanMetrics, regressionMetrics, type Metrics } from './metrics.js';
import type { Algorithm, Hyperparameters, Learner, Regressor } from './model.js';
import { selectRows, type Rows } from './rows.js';
import { holdoutSplit, kFolds, type SplitMethod } from './split.js';
import type { TrainingSet } from './dataset.js';

export interface EvaluationOptions {
  /** @defaultValue 'random' */
  split: SplitMethod;
  /** K for K-fold cross-validation; 0 or 1 = holdout only. @defaultValue 0 */
  folds: number;
  /** Seed of the split, the folds and every learner. @defaultValue 42 */
  seed: number;
  /** Candidates in table order. @defaultValue all learners */
  learners?: readonly Learner[];
  /** Per-algorithm overrides of the learners' default hyperparameters. */
  hyperparameters?: Partial<Record<Algorithm, Hyperparameters>>;
}

export interface CandidateResult {
  algorithm: Algorithm;
  label: string;
  hyperparameters: Hyperparameters;
  holdout: Metrics;
  /** Mean over the folds, when --folds K > 1. */
  crossValidation?: Metrics;
  /** RMSE of each fold (empty folds skipped), in fold order. */
  foldRmse?: number[];
  /** Sample standard deviation of `foldRmse`: the fold noise a promotion has to beat. */
  foldRmseSd?: number;
  /** Milliseconds to train on the holdout's training rows. */
  trainMs: number;
  /** Holdout RMSE minus the noise floor (order-holdout evaluation only). */
  floorDistance?: number;
}

/** How an order-holdout evaluation split the data (see order-evaluation.ts). */
export interface OrderSplitSummary {
  /** Orders in the held-out bucket, in the training buckets, in all. */
  heldOrders: number;
  trainOrders: number;
  totalOrders: number;
  /** heldOrders / trainOrders: the factor from a model's training scale to the held-out orders. */
  scale: number;
  /** RMSE a model knowing every cell's true rate would still make on the held-out orders. */
  noiseFloor: number;
  /** The bucket held out: 0, or the first bucket with orders when bucket 0 has none. */
  heldBucket?: number;
  /** Folds scored (non-empty ones) and each fold's noise floor, with --folds. */
  folds?: number;
  foldNoiseFloor?: number[];
}

export interface Evaluation {
  candidates: CandidateResult[];
  best: CandidateResult;
  /** The best candidate refit on every training row: the model that is served. */
  model: Regressor;
  trainRows: number;
  testRows: number;
  /** The held-out rows, for re-scoring another model (the champion) on exactly the same data. */
  test: Rows;
  /** Present when models were judged on held-out orders rather than held-out cells. */
  orders?: OrderSplitSummary;
  /** The chosen candidate's predictions on `test`, at the held-out scale (order holdout only). */
  testPredictions?: Float64Array;
  /** Per fold (order holdout with --folds): the held-out rows and the chosen candidate's predictions on them. */
  folds?: { test: Rows; predictions: Float64Array; noiseFloor: number }[];
}

/** Mean metrics, per-fold RMSE and their standard deviation (n − 1) of a candidate's folds. */
export function foldSummary(
  folds: readonly Metrics[],
): Pick<CandidateResult, 'crossValidation' | 'foldRmse' | 'foldRmseSd'> {
  const rmse = folds.map((m) => m.rmse);
  const mean = rmse.reduce((s, v) => s + v, 0) / rmse.length;
  const sd =
    rmse.length > 1 ? Math.sqrt(rmse.reduce((s, v) => s + (v - mean) ** 2, 0) / (rmse.length - 1)) : 0;
  return { crossValidation: meanMetrics(folds), foldRmse: rmse, foldRmseSd: sd };
}

export function predictRows(model: Regressor, rows: Rows): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = model.predict(rows.day[i], rows.hour[i], rows.cat[i]);
  return out;
}

export function evaluateCandidates(set: TrainingSet, options: EvaluationOptions): Evaluation {
  const learners = options.learners ?? LEARNERS;
  const split = holdoutSplit(set.rows, set.categories, options.split, options.seed);
  const train = selectRows(set.rows, split.train);
  const test = selectRows(set.rows, split.test);
  const folds =
    options.folds > 1
      ? kFolds(set.rows.length, options.folds, options.seed).map((f) => ({
          train: selectRows(set.rows, f.train),
          test: selectRows(set.rows, f.test),
        }))
      : [];
  const candidates = learners.map((learner): CandidateResult => {
    const hyperparameters = { ...learner.defaults, ...options.hyperparameters?.[learner.algorithm] };
    const t0 = performance.now();
    const model = learner.fit(train, hyperparameters, options.seed);
    const trainMs = performance.now() - t0;
    const result: CandidateResult = {
      algorithm: learner.algorithm,
      label: learner.label,
      hyperparameters,
      holdout: regressionMetrics(test.y, predictRows(model, test)),
      trainMs,
    };
    if (folds.length > 0) {
      Object.assign(
        result,
        foldSummary(
          folds.map((f) =>
            regressionMetrics(
              f.test.y,
              predictRows(learner.fit(f.train, hyperparameters, options.seed), f.test),
            ),
          ),
        ),
      );
    }
    return result;
  });
  const best = candidates.reduce((a, b) => (b.holdout.rmse < a.holdout.rmse ? b : a));
  const learner = learners.find((l) => l.algorithm === best.algorithm)!;
  return {
    candidates,
    best,
    model: learner.fit(set.rows, best.hyperparameters, options.seed),
    trainRows: train.length,
    testRows: test.length,
    test,
  };
}
