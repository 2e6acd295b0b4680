// `orderflow cache …` and `predict --cached` end to end: a model trained through the CLI on a small generated
// dataset, a private redis-server, embedded PGlite in a temp DATA_DIR.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { runCli } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

interface Answer {
  prediction: number;
  source: string;
  miss_reason?: string;
  model_version: string;
  category: string;
}

describe('cache commands', () => {
  let dir: TempDir;
  let server: RedisServer;
  let redis: Redis;
  const run = (...args: string[]) =>
    runCli(['--data-dir', dir.path, '--redis-url', server.url, ...args], {
      DATABASE_URL: '',
      REDIS_KEY_PREFIX: '',
    });

  before(async () => {
    dir = await tempDir();
    server = await startRedis();
    redis = new Redis(server.url);
    const steps = [
      ['generate', '--orders', '2000'],
      ['aggregate', '--input', path.join(dir.path, 'orders.csv')],
      ['train'],
    ];
    for (const step of steps) {
      const r = await run(...step);
      assert.equal(r.code, 0, `${step.join(' ')}: ${r.stderr}`);
    }
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
    await dir.remove();
  });

  test('predict --cached on an empty cache › the model answers, the miss rewarms the cache', async () => {
    const r = await run('predict', '--cached', '0', '9', 'Fresh Fruits', '--json');
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout) as Answer;
    assert.deepEqual(
      [answer.source, answer.miss_reason, answer.category],
      ['model', 'absent', 'fresh fruits'],
    );
    assert.equal(Number(await redis.get('0:9:fresh fruits')), answer.prediction);
    assert.equal(await redis.hget('orderflow:cache:meta', 'model_version'), answer.model_version);
  });

  test('cache refresh › unchanged for the cached version, --force rewrites every cell', async () => {
    const again = await run('cache', 'refresh');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^unchanged/);
    const forced = await run('cache', 'refresh', '--force', '--json');
    const result = JSON.parse(forced.stdout) as { status: string; count: number };
    assert.equal(result.status, 'refreshed');
    assert.equal(result.count % 168, 0);
    assert.equal(await redis.hget('orderflow:cache:meta', 'count'), String(result.count));
  });

  test('predict --cached › a hit says source: cache and equals the model answer', async () => {
    const cached = await run('predict', '--cached', '0', '9', 'fresh fruits');
    assert.equal(cached.code, 0, cached.stderr);
    assert.match(cached.stdout, /^Predicted items: \d+\.\d\d \(source: cache\)$/m);
    const json = JSON.parse((await run('predict', '--cached', '3', '14', 'milk', '--json')).stdout) as Answer;
    const plain = JSON.parse((await run('predict', '3', '14', 'milk', '--json')).stdout) as Answer;
    assert.equal(json.source, 'cache');
    assert.equal(json.prediction, plain.prediction);
  });

  test('predict --cached with an unknown category › exit 2 with suggestions', async () => {
    const r = await run('predict', '--cached', '0', '9', 'fresh fruit');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown category "fresh fruit"; closest known: "fresh fruits"/);
  });

  test('cache stats › counts, versions cached vs current, latency', async () => {
    const r = await run('cache', 'stats', '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, unknown> & { lookupLatency: { p50Ms: number } };
    assert.equal(s.upToDate, true);
    assert.equal(s.cachedVersion, s.currentVersion);
    assert.ok((s.hits as number) >= 2 && (s.misses as number) >= 1, JSON.stringify(s));
    assert.ok(s.lookupLatency.p50Ms > 0);
    const text = await run('cache', 'stats');
    assert.match(text.stdout, /model version\s+v\d+ cached, v\d+ current \(up to date\)/);
    assert.match(text.stdout, /hit rate/);
  });

  test('after FLUSHALL › the next miss rewarms the cache', async () => {
    await redis.flushall();
    const miss = JSON.parse((await run('predict', '--cached', '1', '10', 'milk', '--json')).stdout) as Answer;
    assert.equal(miss.source, 'model');
    assert.ok((await redis.dbsize()) > 168);
    const hit = JSON.parse((await run('predict', '--cached', '1', '10', 'milk', '--json')).stdout) as Answer;
    assert.equal(hit.source, 'cache');
    assert.equal(hit.prediction, miss.prediction);
  });

  test('cache clear › removes the cache keys and nothing else', async () => {
    await redis.set('not-ours', '1');
    const r = await run('cache', 'clear');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cleared: \d+ keys removed/);
    assert.deepEqual(await redis.keys('*'), ['not-ours']);
  });

  test('Redis stopped › predict --cached answers from the model with a warning, exit 0', async () => {
    await server.stop();
    try {
      const r = await run('predict', '--cached', '2', '8', 'milk');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /source: model/);
      assert.match(r.stderr, /warning: .*unreachable/);
      const stats = await run('cache', 'stats');
      assert.equal(stats.code, 1);
      assert.match(stats.stderr, /REDIS_URL/);
    } finally {
      await server.restart();
    }
  });
});
