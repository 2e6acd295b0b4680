// PoissonGBM: gradient-boosted trees on the Poisson deviance (boost.ts) from the flat mean, with categories split
// as an unordered feature. The settings are LightGBM's peer settings (300 trees, learning rate 0.05) with
// shallow trees and a leaf floor of 20 expected items: checked by K-fold over order buckets on the real orders
// (docs/design-notes.md §6), not tuned to one split.
import { boostPoisson, type BoostGrowth } from './boost.js';
import { GridModel } from './grid-model.js';
import type { Hyperparameters, Learner } from './model.js';
import { type Rows } from './rows.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface GbmParams extends Hyperparameters, BoostGrowth {
  /** @defaultValue 300 */
  trees: number;
  /** @defaultValue 0.05 */
  learningRate: number;
  /** @defaultValue 3 */
  maxDepth: number;
  /** @defaultValue 20 */
  minHessian: number;
  /** @defaultValue 10 */
  lambda: number;
  /** @defaultValue 0.7 */
  maxDelta: number;
}

export const GBM_DEFAULTS: GbmParams = {
  trees: 300,
  learningRate: 0.05,
  maxDepth: 3,
  minHessian: 20,
  lambda: 10,
  maxDelta: 0.7,
};

/** The boosted grid from the flat mean of the rows. */
export function fitGbmGrid(rows: Rows, params: BoostGrowth): Float64Array {
  let total = 0;
  for (let i = 0; i < rows.length; i++) total += rows.y[i];
  const mean = rows.length > 0 ? total / rows.length : 0;
  const cells = DAYS * HOURS * rows.categoryCount;
  return boostPoisson(
    rows,
    new Float64Array(rows.length).fill(mean),
    new Float64Array(cells).fill(mean),
    params,
  );
}

export const gbmLearner: Learner<GbmParams> = {
  algorithm: 'poisson_gbm',
  label: 'PoissonGBM',
  defaults: GBM_DEFAULTS,
  fit(rows, params) {
    return new GridModel('poisson_gbm', fitGbmGrid(rows, params), rows.categoryCount, {
      trees: params.trees,
    });
  },
  restore: (state, categoryCount) => GridModel.restore('poisson_gbm', state, categoryCount),
};
