// Model artifacts on disk: DATA_DIR/models/<version>.json (the model) and DATA_DIR/models/current.json (the
// pointer naming the served version). Both are written atomically (temp file + rename); the pointer moves only
// after the artifact it names is complete, so a reader sees the old model or the new one, never half of one.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../data/atomic.js';
import { InputError } from '../base/errors.js';
import type { TrainingMode } from './dataset.js';
import type { CandidateResult, OrderSplitSummary } from './evaluate.js';
import type { Metrics } from './metrics.js';
import type { Algorithm, Hyperparameters } from './model.js';
import type { SplitMethod } from './split.js';

export interface InputLineage {
  /** The aggregate CSV. */
  aggregate: string;
  /** Files summed into it (batch: the raw day files; incremental: paths under incremental/raw); null if unknown. */
  files: string[] | null;
  /** Ledger generation of the incremental output (null for the batch aggregate or when unknown). */
  generation: number | null;
}

export interface PromotionDecision {
  /** Whether the challenger became (or, without a champion, is) the current version. */
  promoted: boolean;
  /** The champion it was compared with, null when there was no current model. */
  champion: string | null;
  /** The challenger's chosen candidate on its holdout. */
  challengerHoldout: Metrics;
  /** The champion re-scored on the same held-out cells (null without a champion). */
  championHoldout: Metrics | null;
  /** Factor applied to the champion's predictions (see championScale; null without a champion). */
  scale: number | null;
  /** The margin the challenger had to win by: its fold RMSE's standard deviation (0 without folds). */
  foldNoise?: number;
  /** One line saying why, for logs, the registry and the dashboard. */
  reason: string;
}

export const ARTIFACT_FORMAT = 'orderflow-model';
export const ARTIFACT_FORMAT_VERSION = 1;
export const POINTER_FILE = 'current.json';

export interface EvaluationSummary {
  /** `orders`: judged on held-out orders (bucket 0); `cells`: on held-out cells (`split`). Absent: cells. */
  method?: 'orders' | 'cells';
  /** With `orders`: the order split and the noise floor. */
  orders?: OrderSplitSummary;
  /** Why this method was used (e.g. why orders could not be held out). */
  note?: string;
  split: SplitMethod;
  folds: number;
  seed: number;
  trainRows: number;
  testRows: number;
}

export interface ModelArtifact {
  format: typeof ARTIFACT_FORMAT;
  formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  version: string;
  algorithm: Algorithm;
  hyperparameters: Hyperparameters;
  /** Category names; a category's index in the model is its position here. */
  categories: string[];
  trainingMode: TrainingMode;
  fingerprint: string;
  trainingRows: number;
  inputPath: string | null;
  createdAt: string;
  metrics: { holdout: Metrics; crossValidation?: Metrics };
  candidates: CandidateResult[];
  evaluation: EvaluationSummary;
  /** Total items of the training data (what the per-cell predictions add up to); absent in older artifacts. */
  totalItems?: number;
  /** Orders in the training data, when the inputs carry an order holdout; absent otherwise. */
  orders?: number;
  /** φ = Σ squared per-order counts / Σ items of the training data: intervals use variance φ × prediction. */
  dispersion?: number;
  /**
   * φ per category (same order as `categories`), Σ squares / Σ items of that category: aisles bought in packs
   * (baby food, water) are far more over-dispersed than the pooled φ says. Absent in older artifacts.
   */
  categoryDispersion?: number[];
  /** Every aggregate the training data was summed from, in order; absent in older artifacts (see inputPath). */
  inputs?: string[];
  /** Every input's files and ledger generation (lineage.ts); absent in older artifacts. */
  lineage?: InputLineage[];
  /** How this version compared with the champion when it was trained; absent in older artifacts. */
  decision?: PromotionDecision;
  /** The learner's state (see each learner's `state()`). */
  state: unknown;
}

export interface CurrentPointer {
  version: string;
  /** Artifact file name inside the models folder. */
  artifact: string;
  updatedAt: string;
}

export const artifactFile = (modelsDir: string, version: string): string =>
  path.join(modelsDir, `${version}.json`);

export async function writeArtifact(modelsDir: string, artifact: ModelArtifact): Promise<string> {
  const file = artifactFile(modelsDir, artifact.version);
  await writeFileAtomic(file, JSON.stringify(artifact));
  return file;
}

async function readJson(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/** The artifact at `file`, or undefined when the file does not exist; InputError when it is not an artifact. */
export async function readArtifact(file: string): Promise<ModelArtifact | undefined> {
  const raw = (await readJson(file)) as Partial<ModelArtifact> | undefined;
  if (raw === undefined) return undefined;
  if (
    raw.format !== ARTIFACT_FORMAT ||
    raw.formatVersion !== ARTIFACT_FORMAT_VERSION ||
    typeof raw.version !== 'string' ||
    typeof raw.algorithm !== 'string' ||
    !Array.isArray(raw.categories)
  ) {
    throw new InputError(
      `${file}: not an orderflow model artifact (format ${ARTIFACT_FORMAT} v${ARTIFACT_FORMAT_VERSION})`,
    );
  }
  return raw as ModelArtifact;
}

export async function readCurrentPointer(modelsDir: string): Promise<CurrentPointer | undefined> {
  const file = path.join(modelsDir, POINTER_FILE);
  const raw = (await readJson(file)) as Partial<CurrentPointer> | undefined;
  if (raw === undefined) return undefined;
  if (typeof raw.version !== 'string' || typeof raw.artifact !== 'string' || raw.artifact.includes('/')) {
    throw new InputError(`${file}: expected {"version", "artifact"} naming a file in ${modelsDir}`);
  }
  return raw as CurrentPointer;
}

/** Moves the current pointer to `version` (its artifact must already be written). */
export async function setCurrentPointer(modelsDir: string, version: string): Promise<CurrentPointer> {
  const pointer: CurrentPointer = {
    version,
    artifact: path.basename(artifactFile(modelsDir, version)),
    updatedAt: new Date().toISOString(),
  };
  await writeFileAtomic(path.join(modelsDir, POINTER_FILE), JSON.stringify(pointer, null, 2) + '\n');
  return pointer;
}
