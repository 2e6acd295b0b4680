// The training stage behind `orderflow train`: pick the aggregate, build the training rows, skip when the data
// is unchanged, evaluate every candidate, register the best as a new version, then move the current pointer.
import { access, open } from 'node:fs/promises';
import type { DataPaths } from '../config.js';
import { InputError } from '../errors.js';
import type { Db } from '../store/db.js';
import {
  artifactFile,
  readArtifact,
  readCurrentPointer,
  setCurrentPointer,
  type ModelArtifact,
} from './artifact.js';
import { buildTrainingSet, readAggregateCsv, type TrainingMode } from './dataset.js';
import { evaluateCandidates, type CandidateResult } from './evaluate.js';
import type { Algorithm, Hyperparameters } from './model.js';
import { ModelRegistry } from './registry.js';
import type { SplitMethod } from './split.js';

export interface TrainOptions {
  /** Aggregate CSV; wins over the defaults (incremental output, else the Part 1 output). */
  input?: string;
  /** Train on the aggregate rows alone instead of the full grid with zeros. @defaultValue false */
  nonzeroOnly?: boolean;
  /** @defaultValue 'random' */
  split?: SplitMethod;
  /** K-fold cross-validation on top of the holdout; 0 = off. @defaultValue 0 */
  folds?: number;
  /** @defaultValue 42 */
  seed?: number;
  /** Train and register even when the data fingerprint equals the current model's. @defaultValue false */
  force?: boolean;
  hyperparameters?: Partial<Record<Algorithm, Hyperparameters>>;
}

export interface TrainResult {
  /** `trained`: a new version became current; `unchanged`: same data as the current model, nothing trained. */
  status: 'trained' | 'unchanged';
  /** The current version after this call. */
  version: string;
  previousVersion: string | null;
  algorithm: Algorithm;
  inputPath: string;
  trainingMode: TrainingMode;
  fingerprint: string;
  trainingRows: number;
  /** This training's candidates (for `unchanged`: those of the current model's training). */
  candidates: CandidateResult[];
  artifactPath: string;
  evaluation: ModelArtifact['evaluation'];
  totalMs: number;
}

/** Whether a CSV exists and has a line after its header (only its first 64 KiB are read). */
async function hasDataRows(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(65_536), 0, 65_536, 0);
    const lines = buffer.subarray(0, bytesRead).toString('utf8').split('\n');
    return lines.slice(1).some((line) => line.trim() !== '');
  } finally {
    await handle.close();
  }
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** `--input` when given, else the incremental output when present, else the Part 1 aggregation output. */
export async function resolveTrainingInput(paths: DataPaths, explicit?: string): Promise<string> {
  if (explicit !== undefined) {
    if (!(await exists(explicit))) throw new InputError(`--input ${explicit}: no such file`);
    return explicit;
  }
  // The incremental output exists (header only) before the first day arrives: the full aggregate is then the
  // data to train on, not "no data rows".
  for (const candidate of [paths.incrementalCsv, paths.processedCsv])
    if (await hasDataRows(candidate)) return candidate;
  throw new InputError(
    `no aggregate to train on yet: neither ${paths.incrementalCsv} nor ${paths.processedCsv} has data rows; ` +
      'run `orderflow aggregate` (or the incremental stage) first, or pass --input AGGREGATE.csv',
  );
}

/**
 * `deps.db` may be a function opening the store: it is then called only when a new version is registered, so an
 * unchanged check (the scheduler's frequent case) never opens the metadata store.
 */
export async function trainModels(
  deps: { db: Db | (() => Promise<Db>); paths: DataPaths },
  options: TrainOptions = {},
): Promise<TrainResult> {
  const started = performance.now();
  const { modelsDir } = deps.paths;
  const inputPath = await resolveTrainingInput(deps.paths, options.input);
  const mode: TrainingMode = options.nonzeroOnly ? 'nonzero' : 'grid';
  const set = buildTrainingSet(await readAggregateCsv(inputPath), mode);

  const pointer = await readCurrentPointer(modelsDir);
  const current = pointer ? await readArtifact(artifactFile(modelsDir, pointer.version)) : undefined;
  if (current && current.fingerprint === set.fingerprint && !options.force) {
    return {
      status: 'unchanged',
      version: current.version,
      previousVersion: current.version,
      algorithm: current.algorithm,
      inputPath,
      trainingMode: mode,
      fingerprint: set.fingerprint,
      trainingRows: set.rows.length,
      candidates: current.candidates,
      artifactPath: artifactFile(modelsDir, current.version),
      evaluation: current.evaluation,
      totalMs: performance.now() - started,
    };
  }

  const evaluationOptions = {
    split: options.split ?? 'random',
    folds: options.folds ?? 0,
    seed: options.seed ?? 42,
    hyperparameters: options.hyperparameters,
  };
  const ev = evaluateCandidates(set, evaluationOptions);
  const evaluation = {
    split: evaluationOptions.split,
    folds: evaluationOptions.folds,
    seed: evaluationOptions.seed,
    trainRows: ev.trainRows,
    testRows: ev.testRows,
  };
  const { artifact, file } = await new ModelRegistry(
    typeof deps.db === 'function' ? await deps.db() : deps.db,
    modelsDir,
  ).register({
    format: 'orderflow-model',
    formatVersion: 1,
    algorithm: ev.best.algorithm,
    hyperparameters: ev.best.hyperparameters,
    categories: set.categories,
    trainingMode: mode,
    fingerprint: set.fingerprint,
    trainingRows: set.rows.length,
    inputPath,
    metrics: { holdout: ev.best.holdout, crossValidation: ev.best.crossValidation },
    candidates: ev.candidates,
    evaluation,
    state: ev.model.state(),
  });
  await setCurrentPointer(modelsDir, artifact.version);
  return {
    status: 'trained',
    version: artifact.version,
    previousVersion: pointer?.version ?? null,
    algorithm: artifact.algorithm,
    inputPath,
    trainingMode: mode,
    fingerprint: set.fingerprint,
    trainingRows: set.rows.length,
    candidates: ev.candidates,
    artifactPath: file,
    evaluation,
    totalMs: performance.now() - started,
  };
}
