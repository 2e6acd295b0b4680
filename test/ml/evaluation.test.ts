// Judging models on held-out orders: the noise floor equals a direct computation, the split is deterministic with
// K folds by bucket, the hierarchical model recovers a hierarchical Poisson process better than the forest, and
// the 10–90 % intervals cover held-out Poisson counts as often as their own distribution says.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UsageError } from '../../src/base/errors.js';
import { buildTrainingSet } from '../../src/ml/dataset.js';
import { randomForestLearner } from '../../src/ml/forest.js';
import { hierarchicalLearner } from '../../src/ml/hierarchical.js';
import { countQuantile, intervalMass, intervalOf } from '../../src/ml/intervals.js';
import type { Learner } from '../../src/ml/model.js';
import { evaluateByOrders, noiseFloor } from '../../src/ml/order-evaluation.js';
import { readOrderHoldout } from '../../src/ml/order-holdout.js';
import { createRng } from '../../src/ml/random.js';
import { readTrainingInputs } from '../../src/ml/training-inputs.js';
import { aggregateOrders } from '../../src/ingest/aggregate.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { poisson, poissonGrid } from './synthetic.js';

const HEADER = 'order_id,order_dow,order_hour_of_day,days_since_prior_order,milk,eggs,yogurt';

/** `n` orders with 0–3 items per category on a few cells. */
function smallOrders(n: number): string[] {
  const rng = createRng(3);
  return Array.from({ length: n }, (_, i) => {
    const counts = [0, 1, 2].map(() => Math.floor(rng.next() * 4));
    return `${1000 + i},${i % 3},${8 + (i % 4)},,${counts.join(',')}`;
  });
}

describe('evaluation on held-out orders', () => {
  let dir: TempDir;
  let csv: string;
  const lines = smallOrders(400);
  before(async () => {
    dir = await tempDir();
    const orders = path.join(dir.path, 'orders.csv');
    await writeFile(orders, [HEADER, ...lines].join('\n') + '\n');
    csv = path.join(dir.path, 'agg', 'orders.csv');
    await aggregateOrders({
      files: [orders],
      csvPath: csv,
      parquetDir: path.join(dir.path, 'agg', 'parquet'),
      quarantineDir: path.join(dir.path, 'q'),
      dataDir: dir.path,
      strict: false,
    });
  });
  after(() => dir.remove());

  test('the noise floor matches a direct computation on a small file', async () => {
    const set = buildTrainingSet(await readTrainingInputs([csv]), 'grid');
    const { holdout } = await readOrderHoldout([csv], set);
    assert.ok(holdout);
    let squares = 0;
    let held = 0;
    for (const line of lines) {
      const f = line.split(',');
      if (createHash('md5').update(f[0]).digest()[0] % 5 === 0) held++;
      for (const v of f.slice(4)) squares += Number(v) ** 2;
    }
    const direct = Math.sqrt((squares * (held / lines.length)) / (7 * 24 * 3));
    assert.ok(Math.abs(noiseFloor(holdout, held) - direct) < 1e-12);
    const ev = evaluateByOrders(set, holdout, { split: 'random', folds: 0, seed: 1 });
    assert.equal(ev.orders!.heldOrders, held);
    assert.equal(ev.orders!.trainOrders, lines.length - held);
    assert.ok(Math.abs(ev.orders!.noiseFloor - direct) < 1e-12);
    for (const c of ev.candidates) assert.ok(Math.abs(c.floorDistance! - (c.holdout.rmse - direct)) < 1e-12);
  });

  test('the split is deterministic; --folds K holds out the buckets b mod K; more than 5 folds is refused', async () => {
    const set = buildTrainingSet(await readTrainingInputs([csv]), 'grid');
    const { holdout } = await readOrderHoldout([csv], set);
    const options = { split: 'random' as const, folds: 5, seed: 7 };
    const a = evaluateByOrders(set, holdout!, options);
    const b = evaluateByOrders(set, holdout!, options);
    assert.deepEqual(
      a.candidates.map((c) => [c.holdout, c.crossValidation]),
      b.candidates.map((c) => [c.holdout, c.crossValidation]),
    );
    assert.ok(a.candidates.every((c) => c.crossValidation && Number.isFinite(c.crossValidation.rmse)));
    assert.throws(() => evaluateByOrders(set, holdout!, { ...options, folds: 6 }), UsageError);
  });
});

test('the hierarchical model recovers a hierarchical Poisson process with known rates better than the forest', () => {
  const C = 30;
  const rng = createRng(11);
  const day = [1.3, 1.1, 0.9, 0.85, 0.85, 0.95, 1.05];
  const hour = Array.from({ length: 24 }, (_, h) => 0.05 + Math.exp(-((h - 13) ** 2) / 20));
  const base = Array.from({ length: C }, () => Math.exp(2 * rng.next()));
  // Categories 0–3 sell three times more in the morning: shares depend on the hour.
  const rate = (d: number, h: number, c: number): number => {
    const w = (k: number): number => base[k] * (k < 4 && h >= 6 && h <= 11 ? 3 : 1);
    let z = 0;
    for (let k = 0; k < C; k++) z += w(k);
    return 400 * day[d] * hour[h] * (w(c) / z);
  };
  const rows = poissonGrid(rng, C, rate);
  const errorOf = (learner: Learner): number => {
    const model = learner.fit(rows, learner.defaults, 42);
    let se = 0;
    for (let d = 0; d < 7; d++)
      for (let h = 0; h < 24; h++)
        for (let c = 0; c < C; c++) se += (model.predict(d, h, c) - rate(d, h, c)) ** 2;
    return Math.sqrt(se / (7 * 24 * C));
  };
  const hier = errorOf(hierarchicalLearner as unknown as Learner);
  const forest = errorOf(randomForestLearner as unknown as Learner);
  assert.ok(hier < forest * 0.8, `hierarchical ${hier.toFixed(3)} vs forest ${forest.toFixed(3)}`);
});

describe('10–90 % intervals', () => {
  test('quantiles of known distributions', () => {
    // Poisson(3): P(X ≤ 0) = 0.050, P(X ≤ 1) = 0.199 → q10 = 1; P(X ≤ 4) = 0.815, P(X ≤ 5) = 0.916 → q90 = 5.
    assert.deepEqual(intervalOf(3, 1), { low: 1, high: 5 });
    assert.deepEqual(intervalOf(0, 1.5), { low: 0, high: 0 });
    assert.ok(countQuantile(10, 2, 0.9) > countQuantile(10, 1, 0.9), 'over-dispersion widens the interval');
    assert.deepEqual(intervalOf(400, 1), { low: 374, high: 426 });
  });

  test('coverage on simulated Poisson counts matches the intervals’ own probability within 1.5 points', () => {
    const rng = createRng(5);
    let inside = 0;
    let expected = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const mu = 0.5 + 60 * rng.next();
      const interval = intervalOf(mu, 1);
      const y = poisson(rng, mu);
      if (y >= interval.low && y <= interval.high) inside++;
      expected += intervalMass(mu, 1, interval);
    }
    const coverage = inside / n;
    assert.ok(Math.abs(coverage - expected / n) < 0.015, `coverage ${coverage} vs ${expected / n}`);
    assert.ok(coverage > 0.78 && coverage < 0.9, `coverage ${coverage}`);
  });
});
