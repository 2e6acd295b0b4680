// Scheduler and worker through a Sentinel failover: the pipeline's three DAGs (stand-in stages) ticking every
// 400 ms, the cache refresh taking 0.8 s so a run is in flight when the primary is killed. Asserted: ticks and runs resume on the new primary for every
// DAG; every run ends (success after a retry, or failed; none stays queued/running); no tick makes two runs.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import {
  CACHE_DAG,
  INCREMENTAL_DAG,
  pipelineDags,
  TRAINING_DAG,
  type PipelineStages,
} from '../../src/orchestration/pipeline-dags.js';
import { openPipelineRuntime } from '../../src/app/pipeline-runtime.js';
import type { RunRow } from '../../src/orchestration/run-store.js';
import type { OrchestrationRuntime } from '../../src/orchestration/runtime.js';
import { startScheduler, type SchedulerHandle } from '../../src/orchestration/scheduler.js';
import { startWorker, type WorkerHandle } from '../../src/orchestration/worker.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startSentinels, type SentinelDeployment } from '../helpers/sentinel.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { commitOnlyIncremental, FAST_SETTINGS, runsOf } from '../orchestration/harness.js';
import { waitFor } from '../helpers/wait.js';

const EVERY_MS = 400;

/** Simulated work inside a stage (not a wait in the test), cut short when the task is aborted. */
const work = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal });

/** The real three DAGs with stand-in stages: the cache refresh "works" 0.8 s, so one is in flight at the kill. */
const stages: PipelineStages = {
  incremental: commitOnlyIncremental(
    async (ctx) => (await work(20, ctx.signal), { newDataKey: null, summary: {} }),
  ),
  train: async (ctx) => (await work(20, ctx.signal), { newVersion: null, summary: {} }),
  refreshCache: async (ctx) => (await work(800, ctx.signal), { summary: {} }),
};
const every = { everyMs: EVERY_MS };
const DAGS = pipelineDags(stages, {
  schedules: { [INCREMENTAL_DAG]: every, [TRAINING_DAG]: every, [CACHE_DAG]: every },
});
const ended = (r: RunRow): boolean => r.state !== 'queued' && r.state !== 'running';

describe('redis failover (Sentinel): DAGs', () => {
  let deployment: SentinelDeployment;
  let database: TestDatabase;
  let dir: TempDir;
  let config: Config;
  let db: Db;
  let runtime: OrchestrationRuntime | undefined;
  const handles: (SchedulerHandle | WorkerHandle)[] = [];
  const logger = createLogger('silent');

  before(async () => {
    deployment = await startSentinels();
    database = await createTestDatabase();
    dir = await tempDir();
    config = loadConfig({
      DATA_DIR: dir.path,
      DATABASE_URL: database.url,
      REDIS_URL: 'redis://127.0.0.1:1',
      ...deployment.env,
      LOG_LEVEL: 'silent',
    });
    db = await openStore(config, logger);
  });
  after(async () => {
    for (const h of handles.splice(0).reverse()) await h.close();
    await runtime?.close();
    await db?.close();
    await deployment.stop();
    await database.drop();
    await dir.remove();
  });

  test('failover › the DAGs keep ticking on the new primary, every run ends, no tick makes two runs', async () => {
    runtime = await openPipelineRuntime(config, logger, { dags: DAGS, settings: FAST_SETTINGS });
    handles.push(await startWorker(runtime, { concurrency: 3 }));
    const scheduler = await startScheduler(runtime, { scheduleGuardMs: 500 });
    handles.push(scheduler);
    const successes = async (dagId: string, since: number) =>
      (await runsOf(db, dagId)).filter((r) => r.state === 'success' && r.planned_at.getTime() > since).length;
    for (const d of DAGS)
      await waitFor(`two successful runs of ${d.id}`, async () => (await successes(d.id, 0)) >= 2, 15_000);
    await waitFor('a cache refresh run in flight', async () =>
      (await runsOf(db, CACHE_DAG)).some((r) => r.state === 'running'),
    );

    const switched = await deployment.listenForSwitch();
    const killedAt = Date.now();
    await deployment.primary.kill();
    await switched.next();
    const switchedAt = Date.now();
    for (const d of DAGS)
      await waitFor(
        `a successful run of ${d.id} planned after the failover`,
        async () => (await successes(d.id, switchedAt)) >= 1,
        20_000,
      );

    await scheduler.close();
    const all = await waitFor(
      'every run to end',
      async () => {
        const runs = (await Promise.all(DAGS.map((d) => runsOf(db, d.id)))).flat();
        return runs.every(ended) ? runs : undefined;
      },
      20_000,
    );
    const interrupted = all.filter(
      (r) => r.created_at.getTime() < killedAt && r.ended_at!.getTime() > killedAt,
    );
    assert.ok(interrupted.length > 0, 'a run was in flight during the failover');
    for (const r of interrupted)
      assert.ok(['success', 'failed'].includes(r.state), `${r.dag_id} #${r.id}: ${r.state}`);
    for (const d of DAGS) {
      const planned = all
        .filter((r) => r.dag_id === d.id && r.trigger === 'schedule')
        .map((r) => r.planned_at.getTime());
      assert.equal(new Set(planned).size, planned.length, `${d.id}: one run per tick`);
      // Cadence: no gap between two ticks longer than the outage plus a few intervals.
      const sorted = [...planned].sort((a, b) => a - b);
      const gap = Math.max(...sorted.slice(1).map((t, i) => t - sorted[i]));
      assert.ok(gap < switchedAt - killedAt + 5 * EVERY_MS + 2_000, `${d.id}: ticks ${gap} ms apart at most`);
    }
  });
});
