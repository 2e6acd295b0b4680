import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, afterEach, describe, test } from 'node:test';
import { runIncremental } from '../../src/ingest/incremental.js';
import { ingestStatus } from '../../src/ingest/status.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { runCli } from '../helpers/cli.js';
import { assertMatchesFullAggregation, makeDaySource, openStage, type Stage } from './helpers.js';

let tmp: TempDir;
let source: string;
let redisServer: RedisServer;
let database: TestDatabase;
let stage: Stage;
let n = 0;

before(async () => {
  tmp = await tempDir();
  source = await makeDaySource(path.join(tmp.path, 'source'));
  redisServer = await startRedis({ aof: true });
});
after(async () => {
  await redisServer.stop();
  await tmp.remove();
});
beforeEach(async () => {
  database = await createTestDatabase();
  stage = await openStage(path.join(tmp.path, `case-${++n}`), source, {
    REDIS_URL: redisServer.url,
    DATABASE_URL: database.url,
  });
  await stage.redis.flushall();
});
afterEach(async () => {
  await stage.close();
  await database.drop();
});

describe('incremental (PostgreSQL ledger, real Redis)', () => {
  test('batches arriving out of order and late are each counted once (no high-water mark skips day 3)', async () => {
    for (const batch of ['5', '3', '0']) {
      await stage.deliver(batch);
      const result = await runIncremental(stage.deps);
      assert.equal(result.status, 'committed');
      assert.deepEqual(result.batches, [batch]);
      await assertMatchesFullAggregation(stage.config, stage.redis);
    }
    for (const batch of ['6', '1', '2', '4']) await stage.deliver(batch);
    const late = await runIncremental(stage.deps);
    assert.deepEqual(late.batches, ['1', '2', '4', '6']);
    await assertMatchesFullAggregation(stage.config, stage.redis);
    assert.equal(await stage.redis.get('last_processed_day'), '6');
  });

  test('re-runs and a duplicate delivery of the same file change nothing', async () => {
    await stage.deliver('2');
    const first = await runIncremental(stage.deps);
    const output = await fs.readFile(stage.config.paths.incrementalCsv, 'utf8');
    await stage.deliver('2'); // the same file again: new mtime, same content
    const again = await runIncremental(stage.deps);
    assert.equal(again.status, 'up-to-date');
    assert.equal(again.generation, first.generation);
    assert.equal(await fs.readFile(stage.config.paths.incrementalCsv, 'utf8'), output);
    const [{ count }] = await stage.db.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM ingest_files',
    );
    assert.equal(count, 1);
  });

  test('a file modified in place replaces its old partial', async () => {
    await stage.deliver('1');
    await runIncremental(stage.deps);
    const file = path.join(stage.config.paths.incrementalRawDir, '1', 'orders_1.csv');
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    await fs.writeFile(file, lines.slice(0, Math.floor(lines.length / 2)).join('\n') + '\n');
    const result = await runIncremental(stage.deps);
    assert.equal(result.filesReplaced, 1);
    await assertMatchesFullAggregation(stage.config, stage.redis);
  });

  test('a removed file leaves the output', async () => {
    await stage.deliver('1');
    await stage.deliver('4');
    await runIncremental(stage.deps);
    await fs.rm(path.join(stage.config.paths.incrementalRawDir, '4'), { recursive: true });
    const result = await runIncremental(stage.deps);
    assert.equal(result.filesRemoved, 1);
    await assertMatchesFullAggregation(stage.config, stage.redis);
  });

  test('after FLUSHALL the next run rebuilds processed_days from the ledger without reprocessing', async () => {
    await stage.deliver('0');
    await stage.deliver('3');
    const first = await runIncremental(stage.deps);
    await stage.redis.flushall();
    const result = await runIncremental(stage.deps);
    assert.equal(result.status, 'up-to-date');
    assert.equal(result.trackingRebuilt, true);
    assert.equal(result.generation, first.generation);
    await assertMatchesFullAggregation(stage.config, stage.redis);
    // No triple counting after a reset: the items stay those of the files present.
    const [{ items }] = await stage.db.query<{ items: number }>(
      'SELECT sum(items)::bigint AS items FROM ingest_files',
    );
    assert.equal(Number(items), first.items);
  });

  test('Redis restarted (AOF) keeps the keys; a run while Redis is down still commits and the next one repairs Redis', async () => {
    await stage.deliver('2');
    await runIncremental(stage.deps);
    await redisServer.restart();
    await assertMatchesFullAggregation(stage.config, stage.redis);
    await redisServer.stop();
    await stage.deliver('5');
    const offline = await runIncremental(stage.deps);
    assert.equal(offline.status, 'committed');
    assert.ok(offline.redisError);
    await redisServer.restart();
    await stage.redis.flushall();
    const repaired = await runIncremental(stage.deps);
    assert.equal(repaired.status, 'up-to-date');
    await assertMatchesFullAggregation(stage.config, stage.redis);
  });

  test('two runs started at once: both finish, each file is counted by exactly one of them', async () => {
    for (const batch of ['0', '1', '2']) await stage.deliver(batch);
    const [a, b] = await Promise.all([runIncremental(stage.deps), runIncremental(stage.deps)]);
    const counted = [...a.files, ...b.files].map((f) => f.path);
    const paths = (await stage.db.query<{ path: string }>('SELECT path FROM ingest_files ORDER BY path')).map(
      (r) => r.path,
    );
    assert.equal(paths.length, 3);
    assert.deepEqual([...new Set(counted)].sort(), paths, 'every file committed, by one run or the other');
    assert.equal(a.filesAdded + b.filesAdded, 3, 'no file counted twice');
    // What one run did not get, it reports as taken by the other (or it found nothing left to do).
    for (const [run, other] of [
      [a, b],
      [b, a],
    ])
      for (const w of run.waiting) {
        assert.match(w.reason, /being read by another run/);
        assert.ok(other.files.some((f) => f.path === w.path));
      }
    await assertMatchesFullAggregation(stage.config, stage.redis, stage.db);
  });

  test('bad rows in a new file are quarantined with reasons and recorded in the ledger; good rows count', async () => {
    await stage.deliver('6');
    const file = path.join(stage.config.paths.incrementalRawDir, '6', 'orders_6.csv');
    const text = await fs.readFile(file, 'utf8');
    const [header, first] = text.split('\n');
    const bad = first.split(',');
    bad[2] = '25';
    await fs.writeFile(file, `${text}${bad.join(',')}\n`);
    const result = await runIncremental(stage.deps);
    assert.equal(result.badRows, 1);
    const rows = await stage.db.query<{ line: number; reason: string }>(
      'SELECT line, reason FROM ingest_bad_rows',
    );
    assert.deepEqual(rows, [
      { line: text.trimEnd().split('\n').length + 1, reason: 'order_hour_of_day=25 is outside 0–23' },
    ]);
    assert.ok(header.startsWith('order_id'));
    await assertMatchesFullAggregation(stage.config, stage.redis);
    const status = await ingestStatus(stage.config, stage.db, stage.redis);
    assert.deepEqual(status.pendingFiles, []);
    assert.equal(status.redis.agrees, true);
  });

  test('the CLI reports pending files in status, then commits them', async () => {
    await stage.deliver('3');
    const env = { DATA_DIR: stage.config.dataDir, REDIS_URL: redisServer.url, DATABASE_URL: database.url };
    const before = await runCli(['status', '--json'], env);
    assert.deepEqual(JSON.parse(before.stdout).pendingFiles, [
      { path: '3/orders_3.csv', batch: '3', reason: 'new: the next incremental run reads it' },
    ]);
    const run = await runCli(['incremental'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /committed 1 new, 0 changed, 0 removed file\(s\) \[batches 3\]/);
    const status = await runCli(['status'], env);
    assert.match(status.stdout, /pending files: \(none\)/);
    assert.match(status.stdout, /agrees with the ledger/);
  });
});

describe('incremental (embedded PGlite ledger)', () => {
  test('the same guarantee holds on the embedded store', async () => {
    const embedded = await openStage(path.join(tmp.path, 'embedded'), source, { REDIS_URL: redisServer.url });
    try {
      await embedded.redis.flushall();
      await embedded.deliver('4');
      await embedded.deliver('1');
      await runIncremental(embedded.deps);
      await embedded.deliver('0');
      await runIncremental(embedded.deps);
      await assertMatchesFullAggregation(embedded.config, embedded.redis);
      assert.equal(embedded.db.kind, 'pglite');
    } finally {
      await embedded.close();
    }
  });
});

describe('incremental --watch', () => {
  test('commits a landed file long before the rescan would have (file events, not the rescan)', async () => {
    const watched = await openStage(path.join(tmp.path, 'watch'), source, {
      REDIS_URL: redisServer.url,
      DATABASE_URL: database.url,
    });
    const controller = new AbortController();
    const committed: { at: number; batches: string[] }[] = [];
    const results: string[] = [];
    const { watchIncremental } = await import('../../src/ingest/watch.js');
    const watching = watchIncremental(watched.deps, {
      signal: controller.signal,
      rescanMs: 60_000, // so only file events can explain a quick commit
      onResult: (r) => {
        results.push(r.status);
        if (r.status === 'committed') committed.push({ at: Date.now(), batches: r.batches });
      },
      onError: (err) => results.push(`error: ${err.message}`),
    });
    try {
      // The watch's first run (over nothing new) has ended, and the folder is watched: now a file lands.
      await waitFor('the first run of the watch', () => results.length > 0, 10_000);
      const landed = Date.now();
      await watched.deliver('2');
      await waitFor('a commit', () => committed.length > 0, { timeoutMs: 10_000, intervalMs: 20 });
      assert.deepEqual(
        committed.map((c) => c.batches),
        [['2']],
      );
      // The rescan is a minute away: a commit within seconds can only come from the file event (how fast it is,
      // on an idle machine, is bench:incremental's measure, not this test's).
      assert.ok(committed[0].at - landed < 10_000, `committed ${committed[0].at - landed} ms after landing`);
      await assertMatchesFullAggregation(watched.config, watched.redis);
    } finally {
      controller.abort();
      await watching;
      await watched.close();
    }
  });
});
