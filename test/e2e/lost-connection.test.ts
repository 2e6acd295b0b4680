// No crash on a lost PostgreSQL connection: while day folders land, every backend of the test databases is
// terminated every 150 ms (pg_terminate_backend) for LOOP_MS, under `up` and under `scheduler` + two
// `worker`s. Every process must be alive at the end, and once the loop stops each setup's output must equal a
// full aggregation of the files present (failed tasks were retried). The built CLI runs as child processes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { ingestStatus } from '../../src/ingest/status.js';
import { deliverBatch } from '../../src/ingest/landing/simulate.js';
import { openStore } from '../../src/store/open.js';
import { adminUrl, createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { assertMatchesFullAggregation, makeDaySource } from '../ingest/helpers.js';
import { spawnCli, type StartedProcess } from './harness.js';
import { waitFor } from '../helpers/wait.js';

/** How long backends are terminated (the drill runs 30 s; a shorter window keeps the suite fast). */
const LOOP_MS = 10_000;
const DAYS = ['0', '1', '2', '3', '4', '5', '6'];

interface Setup {
  name: string;
  config: Config;
  env: Record<string, string>;
  database: TestDatabase;
  processes: StartedProcess[];
}

describe('lost PostgreSQL connections', () => {
  let redis: RedisServer;
  let dir: TempDir;
  let source: string;
  const setups: Setup[] = [];

  before(async () => {
    redis = await startRedis();
    dir = await tempDir();
    source = await makeDaySource(path.join(dir.path, 'source'));
  });
  after(async () => {
    for (const s of setups) for (const p of s.processes) await p.stop('SIGKILL');
    for (const s of setups) await s.database.drop();
    await redis.stop();
    await dir.remove();
  });

  async function setup(name: string, commands: string[][]): Promise<Setup> {
    const database = await createTestDatabase();
    const env = {
      DATA_DIR: path.join(dir.path, name),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `${name}:`,
      DATABASE_URL: database.url,
      LOG_LEVEL: process.env.DRILL_LOG_LEVEL ?? 'warn',
    };
    const s: Setup = { name, config: loadConfig(env), env, database, processes: [] };
    setups.push(s);
    for (const args of commands) s.processes.push(spawnCli(args, env));
    for (const p of s.processes) await p.waitForLine(/running/);
    return s;
  }

  test('lost connection › backends terminated every 150 ms while files land: every process survives, output exact', async () => {
    const a = await setup('up', [['up', '--no-http']]);
    const b = await setup('split', [['scheduler'], ['worker'], ['worker']]);
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    const names = setups.map((s) => s.database.name);
    let terminated = 0;
    const loop = setInterval(() => {
      admin
        .query<{ ok: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()',
          [names],
        )
        .then((r) => (terminated += r.rows.filter((row) => row.ok).length))
        .catch(() => {}); // a terminate racing a backend that just ended: the next round catches up
    }, 150);
    const deliveries = DAYS.map(
      (day, i) =>
        new Promise<void>((resolve, reject) =>
          setTimeout(
            () => {
              Promise.all(
                [a, b].map((s) =>
                  deliverBatch(path.join(source, day), path.join(s.config.paths.incrementalRawDir, day)),
                ),
              ).then(() => resolve(), reject);
            },
            (i * LOOP_MS) / DAYS.length,
          ),
        ),
    );
    await Promise.all(deliveries);
    // The last window of fault injection: pacing the terminations, not a wait for a state.
    await new Promise<void>((resolve) => setTimeout(resolve, LOOP_MS / DAYS.length));
    clearInterval(loop);
    await admin.end();
    console.log(`# terminated ${terminated} backends in ${LOOP_MS} ms`);
    assert.ok(terminated > 20, `only ${terminated} backends were terminated`);

    for (const s of [a, b]) {
      for (const p of s.processes)
        assert.equal(p.child.exitCode, null, `${s.name}: a process died:\n${p.output()}`);
      const db = await openStore(s.config, createLogger('silent'));
      const waitStarted = Date.now();
      try {
        await waitFor(
          `${s.name}: every file committed`,
          async () => {
            const status = await ingestStatus(s.config, db, undefined);
            return status.pendingFiles.length === 0 && status.committedBatches.length === DAYS.length;
          },
          // A run that lost its connection while releasing the incremental run lock leaves the lease to expire
          // (60 s) before the next run can take it: the output is right once it has.
          90_000,
        ).catch((err: Error) => {
          throw new Error(`${err.message}\n${s.processes.map((p) => p.output()).join('\n---\n')}`);
        });
        console.log(`# ${s.name}: every file committed ${Date.now() - waitStarted} ms after the drill`);
        // The output is written by whoever reads it: bring this copy up to the ledger, as a reader would.
        await assertMatchesFullAggregation(s.config, undefined, db);
      } finally {
        await db.close();
      }
    }
  });
});
