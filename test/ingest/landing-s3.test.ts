// The landing area in a bucket, on a real S3 protocol server: objects under s3://orders/landing/<batch>/ are
// committed exactly once, a replaced object (new ETag) replaces its partial, a deleted one leaves the output,
// an object that is not orders is rejected naming its s3:// key, and status lists what is pending.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import { ingestStatus } from '../../src/ingest/status.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startS3, type S3Server } from '../helpers/s3.js';
import { runCli } from '../helpers/cli.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { assertOutputEqualsAggregateOf, makeDaySource } from './helpers.js';

const logger = createLogger('silent');
let tmp: TempDir;
let source: string;
let s3: S3Server;
let database: TestDatabase;
let config: Config;
let db: Db;

const day = (d: number) => path.join(source, String(d), `orders_${d}.csv`);
const run = () => runIncremental({ config, logger, db, redis: undefined });

/** The output equals a full aggregate of these local source files. */
const assertOutputIs = (files: string[]) =>
  assertOutputEqualsAggregateOf(
    config,
    files,
    path.join(tmp.path, `check-${Math.random().toString(36).slice(2)}`),
  );

before(async () => {
  tmp = await tempDir();
  source = await makeDaySource(path.join(tmp.path, 'source'), 1400);
  s3 = await startS3();
  database = await createTestDatabase();
  config = loadConfig({
    DATA_DIR: path.join(tmp.path, 'data'),
    DATABASE_URL: database.url,
    ...s3.env('landing'),
  });
  db = await openStore(config, logger);
});
after(async () => {
  await db.close();
  await database.drop();
  await s3.stop();
  await tmp.remove();
});

test('s3 landing › objects are committed once; replaced, deleted and unreadable objects are handled', async () => {
  await s3.put('landing/1/orders_0.csv', await fs.readFile(day(0)));
  await s3.put('landing/2/orders_1.csv', await fs.readFile(day(1)));
  await s3.put('elsewhere/3/orders_2.csv', await fs.readFile(day(2)));
  const pending = await ingestStatus(config, db, undefined);
  assert.deepEqual(
    pending.pendingFiles.map((f) => f.path),
    ['1/orders_0.csv', '2/orders_1.csv'],
  );

  const first = await run();
  assert.equal(first.filesAdded, 2);
  assert.deepEqual(first.batches, ['1', '2']);
  await assertOutputIs([day(0), day(1)]);
  const [row] = await db.query<{ inode: string; sha256: string }>(
    "SELECT inode, sha256 FROM ingest_files WHERE path = '1/orders_0.csv'",
  );
  assert.match(row.inode, /^"[0-9a-f]{32}"$/, 'the ETag is kept');
  assert.match(row.sha256, /^[0-9a-f]{64}$/);
  assert.equal((await run()).status, 'up-to-date');

  await s3.put('landing/2/orders_1.csv', await fs.readFile(day(3)));
  await s3.put('landing/4/bad.csv', 'foo,bar\n1,2\n');
  await s3.remove('landing/1/orders_0.csv');
  const second = await run();
  assert.deepEqual([second.filesAdded, second.filesReplaced, second.filesRemoved], [0, 1, 1]);
  assert.equal(second.skipped.length, 1);
  assert.match(second.skipped[0].reason, /^s3:\/\/orders\/landing\/4\/bad\.csv:1: missing required columns/);
  await assertOutputIs([day(3)]);
  const status = await ingestStatus(config, db, undefined);
  assert.deepEqual(status.pendingFiles, []);
  assert.deepEqual(
    status.skippedFiles.map((f) => f.path),
    ['4/bad.csv'],
  );
});

test('s3 landing › a file read as several parts is downloaded once in total (bytes counted on the wire)', async () => {
  // One object of 6,000 orders (~1.7 MB) read in parts of 256 KiB: each part GETs only its byte range (+ the header
  // line and the end of its last line).
  const local = path.join(tmp.path, 'week.csv');
  assert.equal((await runCli(['generate', '--orders', '6000', '--seed', '9', '--out', local])).code, 0);
  const body = await fs.readFile(local);
  await s3.put('ranged/1/week.csv', body);
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(s3.endpoint).port) });
  const ranged = await createTestDatabase();
  const rangedConfig = loadConfig({
    DATA_DIR: path.join(tmp.path, 'ranged-data'),
    DATABASE_URL: ranged.url,
    ...s3.env('ranged'),
    ORDERFLOW_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
    ORDERFLOW_RANGE_BYTES: String(256 << 10),
  });
  const rangedDb = await openStore(rangedConfig, logger);
  try {
    const result = await runIncremental({ config: rangedConfig, logger, db: rangedDb, redis: undefined });
    assert.equal(result.filesAdded, 1);
    const parts = new Set(result.files.map((f) => f.rangeIndex));
    const size = body.length;
    assert.ok(parts.size >= 5, `read as ${parts.size} parts`);
    const downloaded = proxy.bytesFromTarget();
    // Every byte once, plus per part the header line, a line-end probe and the HTTP framing: under 5 %.
    assert.ok(downloaded >= size, `downloaded ${downloaded} of ${size} bytes`);
    assert.ok(
      downloaded < size * 1.1,
      `downloaded ${downloaded} bytes for a ${size}-byte object in ${parts.size} parts`,
    );
    await assertOutputEqualsAggregateOf(rangedConfig, [local], path.join(tmp.path, 'check-ranged'));
  } finally {
    await rangedDb.close();
    await ranged.drop();
    await proxy.close();
  }
});
