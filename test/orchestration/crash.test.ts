// Workers that die or stop: a worker process killed with SIGKILL mid-task → BullMQ's stalled-job check hands
// the task to another worker and the run ends success; a task that stalls too often fails the run (the sweeper
// closes it), never stuck running; SIGTERM lets the running task finish and record its result.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { triggerDag } from '../../src/orchestration/queries.js';
import { startScheduler, type SchedulerHandle } from '../../src/orchestration/scheduler.js';
import { startWorker, type WorkerHandle } from '../../src/orchestration/worker.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { SLOW_DAG, slowDag } from './fixtures/slow-dag.js';
import { FAST_SETTINGS, openEnv, triesOf, waitForRunEnd, type Env } from './harness.js';
import { waitFor } from '../helpers/wait.js';

const WORKER_ENTRY = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
}

async function spawnWorker(
  env: Env,
  marker: string,
  taskMs: number,
  extra: Record<string, string> = {},
): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
    env: { ...process.env, ...env.vars, MARKER_FILE: marker, TASK_MS: String(taskMs), ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${out}`)));
  });
  return { process: child, exited };
}

const markerLines = async (file: string): Promise<string[]> =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('orchestration crashes', () => {
  let redis: RedisServer;
  let env: Env;
  const handles: (SchedulerHandle | WorkerHandle)[] = [];
  const children: Child[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.process.kill('SIGKILL');
      await c.exited;
    }
    for (const h of handles.splice(0).reverse()) await h.close();
    await env?.close();
  });

  test('crash › a worker killed with SIGKILL mid-task → another worker finishes the run', async () => {
    env = await openEnv(redis.url);
    const marker = path.join(env.dir.path, 'marker.txt');
    const rt = env.runtime([slowDag(marker, 1_500)]);
    const child = await spawnWorker(env, marker, 1_500);
    children.push(child);
    const { runId } = (await triggerDag(rt, SLOW_DAG)) as { runId: number };
    await waitFor('the child to start the task', async () => (await markerLines(marker)).length > 0);
    child.process.kill('SIGKILL');
    await child.exited;
    handles.push(await startWorker(rt, { name: 'rescuer' }));
    const run = await waitForRunEnd(env.db, runId, 15_000);
    assert.equal(run.state, 'success');
    const tries = await triesOf(env.db, runId);
    assert.deepEqual(
      tries.map((t) => [t.try_number, t.state, t.worker]),
      [
        [1, 'failed', `child-${child.process.pid}`],
        [2, 'success', 'rescuer'],
      ],
    );
    assert.match(tries[0].error ?? '', /stopped answering mid-task/);
    assert.deepEqual(await markerLines(marker), [
      `start 1 ${child.process.pid}`,
      `start 2 ${process.pid}`,
      `end 2 ${process.pid}`,
    ]);
  });

  test('crash › a task that stalls more often than allowed fails the run; it is never left running', async () => {
    env = await openEnv(redis.url);
    const marker = path.join(env.dir.path, 'marker.txt');
    const rt = env.runtime([slowDag(marker, 1_500)], { ...FAST_SETTINGS, maxStalledCount: 0 });
    const child = await spawnWorker(env, marker, 1_500);
    children.push(child);
    const { runId } = (await triggerDag(rt, SLOW_DAG)) as { runId: number };
    // The scheduler's sweeper closes what BullMQ gave up on (its first tick finds the run active: skipped).
    handles.push(await startScheduler(rt));
    await waitFor('the child to start the task', async () => (await markerLines(marker)).length > 0);
    child.process.kill('SIGKILL');
    await child.exited;
    // This worker's stalled-job check allows no stall: the job fails, and the sweeper closes try and run.
    handles.push(await startWorker(rt, { name: 'checker' }));
    const run = await waitForRunEnd(env.db, runId, 15_000);
    assert.equal(run.state, 'failed');
    const tries = await triesOf(env.db, runId);
    assert.equal(tries.length, 1);
    assert.equal(tries[0].state, 'failed');
    assert.match(tries[0].error ?? '', /stalled/);
  });

  test('crash › SIGTERM lets the running task finish and record its result', async () => {
    env = await openEnv(redis.url);
    const marker = path.join(env.dir.path, 'marker.txt');
    const rt = env.runtime([slowDag(marker, 1_000)]);
    const child = await spawnWorker(env, marker, 1_000);
    children.push(child);
    const { runId } = (await triggerDag(rt, SLOW_DAG)) as { runId: number };
    await waitFor('the child to start the task', async () => (await markerLines(marker)).length > 0);
    child.process.kill('SIGTERM');
    assert.equal(await child.exited, 0);
    const [run] = await env.db.query<{ state: string }>('SELECT state FROM dag_runs WHERE id = $1', [runId]);
    assert.equal(run.state, 'success', 'the run was completed before the worker exited');
    const tries = await triesOf(env.db, runId);
    assert.deepEqual(
      tries.map((t) => [t.state, t.worker]),
      [['success', `child-${child.process.pid}`]],
    );
  });

  test('crash › SIGTERM while a task runs past the grace → the worker exits within 10 s, the task is retried elsewhere', async () => {
    env = await openEnv(redis.url);
    const marker = path.join(env.dir.path, 'marker.txt');
    const rt = env.runtime([slowDag(marker, 100)]);
    const child = await spawnWorker(env, marker, 60_000);
    children.push(child);
    const { runId } = (await triggerDag(rt, SLOW_DAG)) as { runId: number };
    await waitFor('the child to start the task', async () => (await markerLines(marker)).length > 0);
    const signalled = Date.now();
    child.process.kill('SIGTERM');
    await child.exited;
    const exitMs = Date.now() - signalled;
    console.log(`# worker with a running task: SIGTERM → exit in ${exitMs} ms`);
    assert.ok(exitMs < 10_000, `the worker took ${exitMs} ms to exit`);
    handles.push(await startWorker(rt, { name: 'rescuer' }));
    const run = await waitForRunEnd(env.db, runId, 15_000);
    assert.equal(run.state, 'success');
    const tries = await triesOf(env.db, runId);
    assert.deepEqual(
      tries.map((t) => t.worker),
      [`child-${child.process.pid}`, 'rescuer'],
    );
  });

  test('crash › with the default lock and stall timings the task of a killed worker is retried within 15 s', async () => {
    env = await openEnv(redis.url);
    const marker = path.join(env.dir.path, 'marker.txt');
    // The production timings (lockDurationMs, stalledIntervalMs), not the fast test ones.
    const rt = env.runtime([slowDag(marker, 100)], {});
    const child = await spawnWorker(env, marker, 60_000, { DEFAULT_SETTINGS: '1' });
    children.push(child);
    const { runId } = (await triggerDag(rt, SLOW_DAG)) as { runId: number };
    await waitFor('the child to start the task', async () => (await markerLines(marker)).length > 0);
    child.process.kill('SIGKILL');
    const killed = Date.now();
    await child.exited;
    // A restarted worker (as after `up` is started again), with the default settings.
    handles.push(await startWorker(rt, { name: 'restarted' }));
    await waitFor('the retry to start', async () => (await markerLines(marker)).length > 1, 20_000);
    const retryMs = Date.now() - killed;
    console.log(`# kill -9 of the worker mid-task → retry started after ${retryMs} ms`);
    assert.ok(retryMs < 15_000, `the retry started ${retryMs} ms after the kill`);
    const run = await waitForRunEnd(env.db, runId, 10_000);
    assert.equal(run.state, 'success');
  });
});
