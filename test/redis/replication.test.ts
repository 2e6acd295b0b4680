// The cache refresh's wait for a replica (WAIT 1) and the repairs a pipeline process runs after a reconnect, each
// on its own: with a replica that answers, one that does not (stopped: the wait is bounded and reported as 0
// acknowledgements), none at all; and a cache or tracking keys behind the model and the ledger.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisPredictionCache } from '../../src/cache/redis-cache.js';
import { refreshCache } from '../../src/cache/refresh.js';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { repairAfterReconnect } from '../../src/app/failover-repair.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import { deliverBatch } from '../../src/ingest/landing/simulate.js';
import { readTracking, writeTracking } from '../../src/ingest/output/tracking.js';
import { connectRedis } from '../../src/redis/redis.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { writeTestModel } from '../cache/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { makeDaySource } from '../ingest/helpers.js';

const CATEGORIES = ['fresh fruits', 'milk'];
const logger = createLogger('silent');

describe('replication and repair', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let database: TestDatabase;
  let dir: TempDir;
  let config: Config;
  let db: Db;
  let redis: Redis;

  before(async () => {
    primary = await startRedis({ args: ['--repl-diskless-sync-delay', '0'] });
    database = await createTestDatabase();
    dir = await tempDir();
    config = loadConfig({ DATA_DIR: dir.path, DATABASE_URL: database.url, REDIS_URL: primary.url });
    db = await openStore(config, logger);
    redis = await connectRedis(config);
  });
  after(async () => {
    redis.disconnect();
    await db.close();
    await replica?.stop();
    await primary.stop();
    await database.drop();
    await dir.remove();
  });

  test('WAIT › no replica: nothing to wait for (null); a replica: 1 acknowledgement; a stopped one: 0 after the bound; ROLE refused: no wait', async () => {
    await writeTestModel(config.paths.modelsDir, 'v1', CATEGORIES, 1);
    const alone = await refreshCache({ config, logger, redis });
    assert.deepEqual([alone.status, alone.replicasAcknowledged], ['refreshed', null]);

    replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    const probe = new Redis(replica.url);
    try {
      await waitFor('the replica to sync', async () =>
        /master_link_status:up/.test(await probe.info('replication')),
      );
      // The replica may see its link up a moment before the primary lists it as online (what ROLE reports).
      await waitFor('the primary to list its replica', async () => {
        const role = (await redis.call('ROLE')) as [string, number, unknown[]];
        return role[2].length > 0;
      });
      await writeTestModel(config.paths.modelsDir, 'v2', CATEGORIES, 2);
      const acked = await refreshCache({ config, logger, redis });
      assert.deepEqual([acked.status, acked.replicasAcknowledged], ['refreshed', 1]);
      assert.equal(await probe.hget('orderflow:cache:meta', 'model_version'), 'v2');

      await writeTestModel(config.paths.modelsDir, 'v3', CATEGORIES, 3);
      const cache = new RedisPredictionCache(redis, config, 300);
      process.kill(replica.pid!, 'SIGSTOP');
      try {
        const started = performance.now();
        const unacked = await refreshCache({ config, logger, redis, cache });
        assert.deepEqual([unacked.status, unacked.replicasAcknowledged], ['refreshed', 0]);
        assert.ok(performance.now() - started >= 290, 'waited for the bound');
        assert.equal(await redis.hget('orderflow:cache:meta', 'model_version'), 'v3', 'still written');
      } finally {
        process.kill(replica.pid!, 'SIGCONT');
      }

      // A user the ACL refuses ROLE (@admin) still refreshes, only without the wait.
      await redis.call(
        'ACL',
        'SETUSER',
        'limited',
        'on',
        '>pw',
        '~*',
        '&*',
        '+@all',
        '-@admin',
        '-@dangerous',
      );
      const limited = await connectRedis({ redisUrl: `redis://limited:pw@127.0.0.1:${primary.port}` });
      try {
        await writeTestModel(config.paths.modelsDir, 'v3b', CATEGORIES, 5);
        const plain = await refreshCache({ config, logger, redis: limited });
        assert.deepEqual([plain.status, plain.replicasAcknowledged], ['refreshed', null]);
      } finally {
        limited.disconnect();
      }
    } finally {
      probe.disconnect();
    }
  });

  test('repair › a cache of another model version is refreshed, tracking keys behind the ledger rebuilt; then nothing to do', async () => {
    const source = await tempDir();
    try {
      const days = await makeDaySource(source.path, 200);
      await deliverBatch(path.join(days, '3'), path.join(config.paths.incrementalRawDir, '3'));
      await runIncremental({ config, logger, db, redis });
      await writeTracking(redis, config, { processedDays: [], lastProcessedDay: null });
      await writeTestModel(config.paths.modelsDir, 'v4', CATEGORIES, 4);

      assert.deepEqual(await repairAfterReconnect({ config, logger, db, redis }), {
        cache: 'refreshed',
        tracking: 'rebuilt',
      });
      assert.equal(await redis.hget('orderflow:cache:meta', 'model_version'), 'v4');
      assert.deepEqual(await readTracking(redis, config), { processedDays: ['3'], lastProcessedDay: '3' });
      assert.deepEqual(await repairAfterReconnect({ config, logger, db, redis }), {
        cache: 'unchanged',
        tracking: 'agreed',
      });
    } finally {
      await source.remove();
    }
  });
});
