// Two incremental runs committing at once, as separate processes on real PostgreSQL, Redis and files: each
// run claims the files no other live run holds, so two batches landing together are read and committed side by
// side. Lined up so that both commit at the same moment, and with either of them killed (SIGKILL) at each step
// of its run, the ledger counts every file exactly once, and after a re-run the output equals a full
// re-aggregation of the files present and Redis' tracking keys equal the ledger's.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { IncrementalHooks } from '../../src/ingest/incremental.js';
import { runIncremental } from '../../src/ingest/incremental.js';
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

let tmp: TempDir;
let source: string;
let redisServer: RedisServer;
let database: TestDatabase;
let stage: Stage;
let nextBatch = 0;

type Child = ChildProcessByStdio<Writable, Readable, null>;

interface Run {
  child: Child;
  exited: Promise<NodeJS.Signals | null>;
  /** Resolves when the run printed `line` (paused, done). */
  said(line: string): Promise<void>;
}

/** Starts the fixture: a run that pauses before its commit (afterAggregate) and dies at `kill`, if given. */
function startRun(kill: keyof IncrementalHooks | 'none'): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, kill, 'afterAggregate'], {
    env: {
      ...process.env,
      DATA_DIR: stage.config.dataDir,
      REDIS_URL: redisServer.url,
      DATABASE_URL: database.url,
      ORDERFLOW_ALLOW_DUPLICATE_FILES: 'true',
      LOG_LEVEL: 'silent',
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters.filter((x) => out.split('\n').includes(x.line))) w.resolve();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_c, signal) => resolve(signal)),
  );
  return {
    child,
    exited,
    said: (line) =>
      new Promise<void>((resolve, reject) => {
        if (out.split('\n').includes(line)) return resolve();
        waiters.push({ line, resolve });
        void exited.then(() =>
          out.split('\n').includes(line) ? resolve() : reject(new Error(`exited before ${line}`)),
        );
      }),
  };
}

/** Delivers day (n mod 7) of the source as a new batch folder n; returns its file's path in the ledger. */
async function deliverNext(): Promise<string> {
  const batch = String(nextBatch++);
  const day = String(Number(batch) % 7);
  await deliverBatch(path.join(source, day), path.join(stage.config.paths.incrementalRawDir, batch));
  return `${batch}/orders_${day}.csv`;
}

async function committedPaths(): Promise<string[]> {
  const rows = await stage.db.query<{ path: string }>('SELECT path FROM ingest_files ORDER BY path');
  return rows.map((r) => r.path);
}

/**
 * Run one reads batch A and pauses before its commit; batch B lands and run two reads it and pauses; both are
 * released at once. Returns the two runs and the two files.
 */
async function twoRunsAtOnce(kills: [keyof IncrementalHooks | 'none', keyof IncrementalHooks | 'none']) {
  const fileA = await deliverNext();
  const first = startRun(kills[0]);
  await first.said('paused');
  const fileB = await deliverNext();
  const second = startRun(kills[1]);
  await second.said('paused');
  first.child.stdin.write('go\n');
  second.child.stdin.write('go\n');
  return { first, second, files: [fileA, fileB] };
}

before(async () => {
  tmp = await tempDir();
  source = await makeDaySource(path.join(tmp.path, 'source'), 700);
  redisServer = await startRedis();
  database = await createTestDatabase();
  stage = await openStage(path.join(tmp.path, 'data'), source, {
    REDIS_URL: redisServer.url,
    DATABASE_URL: database.url,
    ORDERFLOW_ALLOW_DUPLICATE_FILES: 'true',
  });
});
after(async () => {
  await stage?.close();
  await database?.drop();
  await redisServer?.stop();
  await tmp?.remove();
});

describe('two runs committing at once', () => {
  test('both commit, each its own batch, each file once', async () => {
    const { first, second, files } = await twoRunsAtOnce(['none', 'none']);
    assert.deepEqual(await Promise.all([first.exited, second.exited]), [null, null]);
    const runs = await stage.db.query<{ files_added: number }>(
      'SELECT files_added FROM ingest_runs ORDER BY id',
    );
    assert.deepEqual(
      runs.map((r) => r.files_added),
      [1, 1],
      'two commits of one file each',
    );
    assert.deepEqual(await committedPaths(), [...files].sort());
    await assertMatchesFullAggregation(stage.config, stage.redis, stage.db);
  });

  for (const point of POINTS)
    for (const victim of [0, 1] as const)
      test(`the ${victim === 0 ? 'first' : 'second'} killed at ${point}: the other commits, a re-run finishes, each file once`, async () => {
        const kills: ['none' | typeof point, 'none' | typeof point] =
          victim === 0 ? [point, 'none'] : ['none', point];
        const before = await committedPaths();
        const { first, second, files } = await twoRunsAtOnce(kills);
        const signals = await Promise.all([first.exited, second.exited]);
        assert.equal(signals[victim], 'SIGKILL');
        assert.equal(signals[1 - victim], null);
        const survivor = files[1 - victim];
        const afterBoth = await committedPaths();
        assert.ok(afterBoth.includes(survivor), 'the run that lived committed its file');
        // Killed before its commit, the victim's file waits for the next run; from the commit on, it is in.
        assert.equal(afterBoth.includes(files[victim]), point !== 'afterAggregate');
        const rerun = await runIncremental(stage.deps);
        assert.equal(rerun.filesAdded, point === 'afterAggregate' ? 1 : 0);
        assert.deepEqual(await committedPaths(), [...before, ...files].sort());
        const [{ counted }] = await stage.db.query<{ counted: number }>(
          'SELECT count(*)::int AS counted FROM ingest_fold_queue WHERE path = ANY($1::text[]) AND sign > 0',
          [files],
        );
        assert.equal(counted, 0, 'folded: nothing of the two runs still queued');
        await assertMatchesFullAggregation(stage.config, stage.redis, stage.db);
      });
});
