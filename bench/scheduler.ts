// npm run bench:scheduler — the DAG scheduler on a private redis-server and a fresh PostgreSQL database:
//   start jitter: how late a tick is handled (and its run's first task starts) after its planned time, p50/p99
//     over a few hundred ticks of several DAGs every 200 ms;
//   per-run overhead: an empty DAG (one no-op task, and a chain of three) triggered one run after another,
//     from run created to run ended in the run history.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/base/config.js';
import { createLogger } from '../src/base/log.js';
import { DagRegistry, type DagDefinition } from '../src/orchestration/dag.js';
import { triggerDag } from '../src/orchestration/queries.js';
import { createRuntime } from '../src/orchestration/runtime.js';
import { startScheduler, type TickEvent } from '../src/orchestration/scheduler.js';
import { startWorker } from '../src/orchestration/worker.js';
import { openStore } from '../src/store/open.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { startRedis } from '../test/helpers/redis.js';
import { tempDir } from '../test/helpers/tmp.js';
import { median, percentile, record } from './util.js';

const TICK_DAGS = Number(process.env.BENCH_TICK_DAGS ?? 4);
const TICK_MS = Number(process.env.BENCH_TICK_MS ?? 200);
const TICK_SECONDS = Number(process.env.BENCH_TICK_SECONDS ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 100);

const redis = await startRedis();
const database = await createTestDatabase();
const dir = await tempDir();
const config = loadConfig({
  DATA_DIR: dir.path,
  REDIS_URL: redis.url,
  DATABASE_URL: database.url,
  LOG_LEVEL: 'silent',
});
const logger = createLogger('silent');
const db = await openStore(config, logger);

const noop = async (): Promise<null> => null;
const tickDags: DagDefinition[] = Array.from({ length: TICK_DAGS }, (_, i) => ({
  id: `tick_${i}`,
  schedule: { everyMs: TICK_MS },
  tasks: [{ id: 'noop', run: noop }],
}));
const HOUR = { everyMs: 3_600_000 };
const emptyDag: DagDefinition = { id: 'empty', schedule: HOUR, tasks: [{ id: 'noop', run: noop }] };
const chainDag: DagDefinition = {
  id: 'chain3',
  schedule: HOUR,
  tasks: [
    { id: 'a', run: noop },
    { id: 'b', dependsOn: ['a'], run: noop },
    { id: 'c', dependsOn: ['b'], run: noop },
  ],
};

const figures: Record<string, string> = {};
const ms = (v: number): string => `${v.toFixed(1)} ms`;

// 1. Start jitter.
{
  const rt = createRuntime({ config, logger, db, registry: new DagRegistry(tickDags) });
  const ticks: TickEvent[] = [];
  const worker = await startWorker(rt, { concurrency: TICK_DAGS });
  const scheduler = await startScheduler(rt, { onTick: (t) => ticks.push(t) });
  await sleep(TICK_SECONDS * 1000);
  await scheduler.close();
  await worker.close();
  await rt.close();
  // Skip the first tick of each DAG: it is planned at registration, not on the grid.
  const onGrid = ticks.filter((t, i) => ticks.findIndex((u) => u.dagId === t.dagId) !== i);
  const jitter = onGrid.map((t) => t.handledAt - t.plannedAt);
  const starts = await db.query<{ lag: number }>(
    `SELECT (extract(epoch FROM t.started_at - r.planned_at) * 1000)::float8 AS lag
     FROM dag_runs r JOIN dag_task_instances t ON t.run_id = r.id
     WHERE r.trigger = 'schedule' AND r.state = 'success' ORDER BY r.id OFFSET $1`,
    [TICK_DAGS],
  );
  const lags = starts.map((s) => s.lag);
  const skipped = ticks.filter((t) => t.outcome === 'skipped').length;
  console.log(`${onGrid.length} ticks of ${TICK_DAGS} DAGs every ${TICK_MS} ms (${skipped} skipped)`);
  figures['tick jitter p50 / p99 (planned → handled)'] =
    `${ms(median(jitter))} / ${ms(percentile(jitter, 99))} over ${jitter.length} ticks`;
  figures['run start p50 / p99 (planned → first task running)'] =
    `${ms(median(lags))} / ${ms(percentile(lags, 99))} over ${lags.length} runs`;
}

// 2. Per-run overhead of an empty DAG.
{
  const rt = createRuntime({ config, logger, db, registry: new DagRegistry([emptyDag, chainDag]) });
  const worker = await startWorker(rt);
  for (const dag of [emptyDag, chainDag]) {
    const walls: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const result = await triggerDag(rt, dag.id);
      if (result.outcome !== 'created') throw new Error(`trigger: ${result.outcome}`);
      for (;;) {
        const [row] = await db.query<{ state: string }>('SELECT state FROM dag_runs WHERE id = $1', [
          result.runId,
        ]);
        if (row.state === 'success') break;
        if (row.state === 'failed') throw new Error(`run ${result.runId} failed`);
        await sleep(2);
      }
      walls.push(performance.now() - started);
    }
    const inDb = await db.query<{ d: number }>(
      `SELECT (extract(epoch FROM ended_at - created_at) * 1000)::float8 AS d FROM dag_runs WHERE dag_id = $1`,
      [dag.id],
    );
    const d = inDb.map((r) => r.d);
    figures[`${dag.tasks.length}-task empty DAG: run overhead p50 / p99 (created → ended)`] =
      `${ms(median(d))} / ${ms(percentile(d, 99))} over ${d.length} runs`;
    figures[`${dag.tasks.length}-task empty DAG: trigger → success seen, p50`] = ms(median(walls));
  }
  await worker.close();
  await rt.close();
}

for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(62)} ${value}`);
await db.close();
await database.drop();
await dir.remove();
await redis.stop();
record('scheduler', 'npm run bench:scheduler', figures);
