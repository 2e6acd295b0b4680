// `npm start` end to end, against real Redis and PostgreSQL: the built CLI runs as a child process with its own
// DATA_DIR, a free HTTP port, a REDIS_URL nothing answers at (so it starts its private redis-server) and a fresh
// PostgreSQL database. One week of new orders (days 7–13, after the history's 0–6) arrives a day a second; once the DAGs have settled, every stage's output
// is checked, Ctrl-C must stop everything cleanly, and a second start must resume without re-counting anything.
// Run alone with `npm run build && node --import tsx --test test/e2e/start.test.ts`.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { cacheKeys, cellKeysOf } from '../../src/cache/keys.js';
import { RedisPredictionCache } from '../../src/cache/redis-cache.js';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { artifactFile, readCurrentPointer } from '../../src/ml/artifact.js';
import { buildTrainingSet, type TrainingMode } from '../../src/ml/dataset.js';
import { readTrainingInputs } from '../../src/ml/training-inputs.js';
import { INCREMENTAL_DAG, PIPELINE_DAG_IDS } from '../../src/orchestration/pipeline-dags.js';
import { readTracking } from '../../src/ingest/output/tracking.js';
import { connectRedis, type Redis } from '../../src/redis/redis.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { assertMatchesFullAggregation } from '../ingest/helpers.js';
import { alive, freePort, listening, spawnStart, type StartedProcess } from './harness.js';
import { waitFor } from '../helpers/wait.js';

/** The simulated days of week 2 (the batch history is days 0–6). */
const DAYS = ['7', '8', '9', '10', '11', '12', '13'];
/** Ctrl-C must end the process promptly; after this it is SIGKILLed and the exit code is null. */
const EXIT_WITHIN_MS = 10_000;

interface LedgerRow {
  path: string;
  batch: string;
  sha256: string;
  committed_at: Date;
  run_id: string;
}

interface Snapshot {
  ledger: LedgerRow[];
  generation: number;
  versions: string[];
  pointer: string | undefined;
  cacheVersion: string | undefined;
  cacheGeneratedAt: string | undefined;
  processedDays: string[];
  lastRunId: number;
}

describe('orderflow start (npm start) end to end', () => {
  let dir: TempDir;
  let database: TestDatabase;
  let config: Config;
  let env: Record<string, string>;
  let db: Db;
  let redis: Redis | undefined;
  let run: StartedProcess | undefined;
  let redisPort: number;
  let httpPort: number;
  let redisPid: number | undefined;
  let settled: Snapshot;

  before(async () => {
    dir = await tempDir('orderflow-e2e-');
    database = await createTestDatabase();
    redisPort = await freePort();
    httpPort = await freePort();
    env = {
      DATA_DIR: dir.path,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      DATABASE_URL: database.url,
      PORT: String(httpPort),
      HOST: '127.0.0.1',
      ORDERFLOW_ADMIN_PASSWORD: 'e2e-admin-password',
      LOG_LEVEL: 'warn',
    };
    config = loadConfig(env);
    // The child applies the migrations; this connection only reads.
    db = await openStore(config, createLogger('silent'), { migrate: false, poolSize: 2 });
  });

  after(async () => {
    redis?.disconnect();
    if (run) await run.stop('SIGINT', 10_000);
    // A start that failed before stopping its redis-server must not leave it running.
    if (redisPid !== undefined && alive(redisPid)) process.kill(redisPid, 'SIGKILL');
    await db?.close();
    await database?.drop();
    await dir?.remove();
  });

  /** Ctrl-C the running start: it prints "stopped cleanly", exits 0 in time, and its redis-server is gone. */
  const stopCleanly = async (): Promise<void> => {
    assert.ok(run && redisPid, 'a start is running');
    redis?.disconnect();
    redis = undefined;
    const code = await run.stop('SIGINT', EXIT_WITHIN_MS);
    const output = run.output();
    run = undefined;
    assert.match(output, /^stopped cleanly$/m);
    assert.equal(
      code,
      0,
      `exit code 0 within ${EXIT_WITHIN_MS} ms of Ctrl-C (null: killed after that):\n${output}`,
    );
    assert.equal(alive(redisPid), false, 'the private redis-server has exited');
  };

  const query = <T>(sql: string, params: unknown[] = []): Promise<T[]> => db.query<T>(sql, params);

  const snapshot = async (r: Redis): Promise<Snapshot> => {
    const ledger = await query<LedgerRow>(
      'SELECT path, batch, sha256, committed_at, run_id::text AS run_id FROM ingest_files ORDER BY path',
    );
    const [state] = await query<{ generation: string }>('SELECT generation FROM ingest_state');
    const versions = await query<{ version: string }>('SELECT version FROM model_versions ORDER BY seq');
    const [last] = await query<{ id: string | null }>('SELECT max(id)::text AS id FROM dag_runs');
    const meta = await new RedisPredictionCache(r, config).readMeta();
    return {
      ledger,
      generation: Number(state.generation),
      versions: versions.map((v) => v.version),
      pointer: (await readCurrentPointer(config.paths.modelsDir))?.version,
      cacheVersion: meta?.modelVersion,
      cacheGeneratedAt: meta?.generatedAt,
      processedDays: (await readTracking(r, config)).processedDays,
      lastRunId: Number(last.id ?? 0),
    };
  };

  /**
   * The chain has finished: all days committed, no run active, the newest version was trained on the final data
   * (history plus every increment) and the cache serves the current version (that one, or the champion it lost to).
   */
  const pipelineSettled = async (r: Redis): Promise<boolean> => {
    const [files] = await query<{ n: string }>('SELECT count(*)::text AS n FROM ingest_files');
    if (Number(files.n) !== DAYS.length) return false;
    const [active] = await query<{ n: string }>(
      "SELECT count(*)::text AS n FROM dag_runs WHERE state IN ('queued', 'running')",
    );
    if (Number(active.n) !== 0) return false;
    const pointer = await readCurrentPointer(config.paths.modelsDir);
    const meta = await new RedisPredictionCache(r, config).readMeta();
    if (!pointer || meta?.modelVersion !== pointer.version) return false;
    const [model] = await query<{ fingerprint: string; training_mode: TrainingMode }>(
      'SELECT fingerprint, training_mode FROM model_versions ORDER BY seq DESC LIMIT 1',
    );
    const final = buildTrainingSet(
      await readTrainingInputs([config.paths.processedCsv, config.paths.incrementalCsv]),
      model.training_mode,
    );
    return model.fingerprint === final.fingerprint;
  };

  test('start › the seven simulated days are committed once, a model is trained and cached, and the API and dashboard answer', async () => {
    run = spawnStart({ env, args: ['--every', '1s', '--weeks', '1'] });
    await run.waitForLine(/^started a private redis-server for redis:\/\/127\.0\.0\.1:\d+/);
    await run.waitForLine(/^dashboard: http:\/\//, 60_000);
    await run.waitForLine(/^new orders of day 13 arrived/, 30_000);
    redis = await connectRedis(config);
    const info = await redis.info('server');
    redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    const r = redis;
    await waitFor('the DAGs to settle on the final data', () => pipelineSettled(r), 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n--- orderflow start output ---\n${run!.output()}`);
    });

    // Ledger: one row per day file, each committed by exactly one run, nothing ever replaced or removed.
    const ledger = await query<{ batch: string; files: string }>(
      'SELECT batch, count(*)::text AS files FROM ingest_files GROUP BY batch ORDER BY length(batch), batch',
    );
    assert.deepEqual(
      ledger.map((l) => [l.batch, Number(l.files)]),
      DAYS.map((d) => [d, 1]),
    );
    const [runs] = await query<{ runs: string; added: string; replaced: string; removed: string }>(
      `SELECT count(*)::text AS runs, sum(files_added)::text AS added, sum(files_replaced)::text AS replaced,
              sum(files_removed)::text AS removed FROM ingest_runs`,
    );
    assert.equal(Number(runs.added), DAYS.length);
    assert.equal(Number(runs.replaced), 0);
    assert.equal(Number(runs.removed), 0);
    const [state] = await query<{ generation: string }>('SELECT generation FROM ingest_state');
    assert.equal(Number(state.generation), Number(runs.runs), 'one generation per committing run');
    // The incremental output equals a full re-aggregation of the files present; processed_days = 0..6.
    await assertMatchesFullAggregation(config, redis);
    const tracking = await readTracking(redis, config);
    assert.deepEqual(tracking, { processedDays: DAYS, lastProcessedDay: '13' });

    // Promotion: every version that became current beat the one before it on that version's own holdout, and
    // the pointer is the last one that did.
    const events = await query<{
      version: string;
      action: string;
      challenger: number;
      champion: number | null;
    }>(
      `SELECT version, action, challenger_rmse AS challenger, champion_rmse AS champion
         FROM model_promotions ORDER BY id`,
    );
    const promoted = events.filter((e) => e.action === 'promoted');
    assert.ok(promoted.length >= 1, JSON.stringify(events));
    for (const e of promoted.slice(1))
      assert.ok(e.champion !== null && e.challenger < e.champion, JSON.stringify(e));
    assert.equal(promoted.at(-1)!.version, (await readCurrentPointer(config.paths.modelsDir))?.version);

    // Model: the pointer names a registered version whose artifact exists.
    const pointer = await readCurrentPointer(config.paths.modelsDir);
    assert.ok(pointer, 'a current model');
    const [model] = await query<{ category_count: number; artifact_path: string }>(
      'SELECT category_count, artifact_path FROM model_versions WHERE version = $1',
      [pointer.version],
    );
    assert.ok(model, `${pointer.version} is registered`);
    await access(artifactFile(config.paths.modelsDir, pointer.version));

    // Cache: every cell of 7 × 24 × C of the current model, and the meta hash says so.
    const meta = await new RedisPredictionCache(redis, config).readMeta();
    assert.ok(meta);
    assert.equal(meta.modelVersion, pointer.version);
    assert.equal(meta.categories.length, Number(model.category_count));
    assert.equal(meta.count, 7 * 24 * meta.categories.length);
    const keys = cellKeysOf(cacheKeys(config), meta.categories);
    let present = 0;
    for (let i = 0; i < keys.length; i += 5_000) {
      const values = await redis.mget(keys.slice(i, i + 5_000));
      present += values.filter((v) => v !== null && Number.isFinite(Number(v))).length;
    }
    assert.equal(present, meta.count);

    // API: predictions are served from the cache, by the current model.
    const base = `http://127.0.0.1:${httpPort}`;
    const samples = [
      { day: 0, hour: 9, category: meta.categories[0] },
      { day: 3, hour: 14, category: meta.categories[Math.floor(meta.categories.length / 2)] },
      { day: 6, hour: 23, category: meta.categories.at(-1)! },
    ];
    for (const cell of samples) {
      const response = await fetch(
        `${base}/api/predictions/${cell.day}/${cell.hour}/${encodeURIComponent(cell.category)}`,
      );
      assert.equal(response.status, 200, await response.clone().text());
      const answer = (await response.json()) as { prediction: number; source: string; model_version: string };
      assert.equal(answer.source, 'cache');
      assert.equal(answer.model_version, pointer.version);
      const cached = await r.get(cacheKeys(config).cell(cell.day, cell.hour, cell.category));
      assert.equal(answer.prediction, Number(cached));
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());

    // Metrics that drive alerts: every DAG has run-duration samples and a last-success age; nothing pending.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const dag of PIPELINE_DAG_IDS) {
      assert.match(
        metrics,
        new RegExp(`^orderflow_dag_run_duration_seconds_count\\{dag="${dag}",state="success"\\} [1-9]`, 'm'),
      );
      assert.match(metrics, new RegExp(`^orderflow_dag_last_success_age_seconds\\{dag="${dag}"\\} \\d`, 'm'));
    }
    assert.match(metrics, /^orderflow_ingest_files\{state="pending"\} 0$/m);
    assert.match(metrics, /^orderflow_ingest_files\{state="committed"\} 7$/m);
    assert.match(metrics, /^orderflow_newest_data_age_seconds \d/m);
    assert.match(metrics, /^orderflow_cache_up_to_date 1$/m);

    // Dashboard: the page loads (its behaviour is covered by test/api/browser.test.ts).
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<title>orderflow dashboard<\/title>/);

    settled = await snapshot(redis);
  });

  test('start › Ctrl-C stops the pipeline cleanly and its private redis-server with it', async () => {
    assert.ok(run && redisPid, 'the first start is running');
    await stopCleanly();
    assert.equal(await listening(redisPort), false, 'nothing answers at REDIS_URL');
    assert.equal(await listening(httpPort), false, 'the HTTP port is closed');
  });

  test('start › a second start resumes: nothing is delivered, committed, trained or cached again', async () => {
    assert.ok(settled, 'the first start settled');
    run = spawnStart({ env, args: ['--every', '1s', '--weeks', '1'] });
    await run.waitForLine(/^started a private redis-server/);
    await run.waitForLine(/^DAGs: /, 60_000);
    redis = await connectRedis(config);
    redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    // Each DAG's first tick runs at once; wait for those runs of this start to end, then one more incremental
    // run (the 4 s schedule), which must find everything up to date too.
    const since = settled.lastRunId;
    const ended = async (dagId: string, count: number) =>
      waitFor(
        `${count} ended run(s) of ${dagId} in the second start`,
        async () => {
          const rows = await query<{ id: string; state: string }>(
            "SELECT id::text AS id, state FROM dag_runs WHERE dag_id = $1 AND id > $2 AND state NOT IN ('queued', 'running') ORDER BY id",
            [dagId, since],
          );
          return rows.length >= count ? rows : undefined;
        },
        15_000,
      );
    for (const dagId of PIPELINE_DAG_IDS) {
      const rows = await ended(dagId, 1);
      assert.ok(
        rows.every((r) => r.state === 'success'),
        `${dagId}: ${JSON.stringify(rows)}\n${run.output()}`,
      );
    }
    const incremental = await ended(INCREMENTAL_DAG, 2);
    const results = await query<{ status: string }>(
      "SELECT result->>'status' AS status FROM dag_task_instances WHERE run_id = ANY($1::bigint[]) AND task_id = 'commit'",
      [incremental.map((r) => r.id)],
    );
    assert.deepEqual(
      results.map((r) => r.status),
      incremental.map(() => 'up-to-date'),
    );

    const now = await snapshot(redis);
    assert.deepEqual({ ...now, lastRunId: 0 }, { ...settled, lastRunId: 0 });
    assert.doesNotMatch(
      run.output(),
      /new orders of day \d+ arrived|generated the sample dataset|split by day/,
    );

    await stopCleanly();
  });
});
