// Model moves and lineage over HTTP: `?explain=true` on a prediction, the promotion log, POST promote / rollback
// (authenticated; the cache is refreshed to the new current version before the answer).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { trainModels } from '../../src/ml/train.js';
import { connectRedis, type Redis } from '../../src/redis/redis.js';
import { openStore } from '../../src/store/open.js';
import { createLogger } from '../../src/base/log.js';
import { API_TOKEN, startHarness, type Harness } from './harness.js';

let h: Harness;
let redis: Redis;
const auth = { authorization: `Bearer ${API_TOKEN}` };

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(h.url + path, { method, headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

before(async () => {
  h = await startHarness();
  redis = await connectRedis(h.config);
  // A second version on the same data (forced), so there is something to roll back from.
  const db = await openStore(h.config, createLogger('silent'));
  try {
    await trainModels({ db, paths: h.config.paths }, { seed: 2, force: true });
  } finally {
    await db.close();
  }
});
after(async () => {
  redis.disconnect();
  await h?.stop();
});

describe('api › model moves and lineage', () => {
  test('a prediction with ?explain=true names the model, its metrics, fingerprint and input; it carries an interval', async () => {
    const { status, body } = await call('GET', '/api/predictions/0/9/fresh%20fruits?explain=true');
    assert.equal(status, 200, JSON.stringify(body));
    const explain = body!.explain as {
      model_version: string;
      fingerprint: string;
      training_data: { inputs: { aggregate: string }[] };
    };
    assert.equal(explain.model_version, body!.model_version);
    assert.match(explain.fingerprint, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      explain.training_data.inputs.map((i) => i.aggregate),
      [h.config.paths.processedCsv],
    );
    const interval = body!.interval as { low: number; high: number };
    assert.ok(interval.low <= interval.high);
    const plain = await call('GET', '/api/predictions/0/9/fresh%20fruits');
    assert.equal(plain.body!.explain, undefined);
  });

  test('moves need authentication', async () => {
    assert.equal((await call('POST', '/api/models/rollback')).status, 401);
    assert.equal((await call('POST', '/api/models/v1/promote')).status, 401);
  });

  test('rollback returns to the previous version and the cache already serves it; promote moves forward again', async () => {
    const back = await call('POST', '/api/models/rollback', auth);
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.deepEqual(back.body, {
      version: 'v1',
      previousVersion: 'v2',
      action: 'rollback',
      cache: 'refreshed',
    });
    assert.equal(await redis.hget('orderflow:cache:meta', 'model_version'), 'v1');
    assert.equal(((await call('GET', '/api/models', auth)).body as { current: string }).current, 'v1');
    const forward = await call('POST', '/api/models/v2/promote', auth);
    assert.deepEqual(forward.body, {
      version: 'v2',
      previousVersion: 'v1',
      action: 'manual',
      cache: 'refreshed',
    });
    assert.equal(await redis.hget('orderflow:cache:meta', 'model_version'), 'v2');
    const log = (await call('GET', '/api/models/promotions', auth)).body as {
      events: { action: string; version: string }[];
    };
    assert.deepEqual(
      log.events.map((e) => [e.action, e.version]),
      [
        ['manual', 'v2'],
        ['rollback', 'v1'],
        ['promoted', 'v2'],
        ['promoted', 'v1'],
      ],
    );
  });

  test('an unknown version is 404; a malformed one is 400', async () => {
    assert.equal((await call('POST', '/api/models/v99/promote', auth)).status, 404);
    assert.equal((await call('POST', '/api/models/latest/promote', auth)).status, 400);
  });
});
