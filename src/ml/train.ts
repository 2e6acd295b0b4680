// The training stage behind `orderflow train`: read all the data held (training-inputs.ts), skip when a version
// was already trained on exactly this data, evaluate every candidate, compare the best with the champion on the
// challenger's holdout (champion.ts), register the version either way, and move the current pointer only when
// the challenger won. Every promotion and rejection is logged (promotions.ts), so the current version never
// regresses on the data it is judged on, and `models rollback` can undo a promotion.
import type { DataPaths } from '../base/config.js';
import type { Db } from '../store/db.js';
import {
  artifactFile,
  readArtifact,
  readCurrentPointer,
  setCurrentPointer,
  type EvaluationSummary,
} from './artifact.js';
import { decidePromotion, totalOf } from './champion.js';
import type { PromotionDecision } from './artifact.js';
import { buildTrainingSet, type TrainingMode, type TrainingSet } from './dataset.js';
import { evaluateCandidates, type CandidateResult, type Evaluation } from './evaluate.js';
import type { Algorithm, Hyperparameters } from './model.js';
import { categoryDispersionOf, dispersionOf } from './intervals.js';
import { readLineage } from './lineage.js';
import { evaluateByOrders, withDispersion } from './order-evaluation.js';
import { learnerFor } from './learners.js';
import { readOrderHoldout } from './order-holdout.js';
import { loadCurrentModel } from './predictor.js';
import { PROMOTION_LOCK_KEY, recordPromotion } from './promotions.js';
import { BUCKETS } from '../ingest/read/order-bucket.js';
import { ModelRegistry, type ModelVersionRecord } from './registry.js';
import type { SplitMethod } from './split.js';
import { readTrainingInputs, resolveTrainingInputs } from './training-inputs.js';

export interface TrainOptions {
  /** Aggregate CSV; replaces the defaults (the batch aggregate plus the incremental output). */
  input?: string;
  /** Train on the aggregate rows alone instead of the full grid with zeros. @defaultValue false */
  nonzeroOnly?: boolean;
  /**
   * `orders`: judge candidates on held-out orders when every input carries an order holdout (else on cells, and
   * the evaluation says why); `cells`: always hold out cells (`split`). @defaultValue 'orders'
   */
  holdout?: 'orders' | 'cells';
  /** How cells are held out when they are. @defaultValue 'random' */
  split?: SplitMethod;
  /**
   * K-fold cross-validation on top of the holdout; 0 = off. Its fold spread is the margin a challenger must win
   * by. @defaultValue 5 when orders are held out (one fold per order bucket), else 0
   */
  folds?: number;
  /** @defaultValue 42 */
  seed?: number;
  /**
   * Train and register even when a version was trained on the same data, and make it current even when it does
   * not beat the champion (the comparison is still recorded). @defaultValue false
   */
  force?: boolean;
  hyperparameters?: Partial<Record<Algorithm, Hyperparameters>>;
  /**
   * Refit the current model's algorithm on the new data (one learner, no K-fold) instead of choosing among all
   * candidates: what the scheduled training does on each new generation, so that new data is served in about a
   * second. Choosing (every candidate, K-fold, the fold-noise margin) happens when there is no current model, on
   * `orderflow train` and on a manual trigger of the training DAG. @defaultValue false
   */
  refitOnly?: boolean;
}

export interface TrainResult {
  /**
   * `trained`: a new version became current; `rejected`: a new version was registered but lost to the champion;
   * `unchanged`: a version was already trained on this data, nothing trained.
   */
  status: 'trained' | 'rejected' | 'unchanged';
  /** The version this call is about: the new one (trained, rejected) or the current one (unchanged). */
  version: string;
  /** The current version after this call. */
  currentVersion: string;
  previousVersion: string | null;
  algorithm: Algorithm;
  /** Every aggregate summed into the training data, joined with ", " (see `inputs`). */
  inputPath: string;
  inputs: string[];
  trainingMode: TrainingMode;
  fingerprint: string;
  trainingRows: number;
  /** Total items of the training data. */
  totalItems: number;
  /** This training's candidates (for `unchanged`: those of the current model's training). */
  candidates: CandidateResult[];
  artifactPath: string;
  evaluation: EvaluationSummary;
  /** The comparison with the champion (absent for `unchanged`). */
  decision?: PromotionDecision;
  /** With `unchanged`: the version already trained on this data. */
  sameDataAs?: string;
  totalMs: number;
}

interface Prepared {
  inputs: string[];
  mode: TrainingMode;
  set: TrainingSet;
  totalItems: number;
  started: number;
}

async function unchanged(
  p: Prepared,
  same: Pick<ModelVersionRecord, 'version'>,
  current: string | null,
  modelsDir: string,
): Promise<TrainResult> {
  const artifact = await readArtifact(artifactFile(modelsDir, current ?? same.version));
  const version = artifact?.version ?? same.version;
  return {
    status: 'unchanged',
    version,
    currentVersion: version,
    previousVersion: version,
    algorithm: artifact?.algorithm ?? 'poisson_glm',
    inputPath: p.inputs.join(', '),
    inputs: p.inputs,
    trainingMode: p.mode,
    fingerprint: p.set.fingerprint,
    trainingRows: p.set.rows.length,
    totalItems: p.totalItems,
    candidates: artifact?.candidates ?? [],
    artifactPath: artifactFile(modelsDir, version),
    evaluation: artifact?.evaluation ?? { split: 'random', folds: 0, seed: 42, trainRows: 0, testRows: 0 },
    sameDataAs: same.version,
    totalMs: performance.now() - p.started,
  };
}

/** The candidates evaluated on the chosen holdout, and what the registry records about that evaluation. */
interface Judged {
  ev: Evaluation;
  evaluation: EvaluationSummary;
  dispersion: ReturnType<typeof dispersionOf> | null;
  categoryDispersion: ReturnType<typeof categoryDispersionOf> | null;
  /** What the held-out data weighs (orders and items), for the champion comparison. */
  volume: { orders: number | null; items: number };
}

/** Evaluates the candidates (or, with refitOnly, the current model's algorithm) on orders or cells held out. */
async function judgeCandidates(
  prepared: Prepared,
  options: TrainOptions,
  current: { algorithm: Algorithm } | undefined,
): Promise<Judged> {
  const { inputs, set } = prepared;
  const byOrders =
    (options.holdout ?? 'orders') === 'orders'
      ? await readOrderHoldout(inputs, set)
      : { holdout: null, reason: 'cells held out (--holdout cells)' };
  const refit = options.refitOnly && current ? learnerFor(current.algorithm) : undefined;
  const evaluationOptions = {
    split: options.split ?? 'random',
    folds: refit ? 0 : (options.folds ?? (byOrders.holdout ? BUCKETS : 0)),
    seed: options.seed ?? 42,
    hyperparameters: options.hyperparameters,
    ...(refit ? { learners: [refit] } : {}),
  };
  const dispersion = byOrders.holdout ? dispersionOf(byOrders.holdout) : null;
  const categoryDispersion = byOrders.holdout
    ? categoryDispersionOf(byOrders.holdout, set.categories.length)
    : null;
  const ev: Evaluation = byOrders.holdout
    ? evaluateByOrders(set, byOrders.holdout, withDispersion(evaluationOptions, dispersion!))
    : evaluateCandidates(set, evaluationOptions);
  const evaluation: EvaluationSummary = {
    method: ev.orders ? 'orders' : 'cells',
    ...(ev.orders ? { orders: ev.orders } : {}),
    note: byOrders.reason,
    split: evaluationOptions.split,
    folds: evaluationOptions.folds,
    seed: evaluationOptions.seed,
    trainRows: ev.trainRows,
    testRows: ev.testRows,
  };
  let heldItems = 0;
  for (let i = 0; i < ev.test.length; i++) heldItems += ev.test.y[i];
  const volume = ev.orders
    ? { orders: ev.orders.heldOrders, items: heldItems }
    : { orders: null, items: prepared.totalItems };
  return { ev, evaluation, dispersion, categoryDispersion, volume };
}

/** The new version's artifact: the best candidate, its data, lineage, evaluation and the decision. */
async function versionArtifact(prepared: Prepared, judged: Judged, decision: PromotionDecision) {
  const { inputs, mode, set } = prepared;
  const { ev, evaluation, dispersion, categoryDispersion } = judged;
  return {
    format: 'orderflow-model' as const,
    formatVersion: 1 as const,
    algorithm: ev.best.algorithm,
    hyperparameters: ev.best.hyperparameters,
    categories: set.categories,
    trainingMode: mode,
    fingerprint: set.fingerprint,
    trainingRows: set.rows.length,
    inputPath: inputs.join(', '),
    inputs,
    lineage: await readLineage(inputs),
    totalItems: prepared.totalItems,
    ...(ev.orders ? { orders: ev.orders.totalOrders } : {}),
    ...(dispersion !== null ? { dispersion } : {}),
    ...(categoryDispersion !== null ? { categoryDispersion } : {}),
    metrics: { holdout: ev.best.holdout, crossValidation: ev.best.crossValidation },
    candidates: ev.candidates,
    evaluation,
    decision,
    state: ev.model.state(),
  };
}

/**
 * In one transaction under the promotion lock: compare with the champion, register the version, log the
 * promotion or rejection, and move the current pointer when the challenger won.
 */
async function registerVersion(
  db: Db,
  modelsDir: string,
  prepared: Prepared,
  judged: Judged,
  force: boolean | undefined,
): Promise<TrainResult> {
  const { inputs, mode, set, started } = prepared;
  const { ev, evaluation, volume } = judged;
  return db.transaction(async (tx) => {
    // One promotion at a time: the champion read here is still current when the pointer moves.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PROMOTION_LOCK_KEY]);
    const champion = await loadCurrentModel(modelsDir);
    const decision = decidePromotion({
      challengerHoldout: ev.best.holdout,
      champion,
      test: ev.test,
      categories: set.categories,
      volume,
      force,
      foldNoise: ev.best.foldRmseSd,
      refit: champion?.algorithm === ev.best.algorithm,
    });
    const { artifact, file } = await new ModelRegistry(tx, modelsDir).register(
      await versionArtifact(prepared, judged, decision),
    );
    await recordPromotion(tx, {
      version: artifact.version,
      previousVersion: champion?.version ?? null,
      action: decision.promoted ? 'promoted' : 'rejected',
      challengerRmse: decision.challengerHoldout.rmse,
      championRmse: decision.championHoldout?.rmse ?? null,
      reason: decision.reason,
    });
    if (decision.promoted) await setCurrentPointer(modelsDir, artifact.version);
    return {
      status: decision.promoted ? 'trained' : 'rejected',
      version: artifact.version,
      currentVersion: decision.promoted ? artifact.version : (champion?.version ?? artifact.version),
      previousVersion: champion?.version ?? null,
      algorithm: artifact.algorithm,
      inputPath: artifact.inputPath ?? '',
      inputs,
      trainingMode: mode,
      fingerprint: set.fingerprint,
      trainingRows: set.rows.length,
      totalItems: prepared.totalItems,
      candidates: ev.candidates,
      artifactPath: file,
      evaluation,
      decision,
      totalMs: performance.now() - started,
    };
  });
}

/**
 * `deps.db` may be a function opening the store: it is then called only when the data differs from the current
 * model's, so an unchanged check (the scheduler's frequent case) never opens the metadata store.
 */
export async function trainModels(
  deps: { db: Db | (() => Promise<Db>); paths: DataPaths },
  options: TrainOptions = {},
): Promise<TrainResult> {
  const started = performance.now();
  const { modelsDir } = deps.paths;
  const inputs = await resolveTrainingInputs(deps.paths, options.input);
  const mode: TrainingMode = options.nonzeroOnly ? 'nonzero' : 'grid';
  const set = buildTrainingSet(await readTrainingInputs(inputs), mode);
  const prepared: Prepared = { inputs, mode, set, totalItems: totalOf(set.rows), started };

  const pointer = await readCurrentPointer(modelsDir);
  const current = pointer ? await readArtifact(artifactFile(modelsDir, pointer.version)) : undefined;
  if (current && current.fingerprint === set.fingerprint && !options.force)
    return unchanged(prepared, current, current.version, modelsDir);
  const db = typeof deps.db === 'function' ? await deps.db() : deps.db;
  const registry = new ModelRegistry(db, modelsDir);
  if (!options.force) {
    const same = await registry.findByFingerprint(set.fingerprint);
    if (same) return unchanged(prepared, same, pointer?.version ?? null, modelsDir);
  }
  const judged = await judgeCandidates(prepared, options, current);
  return registerVersion(db, modelsDir, prepared, judged, options.force);
}
