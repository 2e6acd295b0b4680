// npm run bench:freshness — how fresh the served predictions are. `orderflow start` runs as a child process (as
// `npm start` does: private redis-server, the store under test, simulated days 0–6 first); then a new day file
// lands in DATA_DIR/incremental/raw/<batch>/ (temp name + rename) and this script measures, from the rename, when
// (a) its aggregate is committed (ledger row), (b) a new model version is registered, (c) the Redis cache serves
// that version (meta hash model_version). Each landing is a copy of a day file with new order ids, so the data —
// and so the model — changes every time. The DAG run history then says where the time went.
//
//   BENCH_LANDINGS=5  BENCH_STORES=postgres,pglite  npm run bench:freshness
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisPredictionCache } from '../src/cache/redis-cache.js';
import { loadConfig, type Config } from '../src/base/config.js';
import { createLogger } from '../src/base/log.js';
import { connectRedis, type Redis } from '../src/redis/redis.js';
import type { Db } from '../src/store/db.js';
import { openStore } from '../src/store/open.js';
import { freePort, spawnStart } from '../test/e2e/harness.js';
import { waitFor } from '../test/helpers/wait.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/postgres.js';
import { tempDir } from '../test/helpers/tmp.js';
import { buildOnce, median, record } from './util.js';

const LANDINGS = Number(process.env.BENCH_LANDINGS ?? 5);
const STORES = (process.env.BENCH_STORES ?? 'postgres,pglite').split(',') as ('postgres' | 'pglite')[];
const TARGET_MS = 2_000;
const POLL_MS = 5;

/** Milliseconds from the landing (the rename) to each point; undefined when the run history lacks it. */
interface Landing {
  batch: string;
  committed: number;
  registered: number;
  served: number;
  phases: Record<string, number>;
}

interface RunTimes {
  run_id: string;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  result: Record<string, unknown> | null;
}

/**
 * Event/schedule runs of `dagId` created since `since`: their tasks' first start and last end, and the result of
 * the task that reports what the run did (the incremental DAG's `commit`; the others have one task).
 */
async function runsSince(db: Db, dagId: string, since: Date): Promise<RunTimes[]> {
  return db.query<RunTimes>(
    `SELECT r.id::text AS run_id, r.created_at, min(t.started_at) AS started_at, max(t.ended_at) AS ended_at,
            (array_agg(t.result ORDER BY (t.task_id = 'commit') DESC, t.id DESC))[1] AS result
       FROM dag_runs r JOIN dag_task_instances t ON t.run_id = r.id
      WHERE r.dag_id = $1 AND r.created_at >= $2 AND t.state = 'success'
      GROUP BY r.id, r.created_at
      ORDER BY r.id`,
    [dagId, since],
  );
}

/** A copy of raw/<day>/orders_<day>.csv with order ids moved out of the way, written as <batch>/orders_<batch>.csv. */
async function landDayCopy(config: Config, day: number, batch: string, idOffset: number): Promise<number> {
  const text = await fs.readFile(path.join(config.paths.rawDir, String(day), `orders_${day}.csv`), 'utf8');
  const [header, ...rows] = text.trimEnd().split('\n');
  const shifted = rows.map((row) => {
    const comma = row.indexOf(',');
    return `${Number(row.slice(0, comma)) + idOffset}${row.slice(comma)}`;
  });
  const dir = path.join(config.paths.incrementalRawDir, batch);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.orders_${batch}.csv.part`);
  await fs.writeFile(temp, [header, ...shifted].join('\n') + '\n');
  await fs.rename(temp, path.join(dir, `orders_${batch}.csv`));
  return Date.now();
}

async function measureLanding(
  config: Config,
  db: Db,
  redis: Redis,
  day: number,
  batch: string,
): Promise<Landing> {
  const cache = new RedisPredictionCache(redis, config);
  const [{ seq }] = await db.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM model_versions');
  const landedAt = await landDayCopy(config, day, batch, 10_000_000 * (Number(batch) + 1));
  const since = new Date(landedAt - 1);
  let committed: number | undefined;
  let registered: number | undefined;
  let version: string | undefined;
  const deadline = landedAt + 60_000;
  for (;;) {
    const now = Date.now();
    if (now > deadline) throw new Error(`batch ${batch}: the chain did not finish within 60 s`);
    if (committed === undefined) {
      const rows = await db.query('SELECT 1 FROM ingest_files WHERE batch = $1', [batch]);
      if (rows.length > 0) committed = Date.now() - landedAt;
    }
    if (committed !== undefined && registered === undefined) {
      const [row] = await db.query<{ version: string }>(
        'SELECT version FROM model_versions WHERE seq > $1 ORDER BY seq DESC LIMIT 1',
        [seq ?? 0],
      );
      if (row) [registered, version] = [Date.now() - landedAt, row.version];
    }
    if (version !== undefined && (await cache.readMeta())?.modelVersion === version) {
      const served = Date.now() - landedAt;
      return { batch, committed: committed!, registered: registered!, served, phases: await phases(served) };
    }
    await sleep(POLL_MS);
  }

  /** The chain's runs for this landing, from the run history: where the time went. */
  async function phases(served: number): Promise<Record<string, number>> {
    const at = (d: Date | null | undefined): number | undefined => (d ? d.getTime() - landedAt : undefined);
    const inc = (await runsSince(db, 'incremental_processing_dag', since)).find((r) =>
      (r.result?.batches as string[] | undefined)?.includes(batch),
    );
    const train = (await runsSince(db, 'ml_training_dag', since)).find((r) => r.result?.version === version);
    // Readers see the new version before the refresh task has recorded its end: wait for that record.
    const refresh = await waitFor(
      `the cache run that wrote ${version}`,
      async () =>
        (await runsSince(db, 'redis_cache_dag', since)).find(
          (r) => r.result?.modelVersion === version && r.result?.status === 'refreshed',
        ),
      10_000,
    ).catch(() => undefined);
    // The critical path: each downstream run is triggered from inside the upstream task, so a stage's time is
    // from its task start to the next run's creation (the task's own bookkeeping after that overlaps).
    const points: [string, number | undefined][] = [
      ['file trigger (landing → incremental run created)', at(inc?.created_at)],
      ['queue → incremental task started', at(inc?.started_at)],
      ['incremental stage → training triggered', at(train?.created_at)],
      ['queue → training task started', at(train?.started_at)],
      ['training stage → cache refresh triggered', at(refresh?.created_at)],
      ['queue → cache task started', at(refresh?.started_at)],
      ['cache refresh → readers see the version', served],
    ];
    const out: Record<string, number> = {};
    let previous = 0;
    for (const [name, t] of points) {
      if (t === undefined) continue;
      out[name] = t - previous;
      previous = t;
    }
    // What the stages themselves report (inside the task): the rest of a step is the task wrapper around it.
    const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
    const own: [string, number | undefined][] = [
      [
        '(incremental run: first task start → last task end)',
        num(inc?.ended_at && inc.started_at ? inc.ended_at.getTime() - inc.started_at.getTime() : undefined),
      ],
      ['(training trainModels totalMs)', num(train?.result?.totalMs)],
      ['(cache refreshCache durationMs)', num(refresh?.result?.durationMs)],
    ];
    for (const [name, v] of own) if (v !== undefined) out[name] = v;
    return out;
  }
}

async function benchStore(store: 'postgres' | 'pglite', figures: Record<string, string>): Promise<void> {
  const dir = await tempDir('orderflow-freshness-');
  let database: TestDatabase | undefined;
  let redis: Redis | undefined;
  let db: Db | undefined;
  const env: Record<string, string> = {
    DATA_DIR: dir.path,
    REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    PORT: String(await freePort()),
    ORDERFLOW_ADMIN_PASSWORD: 'bench-admin-password',
    LOG_LEVEL: 'warn',
  };
  if (store === 'postgres') {
    database = await createTestDatabase();
    env.DATABASE_URL = database.url;
  }
  // One simulated week (days 7–13) lands first; the measured landings come after it, with nothing else arriving.
  const run = spawnStart({ env, args: ['--every', '200ms', '--weeks', '1'] });
  try {
    await run.waitForLine(/^new orders of day 13 arrived/, 90_000);
    const config = loadConfig(env);
    redis = await connectRedis(config);
    const r = redis;
    db = await openStore(config, createLogger('silent'), { migrate: false, poolSize: 2 });
    const d = db;
    await waitFor(
      'days 7–13 committed, trained and cached',
      async () => {
        const [files] = await d.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_files');
        const [active] = await d.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM dag_runs WHERE state IN ('queued', 'running')",
        );
        const [model] = await d.query<{ version: string }>(
          'SELECT version FROM model_versions ORDER BY seq DESC LIMIT 1',
        );
        const meta = await new RedisPredictionCache(r, config).readMeta();
        return files.n === 7 && active.n === 0 && model && meta?.modelVersion === model.version;
      },
      60_000,
    );

    const landings: Landing[] = [];
    for (let i = 0; i < LANDINGS; i++) {
      const landing = await measureLanding(config, db, redis, i % 7, String(100 + i));
      landings.push(landing);
      console.log(
        `${store} batch ${landing.batch}: committed ${landing.committed} ms, model ${landing.registered} ms, cache ${landing.served} ms`,
      );
      // Let the runs this landing started end before the next one (no overlap between samples), and land at a
      // random phase of the file trigger's poll so its delay is sampled fairly.
      await sleep(1_000 + Math.random() * 500);
    }

    const stat = (values: number[]): string =>
      `${Math.round(median(values))} ms / ${Math.round(Math.max(...values))} ms`;
    figures[`${store}: (a) landing → aggregate committed, p50 / max`] = stat(
      landings.map((l) => l.committed),
    );
    figures[`${store}: (b) landing → new model registered, p50 / max`] = stat(
      landings.map((l) => l.registered),
    );
    const served = landings.map((l) => l.served);
    figures[`${store}: (c) landing → cache serving it, p50 / max`] =
      `${stat(served)} (target < ${TARGET_MS} ms: ${Math.max(...served) < TARGET_MS ? 'met' : 'missed'})`;
    const names = [...new Set(landings.flatMap((l) => Object.keys(l.phases)))];
    const breakdown = names
      .map((n) => `${n} ${Math.round(median(landings.map((l) => l.phases[n] ?? 0)))}`)
      .join('; ');
    figures[`${store}: (c) where the time goes, p50 ms per step`] = breakdown;
    console.log(`${store} breakdown (p50 ms): ${breakdown}`);
  } finally {
    redis?.disconnect();
    await db?.close();
    const code = await run.stop('SIGINT', 60_000);
    if (code !== 0) console.error(`orderflow start exited with ${code}:\n${run.output()}`);
    await database?.drop();
    await dir.remove();
  }
}

buildOnce();
const figures: Record<string, string> = {
  setup: `orderflow start (child process, private redis-server, 5,000 sample orders); ${LANDINGS} landings of a ~700-order day file each; polled every ${POLL_MS} ms`,
};
for (const store of STORES) await benchStore(store, figures);
for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(60)} ${v}`);
record('freshness', 'npm run bench:freshness', figures);
