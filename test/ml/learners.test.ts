// The learners recover known structure, are deterministic for a seed, and restore to identical predictions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTrainingSet, parseAggregateCsv } from '../../src/ml/dataset.js';
import { evaluateCandidates, predictRows } from '../../src/ml/evaluate.js';
import { decisionTreeLearner, randomForestLearner } from '../../src/ml/forest.js';
import { LEARNERS } from '../../src/ml/learners.js';
import { linearLearner } from '../../src/ml/linear.js';
import { regressionMetrics } from '../../src/ml/metrics.js';
import { poissonLearner } from '../../src/ml/poisson.js';
import { allocateRows, type Rows } from '../../src/ml/rows.js';
import { holdoutSplit, isMd5TestRow } from '../../src/ml/split.js';
import { syntheticAggregate } from './synthetic.js';

const CATEGORIES = 12;

/** Every grid cell once, target from `f`. */
function gridRows(f: (d: number, h: number, c: number) => number, categories = CATEGORIES): Rows {
  const rows = allocateRows(7 * 24 * categories, categories);
  let i = 0;
  for (let d = 0; d < 7; d++)
    for (let h = 0; h < 24; h++)
      for (let c = 0; c < categories; c++) {
        rows.day[i] = d;
        rows.hour[i] = h;
        rows.cat[i] = c;
        rows.y[i] = f(d, h, c);
        i++;
      }
  return rows;
}

const maxAbsError = (rows: Rows, predict: (d: number, h: number, c: number) => number): number => {
  let worst = 0;
  for (let i = 0; i < rows.length; i++) {
    worst = Math.max(worst, Math.abs(predict(rows.day[i], rows.hour[i], rows.cat[i]) - rows.y[i]));
  }
  return worst;
};

describe('learners', () => {
  const step = (d: number, h: number, c: number): number =>
    (h >= 9 && h < 17 ? 50 : 5) + (d >= 5 ? 20 : 0) + (c === 3 ? 7 : 0);

  test('decision tree › recovers a step function in day, hour and category exactly', () => {
    const rows = gridRows(step);
    const model = decisionTreeLearner.fit(
      rows,
      { ...decisionTreeLearner.defaults, categoryOrder: 'index' },
      1,
    );
    assert.ok(maxAbsError(rows, (d, h, c) => model.predict(d, h, c)) < 1e-9);
  });

  test('decision tree › max depth 1 makes a single split (two distinct predictions)', () => {
    const rows = gridRows(step);
    const model = decisionTreeLearner.fit(rows, { ...decisionTreeLearner.defaults, maxDepth: 1 }, 1);
    const values = new Set(Array.from(predictRows(model, rows)));
    assert.equal(values.size, 2);
  });

  test('random forest › recovers a step function within a small error', () => {
    const rows = gridRows(step);
    const model = randomForestLearner.fit(rows, randomForestLearner.defaults, 1);
    assert.ok(maxAbsError(rows, (d, h, c) => model.predict(d, h, c)) < 1.5);
  });

  test('linear regression › recovers an additive function of one-hot day, hour and category', () => {
    const rows = gridRows((d, h, c) => 3 + 2 * d + 0.5 * h + c * c);
    const model = linearLearner.fit(rows, { alpha: 1e-6 }, 1);
    assert.ok(maxAbsError(rows, (d, h, c) => model.predict(d, h, c)) < 1e-3);
  });

  test('poisson glm › recovers known rates from Poisson counts', () => {
    const agg = syntheticAggregate(40, 200, 11);
    const set = buildTrainingSet(agg.rows, 'grid');
    const model = poissonLearner.fit(set.rows, poissonLearner.defaults, 1);
    const index = new Map(agg.categories.map((c, i) => [c, i]));
    let relErr = 0;
    let n = 0;
    for (let d = 0; d < 7; d++)
      for (let h = 8; h < 20; h++)
        for (const name of agg.categories) {
          const truth = agg.rate(d, h, agg.categories.indexOf(name));
          relErr += Math.abs(model.predict(d, h, set.categories.indexOf(name)) - truth) / truth;
          n++;
        }
    assert.ok(index.size === 40);
    assert.ok(relErr / n < 0.06, `mean relative error ${(relErr / n).toFixed(4)}`);
  });

  test('poisson glm › never predicts a negative count and predicts zero for a category that never sold', () => {
    const rows = gridRows((d, h, c) => (c === 0 ? 0 : 1 + ((d + h + c) % 5)));
    const model = poissonLearner.fit(rows, poissonLearner.defaults, 1);
    assert.equal(model.predict(2, 10, 0), 0);
    assert.ok(Array.from(predictRows(model, rows)).every((p) => p >= 0));
  });

  for (const learner of LEARNERS) {
    test(`${learner.label} › same seed gives identical predictions, state round-trips exactly`, () => {
      const set = buildTrainingSet(syntheticAggregate(30, 20, 3).rows, 'nonzero');
      const a = learner.fit(set.rows, learner.defaults, 99);
      const b = learner.fit(set.rows, learner.defaults, 99);
      assert.deepEqual(predictRows(a, set.rows), predictRows(b, set.rows));
      const restored = learner.restore(JSON.parse(JSON.stringify(a.state())), set.rows.categoryCount);
      assert.deepEqual(predictRows(restored, set.rows), predictRows(a, set.rows));
    });
  }

  test('random forest › a different seed gives a different forest', () => {
    const set = buildTrainingSet(syntheticAggregate(30, 20, 3).rows, 'nonzero');
    const a = randomForestLearner.fit(set.rows, randomForestLearner.defaults, 1);
    const b = randomForestLearner.fit(set.rows, randomForestLearner.defaults, 2);
    assert.notDeepEqual(predictRows(a, set.rows), predictRows(b, set.rows));
  });

  test('restore › a malformed state is rejected', () => {
    assert.throws(() => randomForestLearner.restore({ trees: [] }, 3), /categoryRank/);
    assert.throws(
      () => linearLearner.restore({ intercept: 1, day: [1], hour: [], category: [] }, 3),
      /day\[7\]/,
    );
    assert.throws(() => poissonLearner.restore({ terms: 'nope', factors: [] }, 3), /terms/);
  });
});

describe('evaluation', () => {
  test('md5 split › matches the scikit-learn peer rule and is about 20 % of rows', () => {
    const set = buildTrainingSet(syntheticAggregate(134, 30, 7).rows, 'grid');
    const split = holdoutSplit(set.rows, set.categories, 'md5', 0);
    for (const i of split.test.subarray(0, 50)) {
      assert.ok(isMd5TestRow(set.rows.day[i], set.rows.hour[i], set.categories[set.rows.cat[i]]));
    }
    const fraction = split.test.length / set.rows.length;
    assert.ok(fraction > 0.17 && fraction < 0.23, `test fraction ${fraction}`);
    assert.equal(split.test.length + split.train.length, set.rows.length);
  });

  test('candidates › metrics for every learner, best has the lowest holdout RMSE, CV reported with folds', () => {
    const set = buildTrainingSet(syntheticAggregate(40, 30, 5).rows, 'grid');
    const ev = evaluateCandidates(set, { split: 'random', folds: 3, seed: 42 });
    assert.equal(ev.candidates.length, LEARNERS.length);
    const minRmse = Math.min(...ev.candidates.map((c) => c.holdout.rmse));
    assert.equal(ev.best.holdout.rmse, minRmse);
    assert.ok(ev.candidates.every((c) => c.crossValidation && Number.isFinite(c.crossValidation.rmse)));
    // The served model is the best learner refit on every row: it fits the training rows at least as well.
    const fit = regressionMetrics(set.rows.y, predictRows(ev.model, set.rows));
    assert.ok(fit.rmse <= ev.best.holdout.rmse * 1.05);
    assert.equal(ev.model.algorithm, ev.best.algorithm);
  });

  test('grid mode › fills zeros for unsold cells; nonzero mode keeps only aggregate rows', () => {
    const rows = parseAggregateCsv(
      'day_of_week,hour_of_day,category,items_count\n0,1,b,3\n6,23,a,2\n0,1,b,4\n',
      'x.csv',
    );
    const grid = buildTrainingSet(rows, 'grid');
    const nonzero = buildTrainingSet(rows, 'nonzero');
    assert.deepEqual(grid.categories, ['a', 'b']);
    assert.equal(grid.rows.length, 7 * 24 * 2);
    assert.equal(nonzero.rows.length, 2);
    assert.equal(Array.from(nonzero.rows.y).sort().join(','), '2,7');
    assert.notEqual(grid.fingerprint, nonzero.fingerprint);
    assert.equal(buildTrainingSet([...rows].reverse(), 'grid').fingerprint, grid.fingerprint);
  });

  test('aggregate csv › bad rows are rejected with file:line and the allowed range', () => {
    const h = 'day_of_week,hour_of_day,category,items_count\n';
    assert.throws(
      () => parseAggregateCsv(h + '7,1,a,1\n', 'f.csv'),
      /f\.csv:2: day_of_week "7" is not an integer in 0–6/,
    );
    assert.throws(() => parseAggregateCsv(h + '1,24,a,1\n', 'f.csv'), /hour_of_day "24"/);
    assert.throws(() => parseAggregateCsv(h + '1,2,a,-1\n', 'f.csv'), /items_count/);
    assert.throws(() => parseAggregateCsv('day,hour\n1,2\n', 'f.csv'), /missing column/);
  });
});

test('random forest › the whole-grid fast path equals cell-by-cell prediction', () => {
  const set = buildTrainingSet(syntheticAggregate(30, 20, 3).rows, 'nonzero');
  const model = randomForestLearner.fit(set.rows, randomForestLearner.defaults, 5);
  const grid = model.predictGrid!();
  const c = set.categories.length;
  let worst = 0;
  for (let d = 0; d < 7; d++)
    for (let h = 0; h < 24; h++)
      for (let k = 0; k < c; k++)
        worst = Math.max(worst, Math.abs(grid[(d * 24 + h) * c + k] - model.predict(d, h, k)));
  assert.ok(worst < 1e-9, `max difference ${worst}`);
});
