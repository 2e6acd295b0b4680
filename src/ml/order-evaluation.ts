// Judging candidates on held-out orders. Bucket 0 of the order holdout (order-holdout.ts) is the test set: every
// candidate trains on the grid of the other buckets' orders, its predictions are scaled by the order ratio
// (held-out orders / training orders) and scored on every cell of the held-out orders' grid — RMSE, MAE, R² and
// Poisson deviance. Next to them, the noise floor: a model that knew each cell's true rate would still miss by
// the held-out counts' own spread; for a compound-Poisson cell that variance is the expected sum of squared
// per-order counts, estimated as the held-out share of the cell's sum of squares, so
// floor = √(Σ_cells squares × heldOrders / totalOrders ÷ cells). K-fold (`--folds K`, 2–5) holds out the buckets
// b with b mod K = f in fold f. The chosen candidate is then refit on all orders, so a served prediction keeps
// meaning items per cell over all the data held.
import { performance } from 'node:perf_hooks';
import { UsageError } from '../base/errors.js';
import { BUCKETS, HOLDOUT_BUCKET } from '../ingest/read/order-bucket.js';
import type { TrainingSet } from './dataset.js';
import type { CandidateResult, Evaluation, EvaluationOptions, OrderSplitSummary } from './evaluate.js';
import { foldSummary, predictRows } from './evaluate.js';
import { LEARNERS } from './learners.js';
import { poissonDeviance, regressionMetrics, type Metrics } from './metrics.js';
import type { Hyperparameters, Learner } from './model.js';
import type { OrderHoldout } from './order-holdout.js';
import { allocateRows, type Rows } from './rows.js';
import { DAYS, HOURS } from '../base/cell.js';

interface BucketSplit {
  train: Rows;
  test: Rows;
  heldOrders: number;
  trainOrders: number;
}

/** Rows of the training buckets' grid (grid mode: every cell; nonzero: cells with items) and the test grid. */
function splitByBuckets(
  set: TrainingSet,
  holdout: OrderHoldout,
  isTest: (bucket: number) => boolean,
): BucketSplit {
  const c = set.categories.length;
  const size = DAYS * HOURS * c;
  const trainGrid = new Float64Array(size);
  const testGrid = new Float64Array(size);
  let heldOrders = 0;
  let trainOrders = 0;
  for (let b = 0; b < BUCKETS; b++) {
    const into = isTest(b) ? testGrid : trainGrid;
    const items = holdout.bucketItems[b];
    for (let g = 0; g < size; g++) into[g] += items[g];
    if (isTest(b)) heldOrders += holdout.bucketOrders[b];
    else trainOrders += holdout.bucketOrders[b];
  }
  const toRows = (grid: Float64Array, keep: (g: number) => boolean): Rows => {
    let n = 0;
    for (let g = 0; g < size; g++) if (keep(g)) n++;
    const rows = allocateRows(n, c);
    let i = 0;
    for (let g = 0; g < size; g++) {
      if (!keep(g)) continue;
      rows.day[i] = Math.floor(g / (HOURS * c));
      rows.hour[i] = Math.floor(g / c) % HOURS;
      rows.cat[i] = g % c;
      rows.y[i++] = grid[g];
    }
    return rows;
  };
  const train = toRows(trainGrid, set.mode === 'grid' ? () => true : (g) => trainGrid[g] > 0);
  return { train, test: toRows(testGrid, () => true), heldOrders, trainOrders };
}

function scaledPredictions(model: ReturnType<Learner['fit']>, split: BucketSplit): Float64Array {
  const scale = split.trainOrders > 0 ? split.heldOrders / split.trainOrders : 0;
  return predictRows(model, split.test).map((p) => Math.max(p, 0) * scale);
}

function score(predicted: Float64Array, split: BucketSplit): Metrics {
  return {
    ...regressionMetrics(split.test.y, predicted),
    deviance: poissonDeviance(split.test.y, predicted),
  };
}

export function noiseFloor(holdout: OrderHoldout, heldOrders: number): number {
  const total = holdout.bucketOrders.reduce((s, n) => s + n, 0);
  let sum = 0;
  for (let g = 0; g < holdout.squares.length; g++) sum += holdout.squares[g];
  return total > 0 ? Math.sqrt((sum * (heldOrders / total)) / holdout.squares.length) : Number.NaN;
}

/** The options with the data's count dispersion given to the hierarchical model (unless already set). */
export function withDispersion(options: EvaluationOptions, dispersion: number): EvaluationOptions {
  return {
    ...options,
    hyperparameters: {
      ...options.hyperparameters,
      hierarchical_poisson: { dispersion, ...options.hyperparameters?.hierarchical_poisson },
      model_average: { dispersion, ...options.hyperparameters?.model_average },
    },
  };
}

/**
 * The held-out bucket: bucket 0 (the peers' rule), or — when no order of the data is in it, as in a file that is
 * itself the training side of a bucket-0 split — the first bucket that has orders.
 */
function heldOutBucket(holdout: OrderHoldout): number {
  if (holdout.bucketOrders[HOLDOUT_BUCKET] > 0) return HOLDOUT_BUCKET;
  const first = holdout.bucketOrders.findIndex((n) => n > 0);
  return first < 0 ? HOLDOUT_BUCKET : first;
}

/** The K folds' splits; a fold without held-out orders (an empty bucket) is left out. */
function foldSplits(set: TrainingSet, holdout: OrderHoldout, k: number): BucketSplit[] {
  if (k < 2) return [];
  return Array.from({ length: k }, (_, f) => splitByBuckets(set, holdout, (b) => b % k === f)).filter(
    (split) => split.heldOrders > 0 && split.trainOrders > 0,
  );
}

interface Scored {
  result: CandidateResult;
  predicted: Float64Array;
  foldPredictions: Float64Array[];
}

function scoreCandidate(
  learner: Learner,
  options: EvaluationOptions,
  main: BucketSplit,
  floor: number,
  folds: readonly BucketSplit[],
): Scored {
  const hyperparameters: Hyperparameters = {
    ...learner.defaults,
    ...options.hyperparameters?.[learner.algorithm],
  };
  const t0 = performance.now();
  const model = learner.fit(main.train, hyperparameters, options.seed);
  const trainMs = performance.now() - t0;
  const predicted = scaledPredictions(model, main);
  const holdoutMetrics = score(predicted, main);
  const result: CandidateResult = {
    algorithm: learner.algorithm,
    label: learner.label,
    hyperparameters,
    holdout: holdoutMetrics,
    trainMs,
    floorDistance: holdoutMetrics.rmse - floor,
  };
  const foldPredictions = folds.map((f) =>
    scaledPredictions(learner.fit(f.train, hyperparameters, options.seed), f),
  );
  if (folds.length > 0) Object.assign(result, foldSummary(foldPredictions.map((p, i) => score(p, folds[i]))));
  return { result, predicted, foldPredictions };
}

/**
 * Every candidate on the held-out bucket and, with `folds` ≥ 2, on the K folds of order buckets; the chosen one
 * is the lowest mean RMSE over the folds (lower than one split's RMSE can be by chance), else the lowest holdout
 * RMSE, and is refit on all orders.
 */
export function evaluateByOrders(
  set: TrainingSet,
  holdout: OrderHoldout,
  options: EvaluationOptions,
): Evaluation {
  if (options.folds > BUCKETS)
    throw new UsageError(`--folds ${options.folds}: folds are order buckets, at most ${BUCKETS}`);
  const learners = options.learners ?? LEARNERS;
  const held = heldOutBucket(holdout);
  const main = splitByBuckets(set, holdout, (b) => b === held);
  const floor = noiseFloor(holdout, main.heldOrders);
  const folds = foldSplits(set, holdout, options.folds);
  const scored = learners.map((learner) => scoreCandidate(learner, options, main, floor, folds));
  const candidates = scored.map((s) => s.result);
  const rank = (c: CandidateResult): number => c.crossValidation?.rmse ?? c.holdout.rmse;
  const bestIndex = candidates.reduce((bi, c, i) => (rank(c) < rank(candidates[bi]) ? i : bi), 0);
  const best = candidates[bestIndex];
  const learner = learners[bestIndex];
  const orders: OrderSplitSummary = {
    heldOrders: main.heldOrders,
    trainOrders: main.trainOrders,
    totalOrders: main.heldOrders + main.trainOrders,
    scale: main.trainOrders > 0 ? main.heldOrders / main.trainOrders : 0,
    noiseFloor: floor,
    heldBucket: held,
    ...(folds.length > 0
      ? { folds: folds.length, foldNoiseFloor: folds.map((f) => noiseFloor(holdout, f.heldOrders)) }
      : {}),
  };
  return {
    candidates,
    best,
    // Refit on every order: the served model predicts items per cell over all the data held.
    model: learner.fit(set.rows, best.hyperparameters, options.seed),
    trainRows: main.train.length,
    testRows: main.test.length,
    test: main.test,
    orders,
    testPredictions: scored[bestIndex].predicted,
    folds: folds.map((f, i) => ({
      test: f.test,
      predictions: scored[bestIndex].foldPredictions[i],
      noiseFloor: orders.foldNoiseFloor![i],
    })),
  };
}
