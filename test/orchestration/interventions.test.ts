// Clearing and marking tasks of ended runs on the real engine (Redis + PostgreSQL + a BullMQ worker): a failed task
// cleared with its downstream runs again and the run ends success, earlier tries kept; marking a failed task
// success runs what it had blocked; an active run cannot be cleared.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { LockedError } from '../../src/base/errors.js';
import { clearTasks, markTask } from '../../src/orchestration/interventions.js';
import { triggerDag } from '../../src/orchestration/queries.js';
import { startWorker, type WorkerHandle } from '../../src/orchestration/worker.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { openEnv, testDag, triesOf, waitForRunEnd, type Env } from './harness.js';

let redis: RedisServer;
let env: Env;
let worker: WorkerHandle | undefined;
let breakB = true;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});
afterEach(async () => {
  await worker?.close();
  await env?.close();
});

const dag = () =>
  testDag('chain', [
    { id: 'a', run: async () => 'a' },
    {
      id: 'b',
      dependsOn: ['a'],
      run: async () => {
        if (breakB) throw new Error('b is broken');
        return 'b';
      },
    },
    { id: 'c', dependsOn: ['b'], run: async () => 'c' },
  ]);

async function failedRun(): Promise<number> {
  breakB = true;
  const created = await triggerDag(env.runtime([dag()]), 'chain');
  const runId = (created as { runId: number }).runId;
  assert.equal((await waitForRunEnd(env.db, runId)).state, 'failed');
  return runId;
}

const states = async (runId: number) =>
  (await triesOf(env.db, runId)).map((t) => `${t.task_id}#${t.try_number}:${t.state}`);

test('interventions › a cleared failed task runs again with its downstream, and the run ends success', async () => {
  env = await openEnv(redis.url);
  const rt = env.runtime([dag()]);
  worker = await startWorker(rt);
  const runId = await failedRun();
  assert.deepEqual((await states(runId)).sort(), ['a#1:success', 'b#1:failed', 'c#1:upstream_failed']);
  breakB = false;
  const result = await clearTasks(rt, runId, { onlyFailed: true, actor: 'olga' });
  assert.deepEqual(result.tasks, ['b', 'c']);
  const run = await waitForRunEnd(env.db, runId);
  assert.equal(run.state, 'success');
  assert.deepEqual((await states(runId)).sort(), [
    'a#1:success',
    'b#1:failed',
    'b#2:cleared',
    'b#3:success',
    'c#1:upstream_failed',
    'c#2:cleared',
    'c#3:success',
  ]);
  // A whole-run clear reruns every task; the history keeps growing.
  await clearTasks(rt, runId, { actor: 'olga' });
  assert.equal((await waitForRunEnd(env.db, runId)).state, 'success');
  assert.ok((await states(runId)).includes('a#3:success'));
});

test('interventions › marking a failed task success runs the tasks it blocked; an active run cannot be cleared', async () => {
  env = await openEnv(redis.url);
  const rt = env.runtime([dag()]);
  worker = await startWorker(rt);
  const runId = await failedRun();
  const marked = await markTask(rt, runId, 'b', 'success', 'olga');
  assert.deepEqual(marked.tasks, ['b', 'c']);
  assert.equal((await waitForRunEnd(env.db, runId)).state, 'success');
  assert.ok((await states(runId)).includes('c#3:success'));
  await markTask(rt, runId, 'c', 'failed', 'olga');
  assert.equal((await waitForRunEnd(env.db, runId)).state, 'failed');
  // While another run of the DAG is active, reopening this one would make two active runs: refused.
  await worker.close();
  worker = undefined;
  const active = await triggerDag(rt, 'chain');
  assert.equal(active.outcome, 'created');
  await assert.rejects(clearTasks(rt, runId, { actor: 'olga' }), LockedError);
  await assert.rejects(clearTasks(rt, (active as { runId: number }).runId, { actor: 'olga' }), LockedError);
});

test('interventions › a run triggered with parameters passes them to its tasks', async () => {
  env = await openEnv(redis.url);
  const seen: unknown[] = [];
  const rt = env.runtime([
    testDag('params', [{ id: 'only', run: async (ctx) => void seen.push(ctx.params) }]),
  ]);
  worker = await startWorker(rt);
  const created = await triggerDag(rt, 'params', { force: true });
  assert.equal((await waitForRunEnd(env.db, (created as { runId: number }).runId)).state, 'success');
  assert.deepEqual(seen, [{ force: true }]);
});
