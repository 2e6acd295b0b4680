// The three real pipeline DAGs with their real stages, schedules set to an hour so only the data-aware triggers
// can start runs: a file landing under DATA_DIR/incremental/raw leads to a committed aggregate, which starts
// training, whose new model version starts the cache refresh — without waiting for any schedule.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syncLocalOutput } from '../../src/ingest/output/increment-output.js';
import { deliverBatch } from '../../src/ingest/landing/simulate.js';
import {
  CACHE_DAG,
  FILE_TRIGGERED_DAG,
  INCREMENTAL_DAG,
  pipelineDags,
  pipelineStages,
  TRAINING_DAG,
} from '../../src/orchestration/pipeline-dags.js';
import type { RunRow } from '../../src/orchestration/run-store.js';
import { startScheduler, type SchedulerHandle } from '../../src/orchestration/scheduler.js';
import { startWorker, type WorkerHandle } from '../../src/orchestration/worker.js';
import { createRedis, type Redis } from '../../src/redis/redis.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { makeDaySource } from '../ingest/helpers.js';
import { openEnv, runsOf, type Env } from './harness.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = { everyMs: 3_600_000 };

describe('orchestration pipeline', () => {
  let redis: RedisServer;
  let env: Env;
  let source: TempDir;
  let stageRedis: Redis;
  const handles: (SchedulerHandle | WorkerHandle)[] = [];

  before(async () => {
    redis = await startRedis();
    source = await tempDir();
  });
  after(async () => {
    for (const h of handles.splice(0).reverse()) await h.close();
    stageRedis?.disconnect();
    await env?.close();
    await source.remove();
    await redis.stop();
  });

  test('pipeline › a landed file leads to a committed aggregate, a new model and a refreshed cache without waiting for a schedule', async () => {
    const days = await makeDaySource(source.path, 700);
    env = await openEnv(redis.url);
    stageRedis = createRedis(env.config);
    const dags = pipelineDags(pipelineStages({ config: env.config, db: env.db, redis: stageRedis }), {
      schedules: { [INCREMENTAL_DAG]: HOUR, [TRAINING_DAG]: HOUR, [CACHE_DAG]: HOUR },
    });
    const rt = env.runtime(dags);
    handles.push(await startWorker(rt, { concurrency: 3 }));
    handles.push(
      await startScheduler(rt, {
        fileTrigger: { dir: env.config.paths.incrementalRawDir, dagId: FILE_TRIGGERED_DAG },
      }),
    );
    // Registering the schedules makes one first tick per DAG; let those (with nothing to do) finish.
    const ended = (r: RunRow): boolean => r.state !== 'queued' && r.state !== 'running';
    for (const dag of [INCREMENTAL_DAG, TRAINING_DAG, CACHE_DAG]) {
      await waitFor(`the first tick of ${dag}`, async () => {
        const runs = await runsOf(env.db, dag);
        return runs.length > 0 && runs.every(ended);
      });
    }

    const landedAt = Date.now();
    await deliverBatch(path.join(days, '1'), path.join(env.config.paths.incrementalRawDir, '1'));
    const eventRun = async (dagId: string) =>
      waitFor(
        `an event run of ${dagId}`,
        async () => (await runsOf(env.db, dagId)).find((r) => r.trigger === 'event' && ended(r)),
        20_000,
      );
    const incremental = await eventRun(INCREMENTAL_DAG);
    assert.equal(incremental.state, 'success');
    // The output follows the ledger wherever it is read (here: this machine, before training it).
    await syncLocalOutput(env.config, env.db);
    await access(env.config.paths.incrementalCsv);
    const tasks = await env.db.query<{ task_id: string; state: string; result: Record<string, unknown> }>(
      'SELECT task_id, state, result FROM dag_task_instances WHERE run_id = $1 ORDER BY id',
      [incremental.id],
    );
    assert.deepEqual(
      tasks.map((t) => `${t.task_id}:${t.state}`),
      ['discover_files:success', 'aggregate:success', 'commit:success', 'update_tracking:success'],
    );
    const byTask = Object.fromEntries(tasks.map((t) => [t.task_id, t.result]));
    assert.equal(byTask.commit.status, 'committed');
    assert.deepEqual(byTask.commit.batches, ['1']);
    // One child job per landed file of the batch, each read by this test's worker.
    const files = (byTask.commit.files as { path: string }[]).map((f) => f.path);
    assert.equal(byTask.aggregate.parts, files.length);
    assert.equal(byTask.aggregate.read, files.length);
    assert.ok(incremental.created_at.getTime() - landedAt < 3_000, 'started within a few seconds of landing');

    const training = await eventRun(TRAINING_DAG);
    assert.equal(training.state, 'success');
    const cache = await eventRun(CACHE_DAG);
    assert.equal(cache.state, 'success');
    const [refresh] = await env.db.query<{ result: { status: string } }>(
      'SELECT result FROM dag_task_instances WHERE run_id = $1',
      [cache.id],
    );
    assert.equal(refresh.result.status, 'refreshed');
  });
});
