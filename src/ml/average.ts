// ModelAverage: the equal-weight average of three different kinds of model of the same grid — HierPoisson
// (multiplicative structure, empirical-Bayes shrinkage toward margins), PoissonGBM (boosted trees on the Poisson
// deviance) and RandomForest (bagged deep trees on squared error). They reach similar errors by different
// routes, so their errors are only partly correlated and the average is closer to the true rates than any of
// them. The weights are 1/3 a priori: over K-fold by order folds on the real orders, other weightings (½ ½ 0,
// ½ 0 ½, 0.4 0.4 0.2, ¼ ¼ ½) scored within 0.001 RMSE of it (docs/design-notes.md §6), so they are not tuned.
import { randomForestLearner } from './forest.js';
import { GBM_DEFAULTS, fitGbmGrid } from './gbm.js';
import { GridModel } from './grid-model.js';
import { fitHierarchical, hierarchicalLearner } from './hierarchical.js';
import type { Hyperparameters, Learner, Regressor } from './model.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface AverageParams extends Hyperparameters {
  /** Weight of HierPoisson. @defaultValue 1/3 */
  hierarchical: number;
  /** Weight of PoissonGBM. @defaultValue 1/3 */
  gbm: number;
  /** Weight of RandomForest (the weights are normalized to sum 1). @defaultValue 1/3 */
  forest: number;
  /** φ for HierPoisson (see HierarchicalParams.dispersion); 0 = estimate it. @defaultValue 0 */
  dispersion: number;
}

function gridOf(model: Regressor, C: number): Float64Array {
  if (model.predictGrid) return model.predictGrid();
  const grid = new Float64Array(DAYS * HOURS * C);
  for (let g = 0; g < grid.length; g++)
    grid[g] = model.predict(Math.floor(g / (HOURS * C)), Math.floor(g / C) % HOURS, g % C);
  return grid;
}

export const averageLearner: Learner<AverageParams> = {
  algorithm: 'model_average',
  label: 'ModelAverage',
  defaults: { hierarchical: 1 / 3, gbm: 1 / 3, forest: 1 / 3, dispersion: 0 },
  fit(rows, params, seed) {
    const sum = params.hierarchical + params.gbm + params.forest;
    const [wh, wg, wf] = [params.hierarchical / sum, params.gbm / sum, params.forest / sum];
    const hier = fitHierarchical(rows, { ...hierarchicalLearner.defaults, dispersion: params.dispersion });
    const grid = Float64Array.from(hier.grid, (v) => wh * v);
    if (wg > 0) fitGbmGrid(rows, GBM_DEFAULTS).forEach((v, i) => (grid[i] += wg * v));
    if (wf > 0) {
      const forest = randomForestLearner.fit(rows, randomForestLearner.defaults, seed);
      gridOf(forest, rows.categoryCount).forEach((v, i) => (grid[i] += wf * Math.max(v, 0)));
    }
    return new GridModel('model_average', grid, rows.categoryCount, {
      hierarchical: wh,
      gbm: wg,
      forest: wf,
      ...hier.shrinkage,
    });
  },
  restore: (state, categoryCount) => GridModel.restore('model_average', state, categoryCount),
};
