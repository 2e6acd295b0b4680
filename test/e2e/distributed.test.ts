// Processing spread over several worker processes, as on several machines: three workers and a scheduler, each
// with its own DATA_DIR, one Redis, one PostgreSQL, and the landing area in an S3 bucket (so nothing relies on a
// file system shared with the scheduler). Seven day files land; the worker holding an `aggregate` child job is
// killed with SIGKILL; BullMQ hands the child to another worker, and the run commits every file exactly once:
// the output equals a full `aggregate` of the same files, and the run's parts were read by several workers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import { syncLocalOutput } from '../../src/ingest/output/increment-output.js';
import { loadConfig } from '../../src/base/config.js';
import { INCREMENTAL_DAG } from '../../src/orchestration/pipeline-dags.js';
import { TASK_QUEUE } from '../../src/orchestration/runtime.js';
import { partsOfDagRuns } from '../../src/ingest/ledger/staged-parts.js';
import { createLogger } from '../../src/base/log.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startS3, type S3Server } from '../helpers/s3.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { assertOutputEqualsAggregateOf, makeDaySource } from '../ingest/helpers.js';
import { ROOT, spawnCli, type StartedProcess } from './harness.js';
import { waitFor } from '../helpers/wait.js';

const HOLDING_WORKER = fileURLToPath(new URL('./fixtures/holding-worker.ts', import.meta.url));
const DAYS = [0, 1, 2, 3, 4, 5, 6];

describe('distributed processing (3 workers, 1 scheduler, S3 landing)', () => {
  let tmp: TempDir;
  let source: string;
  let s3: S3Server;
  let redis: RedisServer;
  let database: TestDatabase;
  let db: Db;
  const processes: StartedProcess[] = [];

  before(async () => {
    tmp = await tempDir();
    source = await makeDaySource(path.join(tmp.path, 'source'), 2100);
    s3 = await startS3();
    redis = await startRedis();
    database = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await db?.close();
    await database.drop();
    await redis.stop();
    await s3.stop();
    await tmp.remove();
  });

  test('distributed › a worker killed mid-child: the child runs elsewhere and every file is counted once', async () => {
    const shared = {
      REDIS_URL: redis.url,
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: `d${randomBytes(3).toString('hex')}:`,
      LOG_LEVEL: 'warn',
      ...s3.env('landing'),
    };
    const dataDir = (name: string) => path.join(tmp.path, name);
    db = await openStore(loadConfig({ ...shared, DATA_DIR: dataDir('observer') }), createLogger('silent'));

    // The worker that will hold a child starts alone, so it is the one that takes the first child job.
    const holder = spawn(process.execPath, ['--import', 'tsx', HOLDING_WORKER], {
      cwd: ROOT,
      env: { ...process.env, ...shared, DATA_DIR: dataDir('worker-0') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const holderExited = new Promise((resolve) => holder.once('exit', resolve));
    let holderOut = '';
    const holderSays = (pattern: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = holderOut.split('\n').find((l) => pattern.test(l));
          if (line) resolve(line);
        };
        holder.stdout!.on('data', (chunk: Buffer) => ((holderOut += chunk.toString()), check()));
        holder.once('exit', (code) => reject(new Error(`holding worker exited (${code}): ${holderOut}`)));
      });
    const ready = holderSays(/^ready/);
    const holding = holderSays(/^holding /);
    await ready;

    for (const d of DAYS) {
      const file = path.join(source, String(d), `orders_${d}.csv`);
      await s3.put(`landing/${d + 1}/orders_${d}.csv`, await fs.readFile(file));
    }
    processes.push(spawnCli(['scheduler'], { ...shared, DATA_DIR: dataDir('scheduler') }));
    const heldLine = await holding;

    // The other two workers start while the task queue is paused, so both are taking jobs when the remaining
    // children become available (otherwise the first one up could read them all before the second starts).
    const tasks = new Queue(TASK_QUEUE, {
      connection: { host: '127.0.0.1', port: redis.port },
      prefix: `${shared.REDIS_KEY_PREFIX}bull`,
    });
    await tasks.pause();
    const workers = [1, 2].map((n) =>
      spawnCli(['worker', '--concurrency', '1'], { ...shared, DATA_DIR: dataDir(`worker-${n}`) }),
    );
    processes.push(...workers);
    await Promise.all(workers.map((w) => w.waitForLine(/worker running/)));
    await tasks.resume();
    await tasks.close();
    holder.kill('SIGKILL');
    await holderExited;

    const run = await waitFor(
      'the incremental run that committed the seven files',
      async () => {
        const [row] = await db.query<{ id: number; state: string }>(
          `SELECT r.id, r.state FROM dag_runs r JOIN dag_task_instances t ON t.run_id = r.id
           WHERE r.dag_id = $1 AND t.task_id = 'commit' AND t.state = 'success'
             AND (t.result->>'filesAdded')::int > 0`,
          [INCREMENTAL_DAG],
        );
        return row?.state === 'success' ? row : undefined;
      },
      60_000,
    );

    // Every file once in the ledger, each part committed once, by the two workers that stayed.
    const files = await db.query<{ path: string }>('SELECT path FROM ingest_files ORDER BY path');
    assert.deepEqual(
      files.map((f) => f.path),
      DAYS.map((d) => `${d + 1}/orders_${d}.csv`),
    );
    const parts = await partsOfDagRuns(db, [Number(run.id)]);
    assert.equal(parts.length, DAYS.length);
    assert.ok(parts.every((p) => p.state === 'committed' && p.outcome === 'read'));
    const readers = new Set(parts.map((p) => p.worker));
    assert.ok(readers.size >= 2, `parts read by at least two workers: ${[...readers].join(', ')}`);
    const [, heldPath] = /^holding (\S+) part/.exec(heldLine)!;
    const heldPart = parts.find((p) => p.path === heldPath)!;
    assert.ok(!heldPart.worker?.endsWith(`:${holder.pid}`), 'the held child was run again by another worker');
    const [{ n: runs }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_runs');
    assert.equal(runs, 1, 'one commit');

    // The output is written by whoever reads it, from the ledger: a machine that ran none of the run's tasks (a
    // DATA_DIR of its own) brings its copy up, and it equals a full aggregate of the seven files.
    const readerConfig = loadConfig({ ...shared, DATA_DIR: dataDir('reader') });
    assert.equal(await syncLocalOutput(readerConfig, db), true);
    await assertOutputEqualsAggregateOf(
      readerConfig,
      DAYS.map((d) => path.join(source, String(d), `orders_${d}.csv`)),
      path.join(tmp.path, 'check'),
    );

    // update_tracking ran after the commit: processed_days holds the seven batches.
    const client = new IORedis(redis.url);
    try {
      const days = await client.smembers(`${shared.REDIS_KEY_PREFIX}processed_days`);
      assert.deepEqual(days.sort(), DAYS.map((d) => String(d + 1)).sort());
    } finally {
      client.disconnect();
    }
    for (const p of processes) assert.equal(await p.stop('SIGTERM'), 0, p.output());
  });
});
