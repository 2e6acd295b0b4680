// What every learner produces and how learners are described, trained and restored from an artifact.
import type { Rows } from './rows.js';

export type Algorithm =
  | 'random_forest'
  | 'decision_tree'
  | 'linear_regression'
  | 'poisson_glm'
  | 'hierarchical_poisson'
  | 'poisson_gbm'
  | 'model_average';

/** Hyperparameters as stored in the registry and artifact (plain JSON values). */
export type Hyperparameters = Record<string, number | string | boolean>;

/** A trained model over integer-coded cells. */
export interface Regressor {
  readonly algorithm: Algorithm;
  /** Predicted items_count of one cell; day 0–6, hour 0–23, category index 0–C−1 (not validated here). */
  predict(day: number, hour: number, category: number): number;
  /** Optional fast path: every cell's prediction, index (day × 24 + hour) × categories + category. */
  predictGrid?(): Float64Array;
  /** The learned state, restorable with the learner's `restore`. */
  state(): unknown;
}

export interface Learner<P extends Hyperparameters = Hyperparameters> {
  readonly algorithm: Algorithm;
  /** Table name, e.g. "RandomForest". */
  readonly label: string;
  readonly defaults: P;
  fit(rows: Rows, params: P, seed: number): Regressor;
  /** Rebuilds a model from `state()` output; throws InputError on a malformed state. */
  restore(state: unknown, categoryCount: number): Regressor;
}
