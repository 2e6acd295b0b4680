// Decision tree and random forest learners on top of the histogram tree grower.
// Category order: trees split a category feature by threshold, so the order of category codes matters.
// `target` (default) ranks categories by their mean items_count in the training rows, which lets one
// threshold separate busy from quiet aisles; `index` keeps the alphabetical index (scikit-learn's encoding).
import type { Hyperparameters, Learner } from './model.js';
import { createRng } from './random.js';
import type { Rows } from './rows.js';

import { TreeEnsemble } from './ensemble.js';
import { growTree, packFeatures, type BinnedFeatures, type TreeNodes } from './tree.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface TreeParams extends Hyperparameters {
  /** @defaultValue 10 */
  maxDepth: number;
  /** @defaultValue 2 */
  minSamplesSplit: number;
  /** @defaultValue 1 */
  minSamplesLeaf: number;
  /** Features considered per split (of day, hour, category). @defaultValue 3 */
  maxFeatures: number;
  /** @defaultValue 'target' */
  categoryOrder: 'target' | 'index';
}

export interface ForestParams extends TreeParams {
  /** @defaultValue 20 */
  trees: number;
  /** Each tree trains on a bootstrap sample (drawn with replacement). @defaultValue true */
  bootstrap: boolean;
}

/** Rank of each category in the order trees split on. */
function categoryRanks(rows: Rows, order: 'target' | 'index'): Uint16Array {
  const c = rows.categoryCount;
  const rank = new Uint16Array(c);
  if (order === 'index') {
    for (let i = 0; i < c; i++) rank[i] = i;
    return rank;
  }
  const sum = new Float64Array(c);
  const n = new Float64Array(c);
  for (let i = 0; i < rows.length; i++) {
    sum[rows.cat[i]] += rows.y[i];
    n[rows.cat[i]] += 1;
  }
  const mean = (k: number): number => (n[k] > 0 ? sum[k] / n[k] : Number.POSITIVE_INFINITY);
  const byMean = Array.from({ length: c }, (_, i) => i).sort((a, b) => mean(a) - mean(b) || a - b);
  byMean.forEach((cat, r) => (rank[cat] = r));
  return rank;
}

function binned(rows: Rows, rank: Uint16Array): BinnedFeatures {
  const catBins = new Uint16Array(rows.length);
  for (let i = 0; i < rows.length; i++) catBins[i] = rank[rows.cat[i]];
  return { bins: [rows.day, rows.hour, catBins], binCounts: [DAYS, HOURS, Math.max(1, rows.categoryCount)] };
}

function fitTrees(rows: Rows, params: ForestParams, seed: number): { trees: TreeNodes[]; rank: Uint16Array } {
  const rank = categoryRanks(rows, params.categoryOrder);
  const features = binned(rows, rank);
  const packed = packFeatures(features);
  const rng = createRng(seed);
  const n = rows.length;
  const trees: TreeNodes[] = [];
  for (let t = 0; t < params.trees; t++) {
    const weight = new Float64Array(n);
    let idx: Uint32Array;
    if (params.bootstrap) {
      for (let i = 0; i < n; i++) weight[rng.int(n)] += 1;
      let m = 0;
      for (let i = 0; i < n; i++) if (weight[i] > 0) m++;
      idx = new Uint32Array(m);
      for (let i = 0, j = 0; i < n; i++) if (weight[i] > 0) idx[j++] = i;
    } else {
      weight.fill(1);
      idx = Uint32Array.from({ length: n }, (_, i) => i);
    }
    trees.push(growTree(packed, features.binCounts, rows.y, weight, idx, params, rng));
  }
  return { trees, rank };
}

export const decisionTreeLearner: Learner<TreeParams> = {
  algorithm: 'decision_tree',
  label: 'DecisionTree',
  defaults: { maxDepth: 10, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 3, categoryOrder: 'target' },
  fit(rows, params, seed) {
    const { trees, rank } = fitTrees(rows, { ...params, trees: 1, bootstrap: false }, seed);
    return new TreeEnsemble('decision_tree', trees, rank);
  },
  restore: (state, categoryCount) => TreeEnsemble.restore('decision_tree', state, categoryCount),
};

export const randomForestLearner: Learner<ForestParams> = {
  algorithm: 'random_forest',
  label: 'RandomForest',
  defaults: {
    trees: 20,
    maxDepth: 10,
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
    maxFeatures: 3,
    bootstrap: true,
    categoryOrder: 'target',
  },
  fit(rows, params, seed) {
    const { trees, rank } = fitTrees(rows, params, seed);
    return new TreeEnsemble('random_forest', trees, rank);
  },
  restore: (state, categoryCount) => TreeEnsemble.restore('random_forest', state, categoryCount),
};
