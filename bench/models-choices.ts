// bench:models --choices — the checks behind the model settings (docs/design-notes.md §6), on the real orders and
// both fold rules of models-real.ts: HierPoisson's prior strengths ×κ per level, PoissonGBM's tree settings and
// ModelAverage's weights, each as a variant learner scored by the same K-fold over order folds. Recorded as the
// `model-choices` rows of bench/results.md.
import { averageLearner } from '../src/ml/average.js';
import { gbmLearner } from '../src/ml/gbm.js';
import { hierarchicalLearner } from '../src/ml/hierarchical.js';
import { dispersionOf } from '../src/ml/intervals.js';
import type { Hyperparameters, Learner } from '../src/ml/model.js';
import { evaluateByOrders, withDispersion } from '../src/ml/order-evaluation.js';
import { formatTable } from '../src/ml/report.js';
import { readWideOrders } from './real-orders.js';

function variant(learner: Learner, label: string, params: Hyperparameters): Learner {
  return { ...learner, label, defaults: { ...learner.defaults, ...params } };
}

const asLearner = (l: unknown): Learner => l as Learner;

function variants(): Learner[] {
  const hier = asLearner(hierarchicalLearner);
  const gbm = asLearner(gbmLearner);
  const average = asLearner(averageLearner);
  const out: Learner[] = [];
  for (const k of [0.25, 0.5, 1, 2, 4]) {
    out.push(variant(hier, `HierPoisson shares κ=${k}`, { shareStrength: k }));
    if (k !== 1) out.push(variant(hier, `HierPoisson volume κ=${k}`, { volumeStrength: k }));
  }
  out.push(variant(gbm, 'PoissonGBM defaults (depth 3 × 300, lr 0.05)', {}));
  out.push(variant(gbm, 'PoissonGBM depth 4 × 200', { maxDepth: 4, trees: 200 }));
  out.push(variant(gbm, 'PoissonGBM depth 2 × 500', { maxDepth: 2, trees: 500 }));
  out.push(variant(gbm, 'PoissonGBM lr 0.1 × 150', { learningRate: 0.1, trees: 150 }));
  const weightings: [string, number, number, number][] = [
    ['⅓ ⅓ ⅓ (default)', 1, 1, 1],
    ['½ ½ 0', 1, 1, 0],
    ['½ 0 ½', 1, 0, 1],
    ['0 ½ ½', 0, 1, 1],
    ['0.4 0.4 0.2', 2, 2, 1],
    ['¼ ¼ ½', 1, 1, 2],
  ];
  for (const [name, hierarchical, gbm, forest] of weightings)
    out.push(variant(average, `ModelAverage hier/gbm/forest ${name}`, { hierarchical, gbm, forest }));
  return out;
}

export function modelChoices(file: string): { figures: Record<string, string>; lines: string[] } {
  const figures: Record<string, string> = {};
  const table: string[][] = [];
  for (const byte of [0, 1]) {
    const { set, holdout } = readWideOrders(file, byte);
    const ev = evaluateByOrders(
      set,
      holdout,
      withDispersion({ split: 'random', folds: 5, seed: 42, learners: variants() }, dispersionOf(holdout)),
    );
    const rule = byte === 0 ? 'buckets' : 'md5[1]';
    for (const c of ev.candidates) {
      const value = `${c.crossValidation!.rmse.toFixed(4)} ± ${c.foldRmseSd!.toFixed(4)}`;
      figures[`real ${ev.orders!.folds}-fold ${rule}: ${c.label} — mean RMSE ± sd`] = value;
      table.push([rule, c.label, value]);
    }
  }
  return { figures, lines: formatTable(['folds', 'variant', 'mean RMSE ± sd'], table) };
}
