// HierGBMBlend: the average of two different kinds of model of the same grid — HierPoisson (multiplicative
// structure, empirical-Bayes shrinkage toward margins) and PoissonGBM (trees on the Poisson deviance, which find
// interactions the hierarchy does not assume). Their errors are only partly correlated, so the average is closer
// to the true rates than either wherever both are unbiased. The weight is 1/2 a priori: over K-fold by order
// buckets on the real orders every weight from 0.3 to 0.7 scored within 0.0006 RMSE of it, on every fold better
// than either model alone (docs/design-notes.md §6), so it is not a tuned constant.
import { GBM_DEFAULTS, fitGbmGrid } from './gbm.js';
import { GridModel } from './grid-model.js';
import { fitHierarchical, hierarchicalLearner } from './hierarchical.js';
import type { Hyperparameters, Learner } from './model.js';

export interface BlendParams extends Hyperparameters {
  /** Weight of PoissonGBM (1 − weight: HierPoisson). @defaultValue 0.5 */
  weight: number;
  /** φ for HierPoisson (see HierarchicalParams.dispersion); 0 = estimate it. @defaultValue 0 */
  dispersion: number;
}

export const blendLearner: Learner<BlendParams> = {
  algorithm: 'hierarchical_gbm_blend',
  label: 'HierGBMBlend',
  defaults: { weight: 0.5, dispersion: 0 },
  fit(rows, params) {
    const hier = fitHierarchical(rows, { ...hierarchicalLearner.defaults, dispersion: params.dispersion });
    const gbm = fitGbmGrid(rows, GBM_DEFAULTS);
    const w = params.weight;
    const grid = gbm.map((v, i) => w * v + (1 - w) * hier.grid[i]);
    return new GridModel('hierarchical_gbm_blend', grid, rows.categoryCount, {
      weight: w,
      ...hier.shrinkage,
    });
  },
  restore: (state, categoryCount) => GridModel.restore('hierarchical_gbm_blend', state, categoryCount),
};
