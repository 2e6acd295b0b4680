// Scheduling semantics on a real Redis and PostgreSQL: the incremental DAG on its real 4 s schedule never
// overlaps itself (late ticks are recorded as skipped), two schedulers make one run per tick, and a scheduler
// back after downtime makes one catch-up run, not one per missed tick.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, test } from 'node:test';
import { INCREMENTAL_DAG, pipelineDags, type PipelineStages } from '../../src/orchestration/pipeline-dags.js';
import { createRun } from '../../src/orchestration/runs.js';
import { startScheduler, type SchedulerHandle, type TickEvent } from '../../src/orchestration/scheduler.js';
import { startWorker, type WorkerHandle } from '../../src/orchestration/worker.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { commitOnlyIncremental, openEnv, runsOf, testDag, type Env } from './harness.js';
import { ManualClock } from '../helpers/clock.js';
import { waitFor } from '../helpers/wait.js';

describe('orchestration schedules', () => {
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

  test('schedule › the incremental DAG runs ≥ 5 times in ~25 s with no overlap, even with a task slowed past 4 s', async () => {
    env = await openEnv(redis.url);
    const spans: [number, number][] = [];
    let calls = 0;
    const stages: PipelineStages = {
      incremental: commitOnlyIncremental(async (ctx) => {
        const start = Date.now();
        calls++;
        // Simulated work, not a wait: the second run takes 5 s against the 4 s schedule (BullMQ's real-time
        // ticks, which no injected clock moves), like the original's slow Spark runs.
        await sleep(calls === 2 ? 5_000 : 300);
        ctx.logger.info({ call: calls }, 'fake incremental');
        spans.push([start, Date.now()]);
        return { newDataKey: null, summary: { call: calls } };
      }),
      train: async () => ({ newVersion: null, summary: null }),
      refreshCache: async () => ({ summary: null }),
    };
    const rt = env.runtime(pipelineDags(stages));
    handles.push(await startWorker(rt, { concurrency: 3 }));
    handles.push(await startScheduler(rt));
    const started = Date.now();
    await waitFor(
      '5 successful incremental runs',
      async () => (await runsOf(env.db, INCREMENTAL_DAG)).filter((r) => r.state === 'success').length >= 5,
      27_000,
    );
    assert.ok(Date.now() - started <= 27_000);
    const runs = await runsOf(env.db, INCREMENTAL_DAG);
    const done = runs.filter((r) => r.state === 'success');
    const skipped = runs.filter((r) => r.state === 'skipped');
    assert.ok(done.length >= 5);
    assert.ok(skipped.length >= 1, 'the tick during the slow run is recorded as skipped');
    assert.match(skipped[0].note ?? '', /run \d+ was still (running|queued)/);
    assert.ok(runs.every((r) => r.trigger === 'schedule'));
    // No overlap, both by the task's own clock and in the run history.
    const sorted = [...spans].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i][0] >= sorted[i - 1][1], `task ${i} overlaps`);
    const history = done
      .map((r) => [r.started_at!.getTime(), r.ended_at!.getTime()])
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < history.length; i++)
      assert.ok(history[i][0] >= history[i - 1][1], `run ${i} overlaps`);
  });

  test('schedule › two schedulers started by mistake still make one run per tick', async () => {
    env = await openEnv(redis.url);
    const dags = [testDag('twice', [{ id: 'noop', run: async () => null }], 400)];
    const events: (TickEvent & { scheduler: string })[] = [];
    const a = env.runtime(dags);
    const b = env.runtime(dags);
    handles.push(await startWorker(a, { concurrency: 2 }));
    handles.push(await startScheduler(a, { onTick: (t) => events.push({ ...t, scheduler: 'a' }) }));
    handles.push(await startScheduler(b, { onTick: (t) => events.push({ ...t, scheduler: 'b' }) }));
    await waitFor('six ticks', () => events.length >= 6, 10_000);
    for (const h of handles.splice(1).reverse()) await h.close();
    const planned = events.map((e) => e.plannedAt);
    assert.ok(events.length >= 6, `only ${events.length} ticks`);
    assert.equal(new Set(planned).size, planned.length, 'no tick handled twice');
    const runs = (await runsOf(env.db, 'twice')).filter((r) => r.trigger === 'schedule');
    assert.equal(runs.length, events.length, 'one run (or skipped run) per tick');
    assert.equal(new Set(runs.map((r) => r.planned_at.getTime())).size, runs.length);
    // Handling the same tick again (a retried tick job) makes no second run.
    const again = await createRun(a, {
      dagId: 'twice',
      trigger: 'schedule',
      runKey: `schedule:${planned[0]}`,
      plannedAt: new Date(planned[0]),
    });
    assert.equal(again.outcome, 'duplicate');
  });

  test('schedule › after downtime there is one catch-up run, not one per missed tick', async () => {
    env = await openEnv(redis.url);
    const dags = [testDag('downtime', [{ id: 'noop', run: async () => null }], 500)];
    const first = env.runtime(dags);
    handles.push(await startWorker(first));
    const scheduler = await startScheduler(first);
    await waitFor('two runs', async () => (await runsOf(env.db, 'downtime')).length >= 2);
    await scheduler.close();
    const stoppedAt = Date.now();
    // The outage itself, not a wait for a state: six ticks of BullMQ's real-time schedule go by unhandled.
    await sleep(3_000);
    const restartedAt = Date.now();
    const resumed: TickEvent[] = [];
    handles.push(
      await startScheduler(env.runtime(dags), {
        onTick: (t) => t.plannedAt >= restartedAt && resumed.push(t),
      }),
    );
    // The catch-up tick comes first; two ticks of the resumed schedule show it is running again.
    await waitFor('two ticks after the restart', () => resumed.length >= 2, 10_000);
    const runs = await runsOf(env.db, 'downtime');
    const missed = runs.filter(
      (r) => r.planned_at.getTime() > stoppedAt && r.planned_at.getTime() < restartedAt,
    );
    assert.equal(missed.length, 1, `catch-up runs: ${missed.length}`);
    assert.ok(missed[0].created_at.getTime() >= restartedAt - 50);
    assert.ok(runs.filter((r) => r.created_at.getTime() >= restartedAt).length <= 4);
  });

  test('schedule › after FLUSHALL the scheduler restores its schedules and runs go on', async () => {
    env = await openEnv(redis.url);
    const dags = [testDag('flushed', [{ id: 'noop', run: async () => null }], 300)];
    const clock = new ManualClock();
    const rt = env.runtime(dags, undefined, clock);
    handles.push(await startWorker(rt));
    handles.push(await startScheduler(rt)); // the guard checks every 5 s of `clock`
    await waitFor('a first run', async () => (await runsOf(env.db, 'flushed')).length >= 1);
    const flushedAt = Date.now();
    const admin = rt.connection();
    await admin.flushall();
    await admin.quit();
    await clock.advance(5_000); // the guard's check is due
    await waitFor(
      'a successful run after the flush',
      async () =>
        (await runsOf(env.db, 'flushed')).some(
          (r) => r.state === 'success' && r.created_at.getTime() > flushedAt + 100,
        ),
      10_000,
    );
    assert.ok(await rt.ticks.getJobScheduler('flushed'));
  });
});
