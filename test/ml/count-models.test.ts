// The grid count models beyond HierPoisson and the rules around them: PoissonGBM learns an interaction the
// independence model cannot and predicts cells it had no row for from its trees; ModelAverage is the average of
// its three parts and restores to the same grid; order folds skip empty buckets and choose by the mean fold RMSE;
// a challenger whose win is inside its fold noise is not promoted (unless forced).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { averageLearner } from '../../src/ml/average.js';
import { randomForestLearner } from '../../src/ml/forest.js';
import { decidePromotion, rescoreChampion } from '../../src/ml/champion.js';
import { buildTrainingSet } from '../../src/ml/dataset.js';
import { gbmLearner } from '../../src/ml/gbm.js';
import { hierarchicalLearner } from '../../src/ml/hierarchical.js';
import { intervalFor } from '../../src/ml/cell.js';
import { categoryDispersionOf, coverageOf, intervalOf } from '../../src/ml/intervals.js';
import type { Learner, Regressor } from '../../src/ml/model.js';
import { evaluateByOrders } from '../../src/ml/order-evaluation.js';
import { readOrderHoldout } from '../../src/ml/order-holdout.js';
import { poissonLearner } from '../../src/ml/poisson.js';
import type { LoadedModel } from '../../src/ml/predictor.js';
import { createRng } from '../../src/ml/random.js';
import { allocateRows, selectRows, type Rows } from '../../src/ml/rows.js';
import { readTrainingInputs } from '../../src/ml/training-inputs.js';
import { aggregateOrders } from '../../src/ingest/aggregate.js';
import { orderBucket } from '../../src/ingest/read/order-bucket.js';
import { tempDir } from '../helpers/tmp.js';
import { poisson, poissonGrid } from './synthetic.js';

const C = 20;

/** Poisson counts on every cell; categories 0–3 sell four times more from 6 to 11 h (an hour × category effect). */
function morningGrid(seed: number): { rows: Rows; rate: (d: number, h: number, c: number) => number } {
  const rng = createRng(seed);
  const base = Array.from({ length: C }, () => 0.5 + 3 * rng.next());
  const hour = Array.from({ length: 24 }, (_, h) => 0.1 + Math.exp(-((h - 14) ** 2) / 18));
  const rate = (d: number, h: number, c: number): number =>
    4 * (d >= 5 ? 1.3 : 1) * hour[h] * base[c] * (c < 4 && h >= 6 && h <= 11 ? 4 : 1);
  const rows = poissonGrid(rng, C, rate);
  return { rows, rate };
}

const errorAgainst = (model: Regressor, rate: (d: number, h: number, c: number) => number): number => {
  let se = 0;
  for (let d = 0; d < 7; d++)
    for (let h = 0; h < 24; h++)
      for (let c = 0; c < C; c++) se += (model.predict(d, h, c) - rate(d, h, c)) ** 2;
  return Math.sqrt(se / (7 * 24 * C));
};

describe('PoissonGBM', () => {
  test('learns an hour × category effect the independence model (day×hour + category) cannot', () => {
    const { rows, rate } = morningGrid(3);
    const gbm = errorAgainst(gbmLearner.fit(rows, gbmLearner.defaults, 1), rate);
    const glm = errorAgainst(poissonLearner.fit(rows, poissonLearner.defaults, 1), rate);
    assert.ok(gbm < glm * 0.7, `gbm ${gbm.toFixed(3)} vs independence ${glm.toFixed(3)}`);
  });

  test('cells without a training row are predicted by the trees, not by a fallback mean', () => {
    const { rows, rate } = morningGrid(4);
    const keep = Array.from({ length: rows.length }, (_, i) => i).filter((i) => i % 3 !== 0);
    const model = gbmLearner.fit(selectRows(rows, keep), gbmLearner.defaults, 1);
    // A dropped breakfast cell at 9 h on a weekday: its rate is far above the mean of all cells.
    const g = (2 * 24 + 9) * C + 0;
    const dropped = g % 3 === 0 ? g : g + (3 - (g % 3));
    const [d, h, c] = [Math.floor(dropped / (24 * C)), Math.floor(dropped / C) % 24, dropped % C];
    let mean = 0;
    for (let i = 0; i < rows.length; i++) mean += rows.y[i] / rows.length;
    const p = model.predict(d, h, c);
    assert.ok(
      Math.abs(p - rate(d, h, c)) < Math.abs(mean - rate(d, h, c)) / 2,
      `${p} vs rate ${rate(d, h, c)}`,
    );
  });
});

describe('ModelAverage', () => {
  test('is the weighted average of HierPoisson, PoissonGBM and RandomForest and restores to the same grid', () => {
    const { rows } = morningGrid(5);
    const params = { ...averageLearner.defaults, dispersion: 1 };
    const average = averageLearner.fit(rows, params, 1);
    const hier = hierarchicalLearner.fit(rows, { ...hierarchicalLearner.defaults, dispersion: 1 }, 1);
    const gbm = gbmLearner.fit(rows, gbmLearner.defaults, 1);
    const forest = randomForestLearner.fit(rows, randomForestLearner.defaults, 1);
    const [a, h, g, f] = [average, hier, gbm, forest].map((m) => m.predictGrid!());
    for (let i = 0; i < a.length; i += 97) assert.ok(Math.abs(a[i] - (h[i] + g[i] + f[i]) / 3) < 1e-9);
    const onlyHier = averageLearner.fit(rows, { ...params, gbm: 0, forest: 0 }, 1).predictGrid!();
    assert.deepEqual(Array.from(onlyHier), Array.from(h));
    const restored = averageLearner.restore(JSON.parse(JSON.stringify(average.state())), C);
    assert.deepEqual(Array.from(restored.predictGrid!()), Array.from(a));
    assert.throws(() => averageLearner.restore({ grid: [1, 2], info: {} }, C));
  });
});

describe('order folds', () => {
  test('a file without bucket-0 orders holds out its first bucket, skips the empty fold, chooses by mean fold RMSE', async () => {
    const dir = await tempDir();
    try {
      const rng = createRng(9);
      const lines: string[] = [];
      for (let id = 1; lines.length < 600; id++) {
        if (orderBucket(String(id)) === 0) continue; // the training side of a bucket-0 split
        const counts = [0, 1, 2, 3].map(() => Math.floor(rng.next() * 3));
        lines.push(`${id},${id % 7},${8 + (id % 6)},,${counts.join(',')}`);
      }
      const orders = path.join(dir.path, 'orders.csv');
      await writeFile(
        orders,
        ['order_id,order_dow,order_hour_of_day,days_since_prior_order,milk,eggs,yogurt,bread', ...lines].join(
          '\n',
        ) + '\n',
      );
      const csv = path.join(dir.path, 'agg', 'orders.csv');
      await aggregateOrders({
        files: [orders],
        csvPath: csv,
        parquetDir: path.join(dir.path, 'agg', 'parquet'),
        quarantineDir: path.join(dir.path, 'q'),
        dataDir: dir.path,
        strict: false,
      });
      const set = buildTrainingSet(await readTrainingInputs([csv]), 'grid');
      const { holdout } = await readOrderHoldout([csv], set);
      assert.ok(holdout);
      assert.equal(holdout.bucketOrders[0], 0);
      const learners = [poissonLearner, hierarchicalLearner] as unknown as Learner[];
      const ev = evaluateByOrders(set, holdout, { split: 'random', folds: 5, seed: 1, learners });
      assert.equal(ev.orders!.heldBucket, 1);
      assert.ok(ev.orders!.heldOrders > 0);
      assert.equal(ev.orders!.folds, 4);
      for (const c of ev.candidates) {
        assert.equal(c.foldRmse!.length, 4);
        assert.ok(c.foldRmse!.every(Number.isFinite));
        const mean = c.foldRmse!.reduce((s, v) => s + v, 0) / 4;
        assert.ok(Math.abs(mean - c.crossValidation!.rmse) < 1e-12);
        const sd = Math.sqrt(c.foldRmse!.reduce((s, v) => s + (v - mean) ** 2, 0) / 3);
        assert.ok(Math.abs(sd - c.foldRmseSd!) < 1e-12);
      }
      const lowest = ev.candidates.reduce((a, b) =>
        b.crossValidation!.rmse < a.crossValidation!.rmse ? b : a,
      );
      assert.equal(ev.best.algorithm, lowest.algorithm);
      assert.equal(ev.folds!.length, 4);
    } finally {
      await dir.remove();
    }
  });
});

describe('promotion and fold noise', () => {
  // A champion serving a constant grid, wrapped as the predictor would load it (only the fields the
  // comparison reads are filled in).
  const champion = (value: number): LoadedModel =>
    ({
      version: 'v1',
      algorithm: 'hierarchical_poisson',
      categories: ['milk', 'eggs'],
      artifact: { orders: 100, totalItems: 1000 },
      predict: () => value,
      predictGrid: () => new Float64Array(7 * 24 * 2).fill(value),
      resolveCategory: () => 0,
    }) as unknown as LoadedModel;
  const test_ = allocateRows(10, 2);
  for (let i = 0; i < 10; i++) test_.y[i] = i % 3;
  const volume = { orders: 100, items: 10 };
  const input = (rmse: number, foldNoise: number | undefined, force = false, refit = false) => {
    const champ = champion(1.5);
    return decidePromotion({
      challengerHoldout: { rmse, mae: 0, r2: 0 },
      champion: champ,
      test: test_,
      categories: ['milk', 'eggs'],
      volume,
      force,
      foldNoise,
      refit,
    });
  };
  const championRmse = rescoreChampion(champion(1.5), test_, ['milk', 'eggs'], volume).metrics.rmse;

  test('no model is promoted by a win inside the fold noise; a larger win, or --force, promotes', () => {
    const noise = 0.05;
    const inside = input(championRmse - noise / 2, noise);
    assert.equal(inside.promoted, false);
    assert.match(inside.reason, /does not beat the champion by more than the fold noise/);
    assert.equal(inside.foldNoise, noise);
    assert.equal(
      input(championRmse - 0.99 * noise, noise).promoted,
      false,
      'a win just under the noise is not enough',
    );
    const outside = input(championRmse - 2 * noise, noise);
    assert.equal(outside.promoted, true);
    assert.match(outside.reason, /beats the champion: .*fold noise ±0\.0500/);
    const forced = input(championRmse - noise / 2, noise, true);
    assert.equal(forced.promoted, true);
    assert.match(forced.reason, /promoted by --force/);
  });

  test("the champion's own algorithm refitted on newer data replaces it on any strictly lower RMSE", () => {
    const noise = 0.05;
    const refit = input(championRmse - noise / 2, noise, false, true);
    assert.equal(refit.promoted, true, 'fresh data reaches the served model');
    assert.match(refit.reason, /a refit of .* on newer data/);
    assert.equal(input(championRmse + 1e-6, noise, false, true).promoted, false, 'a worse refit is rejected');
  });

  test('without folds any strictly lower RMSE wins, and the reason says the noise was not measured', () => {
    const d = input(championRmse - 1e-6, undefined);
    assert.equal(d.promoted, true);
    assert.match(d.reason, /fold noise not measured/);
  });
});

test('interval coverage › the calibrated share of cells with an item is what a right model shows', () => {
  const rng = createRng(8);
  const y: number[] = [];
  const predicted: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const mu = 0.05 + 3 * rng.next() ** 2; // mostly small means, as on the real grid
    predicted.push(mu);
    y.push(poisson(rng, mu));
  }
  const c = coverageOf([{ y, cat: new Uint8Array(y.length), predicted }], () => 1);
  assert.ok(Math.abs(c.nonzero - c.expectedNonzero) < 0.02, `${c.nonzero} vs ${c.expectedNonzero}`);
  assert.ok(Math.abs(c.all - c.expected) < 0.015, `${c.all} vs ${c.expected}`);
  assert.ok(c.expectedNonzero < c.expected, `${c.expectedNonzero} vs ${c.expected}`);
});

test('intervals › each category gets its own φ (Σ squares / Σ items), older artifacts the pooled one', () => {
  // Two categories over a 1-cell-per-category grid: milk bought one at a time (φ = 1), water in packs of 6 (φ = 6).
  const size = 7 * 24 * 2;
  const squares = new Float64Array(size);
  const items = new Float64Array(size);
  items[0] = 10; // milk: ten orders of 1
  squares[0] = 10;
  items[1] = 60; // water: ten orders of 6
  squares[1] = 360;
  const phi = categoryDispersionOf({ squares, bucketItems: [items] }, 2);
  assert.deepEqual(phi, [1, 6]);
  const model = (artifact: object) => ({ artifact }) as unknown as LoadedModel;
  const withPhi = model({ dispersion: 370 / 70, categoryDispersion: phi });
  assert.deepEqual(intervalFor(withPhi, 6, 0), intervalOf(6, 1));
  assert.deepEqual(intervalFor(withPhi, 6, 1), intervalOf(6, 6));
  assert.ok(intervalFor(withPhi, 6, 1).high > intervalFor(withPhi, 6, 0).high);
  assert.deepEqual(intervalFor(model({ dispersion: 2 }), 6, 1), intervalOf(6, 2));
});
