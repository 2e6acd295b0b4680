// A Sentinel failover under load: the primary is killed (SIGKILL) and the sentinels promote the replica.
// Before the kill the replica is made to miss the last cache refresh (stopped, its link cut, the refresh written,
// then resumed), and the ledger is ahead of the tracking keys, so the new primary starts behind on both.
// Asserted: prediction reads never fail (the model answers meanwhile, the cache again afterwards, with the
// newer model's version); the pipeline process repairs the cache and the tracking keys on the new primary;
// /readyz, /metrics and `orderflow status` name the new primary and the failover.
// REDIS_URL points at a port nothing listens on, so every connection (stages, cache, queues, the API and its
// subscription) can only work through the sentinels.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startServer, type RunningServer } from '../../src/app/server.js';
import { refreshCache } from '../../src/cache/refresh.js';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import type { RepairResult } from '../../src/app/failover-repair.js';
import { openPipelineRuntime } from '../../src/app/pipeline-runtime.js';
import type { OrchestrationRuntime } from '../../src/orchestration/runtime.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import { deliverBatch } from '../../src/ingest/landing/simulate.js';
import { readTracking } from '../../src/ingest/output/tracking.js';
import { connectRedis } from '../../src/redis/redis.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { MemoryDagService } from '../api/memory-dags.js';
import { writeTestModel } from '../cache/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startSentinels, type SentinelDeployment } from '../helpers/sentinel.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { makeDaySource } from '../ingest/helpers.js';

const CATEGORIES = ['fresh fruits', 'milk', 'yogurt'];

interface Answer {
  at: number;
  status: number;
  source?: string;
  version?: string;
  missReason?: string;
}

describe('redis failover (Sentinel)', () => {
  let deployment: SentinelDeployment;
  let database: TestDatabase;
  let dir: TempDir;
  let source: TempDir;
  let config: Config;
  const API_TOKEN = 'failover-test-token-0123456789';
  let vars: Record<string, string>;
  let db: Db;
  let runtime: OrchestrationRuntime | undefined;
  let server: RunningServer | undefined;
  const clients: Redis[] = [];
  const logger = createLogger('silent');

  before(async () => {
    deployment = await startSentinels();
    database = await createTestDatabase();
    dir = await tempDir();
    source = await tempDir();
    vars = {
      DATA_DIR: dir.path,
      DATABASE_URL: database.url,
      // Nothing listens here: only the sentinels can name the primary.
      REDIS_URL: 'redis://127.0.0.1:1',
      ...deployment.env,
      LOG_LEVEL: 'silent',
      ORDERFLOW_ADMIN_PASSWORD: 'failover-test-password',
      ORDERFLOW_API_TOKEN: API_TOKEN,
    };
    config = loadConfig(vars);
    db = await openStore(config, logger);
  });
  after(async () => {
    await server?.close();
    await runtime?.close();
    for (const c of clients) c.disconnect();
    await db?.close();
    await deployment.stop();
    await database.drop();
    await dir.remove();
    await source.remove();
  });

  test('failover › reads never fail, then come from the cache again; cache and tracking keys are repaired on the new primary; status, /readyz and /metrics name it', async () => {
    const days = await makeDaySource(source.path, 300);
    const stage = await connectRedis(config);
    clients.push(stage);
    // Batch 1 committed with its tracking keys; batch 2 committed while "Redis was away": the keys lag the ledger.
    await deliverBatch(path.join(days, '1'), path.join(config.paths.incrementalRawDir, '1'));
    await runIncremental({ config, logger, db, redis: stage });
    await deliverBatch(path.join(days, '2'), path.join(config.paths.incrementalRawDir, '2'));
    await runIncremental({ config, logger, db, redis: undefined });
    await writeTestModel(config.paths.modelsDir, 'v1', CATEGORIES, 1);
    const first = await refreshCache({ config, logger, redis: stage });
    assert.equal(first.replicasAcknowledged, 1, 'the refresh waited for the replica');

    const repairs: (Partial<RepairResult> & { failover: boolean })[] = [];
    runtime = await openPipelineRuntime(config, logger, {
      dags: [],
      onRedisRepaired: (r) => repairs.push(r),
    });
    server = await startServer(
      { config, logger, db, services: { dags: new MemoryDagService() } },
      { port: 0 },
    );
    const app = server.app;
    const answers: Answer[] = [];
    let loading = true;
    const load = (async () => {
      for (let i = 0; loading; i++) {
        const res = await app.inject(`/api/predictions/${i % 7}/${i % 24}/milk`);
        const body = res.json<{ source?: string; model_version?: string; miss_reason?: string }>();
        answers.push({
          at: Date.now(),
          status: res.statusCode,
          source: body.source,
          version: body.model_version,
          missReason: body.miss_reason,
        });
        await new Promise((resolve) => setTimeout(resolve, 5)); // pacing of the load, not a wait for a state
      }
    })();
    await waitFor('a cached answer of v1', async () =>
      answers.some((a) => a.source === 'cache' && a.version === 'v1'),
    );

    // The replica misses the v2 refresh: stopped, its link cut by the primary, the refresh written, then killed.
    const oldPrimary = `127.0.0.1:${deployment.primary.port}`;
    const newPrimary = `127.0.0.1:${deployment.replica.port}`;
    const admin = new Redis({ port: deployment.primary.port, lazyConnect: true });
    clients.push(admin);
    admin.on('error', () => {}); // it dies with the primary
    const switched = await deployment.listenForSwitch();
    process.kill(deployment.replica.pid!, 'SIGSTOP');
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'replica');
      await writeTestModel(config.paths.modelsDir, 'v2', CATEGORIES, 2);
      const missed = await refreshCache({ config, logger, redis: stage });
      assert.deepEqual([missed.status, missed.replicasAcknowledged], ['refreshed', null]);
      admin.disconnect();
      const killedAt = Date.now();
      await deployment.primary.kill();
      process.kill(deployment.replica.pid!, 'SIGCONT');
      const replica = new Redis({ port: deployment.replica.port });
      clients.push(replica);
      assert.equal(
        await replica.hget('orderflow:cache:meta', 'model_version'),
        'v1',
        'the replica missed v2',
      );

      const { toPort } = await switched.next();
      assert.equal(toPort, deployment.replica.port);
      const repaired = await waitFor('the repair after the failover', async () =>
        repairs.find((r) => r.failover),
      );
      assert.equal(repaired.tracking, 'rebuilt');
      assert.ok(
        repaired.cache === 'refreshed' || repaired.cache === 'unchanged' || repaired.cache === 'busy',
      );
      const backAt = await waitFor(
        'a cached answer of v2 after the failover',
        async () => answers.find((a) => a.at > killedAt && a.source === 'cache' && a.version === 'v2')?.at,
      );
      loading = false;
      await load;

      assert.deepEqual(
        answers.filter((a) => a.status !== 200),
        [],
        'every prediction read answered 200',
      );
      assert.ok(
        answers.some((a) => a.at > killedAt && a.at < backAt && a.source === 'model'),
        'the model answered during the failover',
      );
      assert.equal(await replica.hget('orderflow:cache:meta', 'model_version'), 'v2');
      assert.deepEqual((await readTracking(replica, config)).processedDays, ['1', '2']);
    } finally {
      if (deployment.replica.pid) process.kill(deployment.replica.pid, 'SIGCONT');
      loading = false;
      await load;
    }

    // /readyz gives its details (which Redis is primary) to a logged-in caller or the API token only.
    const bearer = { authorization: `Bearer ${API_TOKEN}` };
    const ready = (await app.inject({ url: '/readyz', headers: bearer })).json<{
      redis: { ok: boolean; primary: string; mode: string; lastFailover: { from: string; to: string } };
    }>();
    assert.equal(ready.redis.ok, true);
    assert.equal(ready.redis.primary, newPrimary);
    assert.deepEqual([ready.redis.lastFailover.from, ready.redis.lastFailover.to], [oldPrimary, newPrimary]);
    const metrics = (await app.inject('/metrics')).body;
    assert.match(
      metrics,
      new RegExp(`orderflow_redis_primary\\{address="${newPrimary}",mode="sentinel"\\} 1`),
    );
    assert.match(metrics, /orderflow_redis_last_failover_timestamp_seconds \d/);
    const status = await runCli(['status', '--json'], vars);
    assert.equal(status.code, 0, status.stderr);
    const json = JSON.parse(status.stdout) as {
      redisTopology: { primary: string; lastFailover: { to: string } };
    };
    assert.equal(json.redisTopology.primary, newPrimary);
    assert.equal(json.redisTopology.lastFailover.to, newPrimary);
  });
});
