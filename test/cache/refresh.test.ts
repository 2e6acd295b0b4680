// refreshCache against a real redis-server: atomicity under concurrent readers, stale categories, unchanged,
// key prefix, clear.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cacheKeys, cellKeysOf } from '../../src/cache/keys.js';
import { RedisPredictionCache } from '../../src/cache/redis-cache.js';
import { refreshCache } from '../../src/cache/refresh.js';
import { dataPaths } from '../../src/base/config.js';
import { setCurrentPointer } from '../../src/ml/artifact.js';
import { connectRedis, type Redis } from '../../src/redis/redis.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { names, writeTestModel } from './fixtures.js';

describe('cache refresh', () => {
  let server: RedisServer;
  let dir: TempDir;
  let redis: Redis;
  let config: { redisUrl: string; redisKeyPrefix: string; paths: ReturnType<typeof dataPaths> };

  before(async () => {
    server = await startRedis();
    dir = await tempDir();
    config = { redisUrl: server.url, redisKeyPrefix: '', paths: dataPaths(dir.path) };
    redis = await connectRedis(config);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
    await dir.remove();
  });

  test('no model trained › status no-model, nothing written', async () => {
    const r = await refreshCache({ config, redis });
    assert.equal(r.status, 'no-model');
    assert.equal(await redis.dbsize(), 0);
  });

  test('refresh › plain keys "{day}:{hour}:{category}" hold the model prediction; same version → unchanged', async () => {
    const expected = await writeTestModel(config.paths.modelsDir, 'v1', ['fresh fruits', 'milk'], 1);
    const r = await refreshCache({ config, redis });
    assert.deepEqual([r.status, r.modelVersion, r.count], ['refreshed', 'v1', 7 * 24 * 2]);
    assert.equal(Number(await redis.get('0:9:fresh fruits')), expected(0, 9, 0));
    assert.equal(Number(await redis.get('6:23:milk')), expected(6, 23, 1));
    const meta = await redis.hgetall('orderflow:cache:meta');
    assert.equal(meta.model_version, 'v1');
    assert.equal(meta.count, String(336));
    assert.deepEqual(JSON.parse(meta.categories), ['fresh fruits', 'milk']);
    const again = await refreshCache({ config, redis });
    assert.equal(again.status, 'unchanged');
    const forced = await refreshCache({ config, redis }, { force: true });
    assert.equal(forced.status, 'refreshed');
  });

  test('a category the new model lacks › its keys disappear in the same step', async () => {
    await writeTestModel(config.paths.modelsDir, 'v2', ['fresh fruits', 'yogurt'], 2);
    const r = await refreshCache({ config, redis });
    assert.equal(r.status, 'refreshed');
    assert.equal(r.staleKeysDeleted, 168);
    assert.equal(await redis.exists('0:9:milk'), 0);
    assert.equal(await redis.exists('0:9:yogurt'), 1);
    // Only cell keys, the meta hash and the intervals hash: 2 × 168 + 2; the intervals follow the cells.
    assert.equal(await redis.dbsize(), 338);
    assert.equal(await redis.hlen('orderflow:cache:intervals'), 2 * 168);
    assert.equal(await redis.hexists('orderflow:cache:intervals', '0:9:milk'), 0);
    assert.match((await redis.hget('orderflow:cache:intervals', '0:9:yogurt')) ?? '', /^\d+,\d+$/);
  });

  test('atomicity › a reader during repeated refreshes of two models only ever sees complete versions', async () => {
    const modelsDir = path.join(dir.path, 'models');
    const cats = names(60);
    const a = await writeTestModel(modelsDir, 'va', cats, 100);
    const b = await writeTestModel(modelsDir, 'vb', cats.slice(0, 40), 200);
    const expected: Record<string, (d: number, h: number, c: number) => number> = { va: a, vb: b };
    await new RedisPredictionCache(redis, config).clear();
    const reader = await connectRedis(config);
    const keys = cacheKeys(config);
    const sample = [0, 5, 39].flatMap((c) => [keys.cell(0, 0, cats[c]), keys.cell(6, 23, cats[c])]);
    const stale = [keys.cell(3, 12, cats[50]), keys.cell(0, 0, cats[59])];
    let stop = false;
    let reads = 0;
    const seen = new Set<string>();
    let failure: unknown;
    const loop = (async () => {
      while (!stop) {
        // One MULTI: the meta version and the sampled keys at the same instant.
        const res = (await reader
          .multi()
          .hget(keys.meta, 'model_version')
          .mget(...sample, ...stale)
          .exec())!;
        const version = res[0][1] as string | null;
        const values = res[1][1] as (string | null)[];
        reads++;
        if (version === null) continue;
        seen.add(version);
        const f = expected[version];
        const want = [0, 5, 39].flatMap((c) => [f(0, 0, c), f(6, 23, c)]);
        assert.deepEqual(values.slice(0, sample.length).map(Number), want, `mixed values under ${version}`);
        const staleValues = values.slice(sample.length);
        if (version === 'vb') assert.deepEqual(staleValues, [null, null], 'categories of va left under vb');
        else
          assert.ok(
            staleValues.every((v) => v !== null),
            'va incomplete',
          );
      }
    })().catch((err: unknown) => {
      failure = err;
      stop = true;
    });
    for (let i = 0; i < 12 && !stop; i++) {
      // Alternate the current pointer between the two versions (artifacts stay on disk).
      await setCurrentPointer(modelsDir, i % 2 ? 'vb' : 'va');
      const r = await refreshCache({ config, redis });
      assert.equal(r.status, 'refreshed');
    }
    stop = true;
    await loop;
    reader.disconnect();
    if (failure) throw failure;
    assert.ok(reads > 10, `only ${reads} reads`);
    assert.deepEqual([...seen].sort(), ['va', 'vb']);
  });

  test('two refreshes at once › one writes, the other waits for the lock and finds the version cached', async () => {
    await writeTestModel(config.paths.modelsDir, 'v3', ['milk'], 3);
    const results = await Promise.all([refreshCache({ config, redis }), refreshCache({ config, redis })]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['refreshed', 'unchanged']);
    const meta = await redis.hgetall('orderflow:cache:meta');
    assert.equal(meta.model_version, 'v3');
    assert.ok(Number(meta.duration_ms) >= 0);
    assert.equal(await redis.exists('orderflow:cache:refresh-lock'), 0);
  });

  test('REDIS_KEY_PREFIX › every key carries the prefix; clear removes only orderflow keys', async () => {
    const prefixed = { ...config, redisKeyPrefix: 'of:' };
    await redis.set('someone-else', 'keep');
    await refreshCache({ config: prefixed, redis }, { force: true });
    assert.equal(await redis.exists('of:0:9:milk'), 1);
    assert.equal(await redis.exists('of:orderflow:cache:meta'), 1);
    const cache = new RedisPredictionCache(redis, prefixed);
    await cache.lookup([cache.keys.cell(0, 9, 'milk')], '');
    const removed = await cache.clear();
    assert.equal(removed, cellKeysOf(cache.keys, ['milk']).length + 1);
    assert.equal(await redis.exists('of:orderflow:cache:hits'), 0);
    assert.equal(await redis.get('someone-else'), 'keep');
    // The unprefixed cache is untouched.
    assert.equal(await redis.exists('orderflow:cache:meta'), 1);
  });
});
