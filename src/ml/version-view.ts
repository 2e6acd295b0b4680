// Model versions as one view — every candidate's metrics, which version is current, the promotion decision and
// the noise floor — for `orderflow models list --json`, the API (/api/models) and the dashboard's Models page.
import type { PromotionDecision } from './artifact.js';
import { readCurrentPointer } from './artifact.js';
import type { Metrics } from './metrics.js';
import { ModelRegistry } from './registry.js';
import type { Db } from '../store/db.js';

export interface ModelCandidate {
  algorithm: string;
  label: string;
  hyperparameters: Record<string, unknown>;
  holdout: Metrics;
  crossValidation?: Metrics;
  trainMs: number;
}

export interface ModelVersionView {
  version: string;
  algorithm: string;
  createdAt: string;
  current: boolean;
  trainingRows: number;
  trainingMode: string;
  categoryCount: number;
  metrics: { holdout: Metrics; crossValidation?: Metrics };
  candidates: ModelCandidate[];
  /** Champion against this version on this version's holdout when it was trained (null: before promotion rules). */
  decision: PromotionDecision | null;
  /** Noise floor of its held-out orders (null when cells were held out). */
  noiseFloor: number | null;
}

/** Every registered version, newest first, as the view. */
export async function modelVersionViews(db: Db, modelsDir: string): Promise<ModelVersionView[]> {
  const [records, pointer] = await Promise.all([
    new ModelRegistry(db, modelsDir).list(),
    readCurrentPointer(modelsDir),
  ]);
  return records.map((r) => ({
    version: r.version,
    algorithm: r.algorithm,
    createdAt: r.createdAt,
    current: r.version === pointer?.version,
    trainingRows: r.trainingRows,
    trainingMode: r.trainingMode,
    categoryCount: r.categoryCount,
    metrics: r.metrics,
    candidates: r.candidates,
    decision: r.decision ?? null,
    noiseFloor: r.evaluation.orders?.noiseFloor ?? null,
  }));
}
