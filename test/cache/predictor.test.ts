// The library Predictor (cache → model fallback) against a real redis-server, with test models on disk.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { ModelSource } from '../../src/cache/model-source.js';
import {
  Predictor,
  type CachedPrediction,
  type CellFailure,
  type LookupEvent,
} from '../../src/cache/predictor.js';
import { refreshCache } from '../../src/cache/refresh.js';
import { dataPaths } from '../../src/base/config.js';
import { NotFoundError } from '../../src/base/errors.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { writeTestModel } from './fixtures.js';

describe('Predictor', () => {
  let server: RedisServer;
  let dir: TempDir;
  let redis: Redis;
  let config: { redisUrl: string; redisKeyPrefix: string; paths: ReturnType<typeof dataPaths> };
  let v1: (d: number, h: number, c: number) => number;
  const cats = ['fresh fruits', 'milk', 'yogurt'];
  const counters = async () =>
    (await redis.mget('orderflow:cache:hits', 'orderflow:cache:misses')).map(Number);

  before(async () => {
    server = await startRedis();
    dir = await tempDir();
    config = { redisUrl: server.url, redisKeyPrefix: '', paths: dataPaths(dir.path) };
    redis = new Redis(server.url);
    v1 = await writeTestModel(config.paths.modelsDir, 'v1', cats, 1);
  });
  beforeEach(async () => {
    await redis.flushall();
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
    await dir.remove();
  });

  test('hit › from the cache in one lookup, counted as a hit; miss › from the model, counted, one rewarm', async () => {
    const events: LookupEvent[] = [];
    const predictor = await Predictor.create({ config, onLookup: (e) => events.push(e) });
    try {
      const misses = await Promise.all([0, 1, 2].map((h) => predictor.predict(0, h, 'MILK')));
      assert.deepEqual(
        misses.map((m) => [m.source, m.missReason]),
        Array(3).fill(['model', 'absent']),
      );
      assert.equal(misses[1].prediction, v1(0, 1, 1));
      const rewarm = await predictor.idle();
      assert.equal(rewarm?.status, 'refreshed');
      const hit = await predictor.predict(5, 20, 'yogurt');
      assert.deepEqual([hit.source, hit.prediction, hit.modelVersion], ['cache', v1(5, 20, 2), 'v1']);
      assert.deepEqual(await counters(), [1, 3]);
      assert.equal(events.length, 4);
      assert.deepEqual(events[3].source, 'cache');
      await assert.rejects(predictor.predict(0, 9, 'yoghurt'), NotFoundError);
    } finally {
      await predictor.close();
    }
  });

  test('predictMany › per-cell results and failures, hits and misses mixed', async () => {
    await refreshCache({ config, redis });
    await redis.del('2:3:milk');
    const predictor = await Predictor.create({ config, rewarm: false });
    try {
      const out = await predictor.predictMany([
        { day: 2, hour: 3, category: 'fresh fruits' },
        { day: 2, hour: 3, category: 'milk' },
        { day: 7, hour: 3, category: 'milk' },
        { day: 1, hour: 1, category: 'bread' },
      ]);
      const [a, b] = out as CachedPrediction[];
      assert.deepEqual([a.source, a.prediction], ['cache', v1(2, 3, 0)]);
      assert.deepEqual([b.source, b.missReason, b.prediction], ['model', 'absent', v1(2, 3, 1)]);
      assert.match((out[2] as CellFailure).error.message, /day_of_week/);
      assert.ok((out[3] as CellFailure).error instanceof NotFoundError);
      assert.deepEqual(await counters(), [1, 1]);
      const big = await predictor.predictMany(
        Array.from({ length: 2500 }, (_, i) => ({ day: i % 7, hour: i % 24, category: cats[i % 3] })),
      );
      assert.ok(
        big.every((p) => 'source' in p && p.prediction === v1(p.day, p.hour, cats.indexOf(p.category))),
      );
    } finally {
      await predictor.close();
    }
  });

  test('a new current model › reloaded from the pointer; the cache of the old version is a stale miss, then rewarmed', async () => {
    await writeTestModel(config.paths.modelsDir, 'v1', cats, 1);
    await refreshCache({ config, redis });
    const models = new ModelSource(config.paths.modelsDir, { checkIntervalMs: 0 });
    const predictor = await Predictor.create({ config, models });
    try {
      assert.equal((await predictor.predict(0, 0, 'milk')).source, 'cache');
      const v2 = await writeTestModel(config.paths.modelsDir, 'v2', ['milk', 'bread'], 50);
      const stale = await predictor.predict(0, 0, 'milk');
      assert.deepEqual([stale.source, stale.missReason, stale.modelVersion], ['model', 'stale', 'v2']);
      assert.equal(stale.prediction, v2(0, 0, 0));
      assert.equal((await predictor.idle())?.modelVersion, 'v2');
      const hit = await predictor.predict(0, 0, 'bread');
      assert.deepEqual([hit.source, hit.prediction], ['cache', v2(0, 0, 1)]);
      assert.equal(await redis.exists('0:0:yogurt'), 0);
    } finally {
      await predictor.close();
      await writeTestModel(config.paths.modelsDir, 'v1', cats, 1);
    }
  });

  test('Redis down › the model answers with one warning; when Redis is back the cache answers again', async () => {
    await refreshCache({ config, redis });
    await server.stop();
    const warnings: string[] = [];
    const predictor = await Predictor.create({ config, onWarning: (m) => warnings.push(m) });
    try {
      const down = await predictor.predict(1, 1, 'milk');
      await predictor.predict(1, 2, 'milk');
      assert.deepEqual(
        [down.source, down.missReason, down.prediction],
        ['model', 'unavailable', v1(1, 1, 1)],
      );
      assert.equal(warnings.length, 1);
      await server.restart();
      await refreshCache({ config, redis });
      const answer = await waitFor(
        'the cache to answer again',
        async () => {
          const a = await predictor.predict(1, 1, 'milk');
          return a.source === 'cache' && a;
        },
        5_000,
      );
      assert.equal(answer.source, 'cache');
    } finally {
      await predictor.close();
    }
  });
});
