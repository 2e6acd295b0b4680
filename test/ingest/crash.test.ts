import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IncrementalHooks } from '../../src/ingest/incremental.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import { Ledger } from '../../src/ingest/ledger/ledger.js';
import { deliverBatch } from '../../src/ingest/landing/simulate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { assertMatchesFullAggregation, makeDaySource, openStage, type Stage } from './helpers.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'crash-incremental.ts');
const POINTS: (keyof IncrementalHooks)[] = [
  'afterAggregate',
  'afterLedgerCommit',
  'afterOutputWrite',
  'afterRedisUpdate',
];
const RUNS_PER_POINT = 3;

let tmp: TempDir;
let source: string;
let redisServer: RedisServer;
let database: TestDatabase;
let stage: Stage;
let nextBatch = 0;

/** Runs the fixture; resolves with the signal that ended it (SIGKILL for a crash) once it exited. */
function runFixture(point: string, killAfterMs?: number): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, point], {
    env: {
      ...process.env,
      DATA_DIR: stage.config.dataDir,
      REDIS_URL: redisServer.url,
      DATABASE_URL: database.url,
      ORDERFLOW_ALLOW_DUPLICATE_FILES: 'true',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (killAfterMs !== undefined) {
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), killAfterMs));
  }
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

/** Delivers day (n mod 7) of the source as a new batch folder n. */
async function deliverNext(): Promise<string> {
  const batch = String(nextBatch++);
  await deliverBatch(
    path.join(source, String(Number(batch) % 7)),
    path.join(stage.config.paths.incrementalRawDir, batch),
  );
  return batch;
}

before(async () => {
  tmp = await tempDir();
  source = await makeDaySource(path.join(tmp.path, 'source'), 1400);
  redisServer = await startRedis({ aof: true });
  database = await createTestDatabase();
  stage = await openStage(path.join(tmp.path, 'data'), source, {
    REDIS_URL: redisServer.url,
    DATABASE_URL: database.url,
    // Batch n repeats day n mod 7 of the source: the same content under another path, counted again.
    ORDERFLOW_ALLOW_DUPLICATE_FILES: 'true',
  });
});
after(async () => {
  await stage.close();
  await database.drop();
  await redisServer.stop();
  await tmp.remove();
});

describe('incremental survives kill -9', () => {
  for (const point of POINTS) {
    test(`at ${point}, ${RUNS_PER_POINT} times: a re-run makes the output equal the full re-aggregation`, async () => {
      for (let i = 0; i < RUNS_PER_POINT; i++) {
        const ledger = new Ledger(stage.db);
        const generationBefore = await ledger.generation();
        await deliverNext();
        assert.equal(await runFixture(point), 'SIGKILL');
        const generationAfterCrash = await ledger.generation();
        // Before the commit nothing is durable; from the commit on, the ledger has it.
        assert.equal(
          generationAfterCrash,
          point === 'afterAggregate' ? generationBefore : generationBefore + 1,
        );
        const rerun = await runIncremental(stage.deps);
        assert.equal(rerun.status, point === 'afterAggregate' ? 'committed' : 'up-to-date');
        if (point === 'afterLedgerCommit') assert.equal(rerun.outputRebuilt, true);
        await assertMatchesFullAggregation(stage.config, stage.redis);
      }
    });
  }

  test('at random moments, then a re-run: the output equals the full re-aggregation', async () => {
    for (let i = 0; i < 6; i++) {
      await deliverNext();
      if (i % 2 === 1) await deliverNext();
      await runFixture('none', Math.floor(Math.random() * 1500));
      await runIncremental(stage.deps);
      await assertMatchesFullAggregation(stage.config, stage.redis);
    }
  });
});
