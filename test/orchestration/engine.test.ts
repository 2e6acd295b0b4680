// The DAG engine on a real Redis and PostgreSQL: dependency order, retries with backoff, timeouts, failure
// propagation, pause/unpause/trigger, task logs, and the run-history query API.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  getRun,
  listDags,
  listRuns,
  pauseDag,
  triggerDag,
  unpauseDag,
} from '../../src/orchestration/queries.js';
import { taskJobId } from '../../src/orchestration/runs.js';
import { startScheduler, type SchedulerHandle } from '../../src/orchestration/scheduler.js';
import { sweep } from '../../src/orchestration/sweeper.js';
import { startWorker, type WorkerHandle } from '../../src/orchestration/worker.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { FAST_SETTINGS, openEnv, runsOf, testDag, triesOf, waitForRunEnd, type Env } from './harness.js';
import { waitFor } from '../helpers/wait.js';

describe('orchestration engine', () => {
  let redis: RedisServer;
  let env: Env;
  const handles: (SchedulerHandle | WorkerHandle)[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const h of handles.splice(0).reverse()) await h.close();
    await env?.close();
  });

  test('engine › tasks run in dependency order and see their upstream results', async () => {
    env = await openEnv(redis.url);
    const order: string[] = [];
    const step = (id: string, dependsOn: string[] = []) => ({
      id,
      dependsOn,
      run: async (ctx: { upstream: Record<string, unknown> }) => {
        order.push(id);
        await sleep(20); // simulated work (not a wait): b and c overlap on the two slots
        return { id, saw: Object.keys(ctx.upstream).sort() };
      },
    });
    const rt = env.runtime([
      testDag('diamond', [step('d', ['b', 'c']), step('b', ['a']), step('c', ['a']), step('a')]),
    ]);
    handles.push(await startWorker(rt, { concurrency: 2 }));
    const created = await triggerDag(rt, 'diamond');
    assert.equal(created.outcome, 'created');
    const run = await waitForRunEnd(env.db, (created as { runId: number }).runId);
    assert.equal(run.state, 'success');
    assert.equal(run.trigger, 'manual');
    assert.ok(run.duration_ms !== null && run.ended_at !== null);
    assert.equal(order[0], 'a');
    assert.equal(order[3], 'd');
    const detail = await getRun(rt, run.id);
    const d = detail.tasks.find((t) => t.taskId === 'd');
    assert.deepEqual(d?.result, { id: 'd', saw: ['b', 'c'] });
    assert.ok(d?.logs?.some((l) => l.message === 'task started'));
  });

  test('engine › a failing task is retried with exponential backoff, then succeeds', async () => {
    env = await openEnv(redis.url);
    const startedAt: number[] = [];
    const rt = env.runtime([
      testDag('flaky', [
        {
          id: 'flaky_task',
          retries: 3,
          retryDelayMs: 200,
          run: async (ctx) => {
            startedAt.push(Date.now());
            ctx.logger.info({ try: ctx.tryNumber }, 'attempting');
            if (ctx.tryNumber < 3) throw new Error(`boom ${ctx.tryNumber}`);
            return 'ok';
          },
        },
      ]),
    ]);
    handles.push(await startWorker(rt));
    const { runId } = (await triggerDag(rt, 'flaky')) as { runId: number };
    const run = await waitForRunEnd(env.db, runId);
    assert.equal(run.state, 'success');
    const tries = await triesOf(env.db, runId);
    assert.deepEqual(
      tries.map((t) => [t.try_number, t.state, t.error]),
      [
        [1, 'up_for_retry', 'boom 1'],
        [2, 'up_for_retry', 'boom 2'],
        [3, 'success', null],
      ],
    );
    // Backoff 200 ms then 400 ms (BullMQ's exponential: delay · 2^(attempt-1)).
    assert.ok(startedAt[1] - startedAt[0] >= 180, `first retry after ${startedAt[1] - startedAt[0]} ms`);
    assert.ok(startedAt[2] - startedAt[1] >= 380, `second retry after ${startedAt[2] - startedAt[1]} ms`);
    const logs = await getRun(rt, runId, { taskId: 'flaky_task' });
    assert.equal(logs.tasks.length, 3);
    assert.ok(logs.tasks[0].logs?.some((l) => l.level === 'error' && /retry 1 of 3/.test(l.message)));
  });

  test('engine › a task failing for good fails the run; its dependents are upstream_failed', async () => {
    env = await openEnv(redis.url);
    const rt = env.runtime([
      testDag('broken', [
        {
          id: 'bad',
          run: async () => {
            throw new Error('no data');
          },
        },
        { id: 'after_bad', dependsOn: ['bad'], run: async () => 'never' },
      ]),
    ]);
    handles.push(await startWorker(rt));
    const { runId } = (await triggerDag(rt, 'broken')) as { runId: number };
    const run = await waitForRunEnd(env.db, runId);
    assert.equal(run.state, 'failed');
    assert.match(run.note ?? '', /bad failed/);
    const tries = await triesOf(env.db, runId);
    assert.deepEqual(
      tries.map((t) => [t.task_id, t.state]),
      [
        ['bad', 'failed'],
        ['after_bad', 'upstream_failed'],
      ],
    );
  });

  test('engine › a try running past its timeout fails and its signal is aborted', async () => {
    env = await openEnv(redis.url);
    let aborted = false;
    const rt = env.runtime([
      testDag('slow', [
        {
          id: 'sleepy',
          timeoutMs: 200,
          run: async (ctx) => {
            ctx.signal.addEventListener('abort', () => (aborted = true));
            // Simulated work far past the timeout that stops when asked to (a task honouring its signal).
            await sleep(10_000, undefined, { signal: ctx.signal }).catch(() => undefined);
          },
        },
      ]),
    ]);
    handles.push(await startWorker(rt));
    const { runId } = (await triggerDag(rt, 'slow')) as { runId: number };
    const run = await waitForRunEnd(env.db, runId);
    assert.equal(run.state, 'failed');
    const [only] = await triesOf(env.db, runId);
    assert.match(only.error ?? '', /timed out after 200 ms/);
    assert.ok(aborted);
  });

  test('engine › pause stops runs, unpause resumes them, trigger runs once', async () => {
    env = await openEnv(redis.url);
    const rt = env.runtime([testDag('ticker', [{ id: 'noop', run: async () => null }], 300)]);
    const outcomes: string[] = [];
    handles.push(await startWorker(rt));
    handles.push(await startScheduler(rt, { onTick: (t) => outcomes.push(t.outcome) }));
    await waitFor('two scheduled runs', async () => (await runsOf(env.db, 'ticker')).length >= 2);

    await pauseDag(rt, 'ticker');
    // A tick already being handled may still land: count from the first tick handled as paused.
    await waitFor('a tick handled while paused', () => outcomes.includes('paused'), 10_000);
    const atPause = (await runsOf(env.db, 'ticker')).length;
    const pausedTicks = outcomes.filter((o) => o === 'paused').length;
    await waitFor(
      'three more ticks handled while paused',
      () => outcomes.filter((o) => o === 'paused').length >= pausedTicks + 3,
      10_000,
    );
    assert.equal((await runsOf(env.db, 'ticker')).length, atPause, 'no runs while paused');
    assert.equal((await listDags(rt))[0].paused, true);

    const manual = await triggerDag(rt, 'ticker');
    assert.equal(manual.outcome, 'created', 'a manual trigger runs even when paused');
    await waitForRunEnd(env.db, (manual as { runId: number }).runId);
    const afterTrigger = await runsOf(env.db, 'ticker');
    assert.equal(afterTrigger.length, atPause + 1);
    assert.equal(afterTrigger.at(-1)?.trigger, 'manual');

    await unpauseDag(rt, 'ticker');
    await waitFor('scheduled runs again', async () => {
      const runs = await runsOf(env.db, 'ticker');
      return runs.length >= atPause + 3 && runs.at(-1)?.trigger === 'schedule';
    });
    const list = await listDags(rt);
    assert.equal(list[0].paused, false);
    assert.ok(list[0].nextRunAt !== null);
    assert.equal(list[0].scheduleText, 'every 300ms');
    const runs = await listRuns(rt, 'ticker', { limit: 2 });
    assert.equal(runs.length, 2);
    assert.ok(runs[0].id > runs[1].id, 'newest first');
  });

  test('engine › an unknown DAG is refused with the known ids', async () => {
    env = await openEnv(redis.url);
    const rt = env.runtime([testDag('only_one', [{ id: 'x', run: async () => null }])]);
    await assert.rejects(triggerDag(rt, 'nope'), (err: Error & { code?: string; suggestions?: string[] }) => {
      assert.equal(err.code, 'NOT_FOUND');
      assert.deepEqual(err.suggestions, ['only_one']);
      return true;
    });
  });

  test('sweeper › a queued task whose job vanished is enqueued again; old history is deleted', async () => {
    env = await openEnv(redis.url);
    const rt = env.runtime([testDag('lost', [{ id: 'only', run: async () => 'done' }])], {
      ...FAST_SETTINGS,
      lostTaskGraceMs: 0,
    });
    const { runId } = (await triggerDag(rt, 'lost')) as { runId: number };
    assert.equal(await rt.tasks.remove(taskJobId(runId, 'only')), 1);
    const repaired = await sweep(rt);
    assert.equal(repaired.requeued, 1);
    handles.push(await startWorker(rt));
    assert.equal((await waitForRunEnd(env.db, runId)).state, 'success');

    await env.db.query(`UPDATE dag_runs SET created_at = now() - interval '15 days' WHERE id = $1`, [runId]);
    // Part records of incremental runs (the processing view) as old, and one recent: only the old one goes.
    await env.db.query(
      `INSERT INTO ingest_parts (token, path, range_index, range_count, bytes, state, queued_at)
       VALUES (1, 'old.csv', 0, 1, 10, 'committed', now() - interval '15 days'),
              (2, 'new.csv', 0, 1, 10, 'committed', now())`,
    );
    const retained = await sweep(rt, { retention: true });
    assert.deepEqual(await env.db.query('SELECT path FROM ingest_parts'), [{ path: 'new.csv' }]);
    assert.equal(
      retained.deletedRuns,
      1,
      `older than ORDERFLOW_RUN_RETENTION_DAYS=${env.config.runRetentionDays}`,
    );
    assert.deepEqual(await env.db.query('SELECT count(*)::int AS n FROM dag_task_instances'), [{ n: 0 }]);
  });
});
