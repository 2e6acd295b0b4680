// `orderflow dags …` against a real Redis and PostgreSQL, with the pipeline's DAGs and an in-process worker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/base/log.js';
import { CACHE_DAG } from '../../src/orchestration/pipeline-dags.js';
import { openPipelineRuntime } from '../../src/app/pipeline-runtime.js';
import type { OrchestrationRuntime } from '../../src/orchestration/runtime.js';
import { startWorker, type WorkerHandle } from '../../src/orchestration/worker.js';
import { runCli } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { FAST_SETTINGS, openEnv, waitForRunEnd, type Env } from './harness.js';

describe('orchestration CLI', () => {
  let redis: RedisServer;
  let env: Env;
  let rt: OrchestrationRuntime;
  let worker: WorkerHandle;

  before(async () => {
    redis = await startRedis();
    env = await openEnv(redis.url);
    rt = await openPipelineRuntime(env.config, createLogger('silent'), { settings: FAST_SETTINGS });
    worker = await startWorker(rt);
  });
  after(async () => {
    await worker?.close();
    await rt?.close();
    await env?.close();
    await redis.stop();
  });

  const cli = (...args: string[]) => runCli(args, env.vars);

  test('dags › list, pause, trigger, runs and logs', async () => {
    const listed = await cli('dags', 'list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const dags = JSON.parse(listed.stdout) as { id: string; scheduleText: string; paused: boolean }[];
    assert.deepEqual(
      dags.map((d) => [d.id, d.scheduleText, d.paused]),
      [
        ['incremental_processing_dag', 'every 4s', false],
        ['ml_training_dag', 'every 20s', false],
        ['redis_cache_dag', 'every 20s', false],
      ],
    );

    assert.equal((await cli('dags', 'pause', CACHE_DAG)).code, 0);
    const table = await cli('dags', 'list');
    assert.match(table.stdout, /^DAG\s+SCHEDULE\s+PAUSED\s+LAST RUN/);
    assert.match(table.stdout, /redis_cache_dag\s+every 20s\s+yes\s+-/);

    const triggered = await cli('dags', 'trigger', CACHE_DAG, '--json');
    assert.equal(triggered.code, 0, triggered.stderr);
    const { outcome, runId } = JSON.parse(triggered.stdout) as { outcome: string; runId: number };
    assert.equal(outcome, 'created');
    const run = await waitForRunEnd(env.db, runId);
    assert.equal(run.state, 'success');

    const runs = await cli('dags', 'runs', CACHE_DAG, '--limit', '5');
    assert.match(runs.stdout, new RegExp(`^${runId}\\s+success\\s+manual`, 'm'));
    const logs = await cli('dags', 'logs', String(runId));
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /run \d+ of redis_cache_dag: success \(manual/);
    assert.match(logs.stdout, /── refresh_cache try 1: success/);
    // A refresh that changed nothing is detail (debug); the stored task log keeps it.
    assert.match(logs.stdout, /DEBUG\s+cache refresh: no-model\s+.*status=no-model/);
    const json = JSON.parse((await cli('dags', 'logs', String(runId), 'refresh_cache', '--json')).stdout) as {
      tasks: { logs: unknown[] }[];
    };
    assert.ok(json.tasks[0].logs.length >= 2);

    assert.equal((await cli('dags', 'unpause', CACHE_DAG)).code, 0);
    assert.equal(JSON.parse((await cli('dags', 'list', '--json')).stdout)[2].paused, false);
  });

  test('dags › an unknown DAG, run or task is bad usage (exit 2) naming what exists', async () => {
    const unknown = await cli('dags', 'trigger', 'nightly_dag');
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /unknown DAG "nightly_dag"; known DAGs: incremental_processing_dag, ml_training_dag, redis_cache_dag/,
    );
    assert.equal((await cli('dags', 'runs', 'nope')).code, 2);
    assert.equal((await cli('dags', 'logs', 'abc')).code, 2);
    assert.equal((await cli('dags', 'logs', '999999')).code, 2);
  });
});
