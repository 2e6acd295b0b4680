// `predict --explain` names the model version that answered, its metrics and promotion, the data fingerprint,
// the ledger generation and the files behind its training data; `predict --json` carries the 10–90 % interval.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dataPaths } from '../../src/base/config.js';
import { generateOrders } from '../../src/data/generate.js';
import type { Explanation } from '../../src/ml/lineage.js';
import { runCli } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

interface Answer {
  prediction: number;
  interval: { low: number; high: number };
  model_version: string;
  explain: Explanation;
}

describe('predict --explain', () => {
  let dir: TempDir;
  let server: RedisServer;
  const run = (...args: string[]) =>
    runCli(['--data-dir', dir.path, ...args], { DATABASE_URL: '', REDIS_URL: server.url });
  const predict = async (): Promise<Answer> => {
    const r = await run('predict', '0', '10', 'fresh fruits', '--explain', '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Answer;
  };

  before(async () => {
    dir = await tempDir();
    server = await startRedis();
    for (const args of [
      ['generate', '--orders', '1500', '--seed', '3'],
      ['split'],
      ['aggregate'],
      ['train'],
    ]) {
      const r = await run(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  test('a model of the batch history names the raw day files, its metrics and its fingerprint', async () => {
    const paths = dataPaths(dir.path);
    const answer = await predict();
    assert.ok(answer.interval.low <= answer.prediction && answer.prediction <= answer.interval.high + 1);
    const e = answer.explain;
    assert.equal(e.model_version, 'v1');
    assert.equal(e.model_version, answer.model_version);
    assert.equal(e.evaluation.method, 'orders');
    assert.ok(e.evaluation.orders!.noiseFloor > 0);
    assert.match(e.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(e.training_data.orders, 1500);
    assert.equal(e.training_data.ledger_generation, null);
    assert.deepEqual(e.training_data.inputs, [
      {
        aggregate: paths.processedCsv,
        files: [0, 1, 2, 3, 4, 5, 6].map((d) => path.join(paths.rawDir, String(d), `orders_${d}.csv`)),
        generation: null,
      },
    ]);
    const text = await run('predict', '0', '10', 'fresh fruits', '--explain');
    assert.match(text.stdout, /^model {6}v1 \(/m);
    assert.match(text.stdout, /orders_6\.csv$/m);
  });

  test('after new orders arrive, the model trained on them names the incremental files and the ledger generation', async () => {
    const paths = dataPaths(dir.path);
    await generateOrders({
      orders: 300,
      seed: 1007,
      day: 0,
      firstOrderId: 1e9 + 7e6,
      out: path.join(paths.incrementalRawDir, '7', 'orders_7.csv'),
    });
    assert.equal((await run('incremental')).code, 0);
    const trained = JSON.parse((await run('train', '--json')).stdout) as { version: string; status: string };
    assert.equal(trained.version, 'v2');
    if (trained.status === 'rejected') assert.equal((await run('models', 'promote', 'v2')).code, 0);
    const e = (await predict()).explain;
    assert.equal(e.model_version, 'v2');
    assert.equal(e.training_data.orders, 1800);
    assert.equal(e.training_data.ledger_generation, 1);
    assert.deepEqual(
      e.training_data.inputs.map((i) => [i.aggregate, i.files?.length, i.generation]),
      [
        [paths.processedCsv, 7, null],
        [paths.incrementalCsv, 1, 1],
      ],
    );
    assert.deepEqual(e.training_data.inputs[1].files, ['7/orders_7.csv']);
    assert.ok(e.decision && e.decision.champion === 'v1');
  });
});
