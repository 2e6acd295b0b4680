// The API's in-memory tier (near-cache.ts) in front of the Redis cache, against a real redis-server: values are
// served from memory only while the invalidation channel is subscribed, a clear or refresh from another
// connection drops them at once, an unannounced change is seen after the TTL, and every hit is still counted.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { NearCache } from '../../src/cache/near-cache.js';
import { Predictor } from '../../src/cache/predictor.js';
import { RedisPredictionCache } from '../../src/cache/redis-cache.js';
import { refreshCache } from '../../src/cache/refresh.js';
import type { LookupResult } from '../../src/cache/types.js';
import { dataPaths } from '../../src/base/config.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { ManualClock } from '../helpers/clock.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { writeTestModel } from './fixtures.js';

/** The tier reacts to Redis pub/sub within milliseconds: poll often. */
const SOON = { timeoutMs: 3_000, intervalMs: 5 };

describe('NearCache (in-memory tier of the prediction cache)', () => {
  let server: RedisServer;
  let dir: TempDir;
  let redis: Redis;
  let config: { redisUrl: string; redisKeyPrefix: string; paths: ReturnType<typeof dataPaths> };
  let v1: (d: number, h: number, c: number) => number;
  const cats = ['fresh fruits', 'milk', 'yogurt'];
  const scriptCalls = async (): Promise<number> => {
    const info = await redis.info('commandstats');
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
  };
  const open = async (
    localCacheMs: number,
    clock?: ManualClock,
  ): Promise<{ predictor: Predictor; near: NearCache }> => {
    const predictor = await Predictor.create({ config, localCacheMs, rewarm: false, clock });
    const near = predictor.near;
    assert.ok(near, 'localCacheMs > 0 gives the predictor an in-memory tier');
    await waitFor('the invalidation channel is subscribed', () => near.active, SOON);
    return { predictor, near };
  };

  before(async () => {
    server = await startRedis();
    dir = await tempDir();
    config = { redisUrl: server.url, redisKeyPrefix: 'nc:', paths: dataPaths(dir.path) };
    redis = new Redis(server.url);
    v1 = await writeTestModel(config.paths.modelsDir, 'v1', cats, 1);
  });
  beforeEach(async () => {
    await redis.flushall();
    await refreshCache({ config, redis });
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
    await dir.remove();
  });

  test('a repeated cell is answered from memory (no script call) and still counted as a hit in Redis', async () => {
    const { predictor } = await open(60_000);
    try {
      const first = await predictor.predict(1, 9, 'milk');
      assert.deepEqual([first.source, first.prediction], ['cache', v1(1, 9, 1)]);
      const calls = await scriptCalls();
      const again = await predictor.predict(1, 9, 'milk');
      assert.deepEqual([again.source, again.prediction, again.modelVersion], ['cache', v1(1, 9, 1), 'v1']);
      assert.equal(await scriptCalls(), calls, 'the second lookup never reached Redis');
      // Deleting a key by hand announces nothing: within the TTL the memory still answers.
      await redis.del('nc:1:9:milk');
      assert.equal((await predictor.predict(1, 9, 'milk')).source, 'cache');
    } finally {
      await predictor.close(); // flushes the hits served from memory
    }
    assert.equal(await redis.get('nc:orderflow:cache:hits'), '3');
  });

  test('a clear or a refresh from another connection drops every value at once', async () => {
    const { predictor, near } = await open(60_000);
    try {
      await predictor.predict(0, 0, 'yogurt');
      assert.equal(near.size, 1);
      const elsewhere = new Redis(server.url);
      try {
        await refreshCache({ config, redis: elsewhere }, { force: true });
        await waitFor('the refresh is announced', () => near.size === 0, SOON);
        await predictor.predict(0, 0, 'yogurt');
        assert.equal(near.size, 1);
        await new RedisPredictionCache(elsewhere, config).clear();
        await waitFor('the clear is announced', () => near.size === 0, SOON);
      } finally {
        elsewhere.disconnect();
      }
      const after = await predictor.predict(0, 0, 'yogurt');
      assert.deepEqual([after.source, after.missReason], ['model', 'absent']);
    } finally {
      await predictor.close();
    }
  });

  test('an unannounced change (key deleted by hand) is seen once the TTL has passed', async () => {
    const clock = new ManualClock();
    const { predictor } = await open(100, clock);
    try {
      assert.equal((await predictor.predict(3, 4, 'fresh fruits')).source, 'cache');
      await redis.del('nc:3:4:fresh fruits');
      await clock.advance(100);
      assert.equal((await predictor.predict(3, 4, 'fresh fruits')).source, 'cache', 'memory, within the TTL');
      await clock.advance(1);
      const after = await predictor.predict(3, 4, 'fresh fruits');
      assert.deepEqual([after.source, after.prediction], ['model', v1(3, 4, 0)]);
    } finally {
      await predictor.close();
    }
  });

  test('while the subscription is down every lookup goes to Redis; memory is used again once re-subscribed', async () => {
    const { predictor, near } = await open(60_000);
    try {
      await predictor.predict(2, 2, 'milk');
      await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await waitFor('the tier notices the lost subscription', () => !near.active, SOON);
      assert.equal(near.size, 0);
      await redis.del('nc:2:2:milk');
      assert.equal((await predictor.predict(2, 2, 'milk')).source, 'model', 'answered by Redis, not memory');
      await waitFor('re-subscribed', () => near.active, SOON);
      await predictor.predict(2, 3, 'milk');
      assert.equal(near.size, 1);
    } finally {
      await predictor.close();
    }
  });

  test('a lookup sent before an invalidation does not store what it read', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    class SlowCache extends RedisPredictionCache {
      override async lookup(keys: readonly string[], version: string): Promise<LookupResult> {
        const result = await super.lookup(keys, version);
        await gate; // the reply "arrives" after the invalidation below
        return result;
      }
    }
    const conn = new Redis(server.url);
    const near = NearCache.open(new SlowCache(conn, config), conn, { ttlMs: 60_000 });
    try {
      await waitFor('subscribed', () => near.active, SOON);
      const pending = near.lookup(['nc:0:1:milk'], 'v1');
      near.invalidate();
      release();
      assert.deepEqual((await pending).values, [v1(0, 1, 1)]);
      assert.equal(near.size, 0);
      await near.lookup(['nc:0:1:milk'], 'v1');
      assert.equal(near.size, 1, 'a lookup after the invalidation is remembered');
      assert.equal(
        (await near.lookup(['nc:0:1:milk'], 'v2')).cachedVersion,
        'v1',
        'other versions go to Redis',
      );
    } finally {
      await near.close();
      conn.disconnect();
    }
  });
});
