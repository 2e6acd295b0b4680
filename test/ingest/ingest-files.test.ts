// Ingest that never stops and never lies: files that cannot be read as orders are rejected with their
// reason while the others commit; duplicates are not counted twice; files still being written wait; every
// edit is seen; a run that lost its lease commits nothing. Real PostgreSQL, real files and processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { quarantinePathFor } from '../../src/data/quarantine.js';
import { createLogger } from '../../src/base/log.js';
import { listArrivedFiles } from '../../src/ingest/landing/arrivals.js';
import { DirectoryLanding } from '../../src/ingest/landing/landing.js';
import { readIncrementPart, runIncremental } from '../../src/ingest/incremental.js';
import { Ledger } from '../../src/ingest/ledger/ledger.js';
import { statOf } from '../../src/ingest/landing/file-changes.js';
import { recordPlannedParts, stagedParts } from '../../src/ingest/ledger/staged-parts.js';
import { acquireLease } from '../../src/ingest/ledger/lease.js';
import { ingestStatus } from '../../src/ingest/status.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { assertOutputEqualsAggregateOf, makeDaySource } from './helpers.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'paused-incremental.ts');
const logger = createLogger('silent');

let tmp: TempDir;
let source: string;
let database: TestDatabase;
let config: Config;
let db: Db;
let n = 0;

const dayFile = (day: number) => path.join(source, String(day), `orders_${day}.csv`);
const landed = (relative: string) => path.join(config.paths.incrementalRawDir, relative);
const run = () => runIncremental({ config, logger, db, redis: undefined });

async function land(relative: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(landed(relative)), { recursive: true });
  const temp = landed(relative) + '.tmp';
  await fs.writeFile(temp, content);
  await fs.rename(temp, landed(relative));
}

/** The incremental output equals a full aggregate of exactly these landed files. */
const assertOutputIs = (relatives: string[]) =>
  assertOutputEqualsAggregateOf(config, relatives.map(landed), path.join(config.dataDir, `check-${++n}`));

before(async () => {
  tmp = await tempDir();
  source = await makeDaySource(path.join(tmp.path, 'source'), 1400);
});
after(async () => tmp.remove());
beforeEach(async () => {
  database = await createTestDatabase();
  config = loadConfig({ DATA_DIR: path.join(tmp.path, `case-${++n}`), DATABASE_URL: database.url });
  db = await openStore(config, logger);
});
afterEach(async () => {
  await db.close();
  await database.drop();
});

describe('ingest of real feeds', () => {
  test('files that cannot be read as orders are rejected with their reason; the good ones commit; a fixed one commits', async () => {
    const day0 = await fs.readFile(dayFile(0), 'utf8');
    const [header, first, ...rest] = day0.trimEnd().split('\n');
    await land('1/orders_0.csv', day0);
    // Batch 2 is marked whole, so even the empty file is judged at once instead of waiting.
    await land('2/_SUCCESS', '');
    await land('2/foo.csv', 'foo,bar\n1,2\n');
    await land('2/empty.csv', '');
    await land('2/random.csv', randomBytes(4096));
    await land('2/binary.csv', gzipSync(day0));
    await land('2/dupcol.csv', header.replace('order_dow', 'order_dow,order_dow') + '\n');
    await land(
      '2/nul.csv',
      [header, first.replace(/,0,/, ',\u00000,'), ...rest.slice(0, 5)].join('\n') + '\n',
    );
    await land('2/header-only.csv', header + '\n');
    await land(
      '2/nbsp.csv',
      [header, first.replace(/,0,/, ',\u00a05,'), ...rest.slice(5, 9)].join('\n') + '\n',
    );

    const result = await run();
    assert.equal(result.status, 'committed');
    assert.deepEqual(result.batches.sort(), ['1', '2']);
    const reasons = Object.fromEntries(result.skipped.map((f) => [f.path, f.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), [
      '2/binary.csv',
      '2/dupcol.csv',
      '2/empty.csv',
      '2/foo.csv',
      '2/random.csv',
    ]);
    assert.match(reasons['2/foo.csv'], /foo\.csv:1: missing required columns order_id/);
    assert.match(reasons['2/empty.csv'], /the file is empty/);
    assert.match(reasons['2/random.csv'], /not valid UTF-8 at byte \d+|missing required column/);
    assert.match(reasons['2/binary.csv'], /not valid UTF-8 at byte \d+/);
    assert.match(reasons['2/dupcol.csv'], /column "order_dow" appears twice/);
    assert.ok(result.skipped.every((f) => f.status === 'rejected'));
    assert.equal(result.badRows, 2, 'the NUL and NBSP rows are bad rows of committed files');
    // How each committed file was read: the clean day file by the scanner, the ones with bad rows row by row.
    const read = Object.fromEntries(result.files.map((f) => [f.path, f]));
    assert.deepEqual(Object.keys(read).sort(), [
      '1/orders_0.csv',
      '2/header-only.csv',
      '2/nbsp.csv',
      '2/nul.csv',
    ]);
    assert.equal(read['1/orders_0.csv'].method, 'scan');
    assert.equal(read['2/nul.csv'].method, 'exact');
    assert.equal(read['2/nul.csv'].badRows, 1);
    assert.equal(read['1/orders_0.csv'].bytes, Buffer.byteLength(day0));
    assert.match(read['1/orders_0.csv'].worker ?? '', new RegExp(`:${process.pid}$`));
    assert.ok(result.files.every((f) => f.durationMs! >= 0 && !Number.isNaN(Date.parse(f.startedAt!))));
    await assertOutputIs(['1/orders_0.csv', '2/nul.csv', '2/nbsp.csv']);
    const [headerOnly] = await db.query<{ orders: number }>(
      "SELECT orders FROM ingest_files WHERE path = '2/header-only.csv'",
    );
    assert.equal(Number(headerOnly.orders), 0, 'a header and no rows: an empty commit, not a rejection');

    const status = await ingestStatus(config, db, undefined);
    assert.deepEqual(status.pendingFiles, []);
    assert.deepEqual(status.skippedFiles.map((f) => f.path).sort(), Object.keys(reasons).sort());
    assert.equal(status.skippedFiles.find((f) => f.path === '2/foo.csv')?.reason, reasons['2/foo.csv']);

    // Nothing changed: nothing is read again, the verdicts stand.
    const again = await run();
    assert.equal(again.status, 'up-to-date');
    assert.deepEqual(again.skipped, []);

    // The operator fixes one file: it is read again and committed; asks for another to be retried.
    await land('2/foo.csv', await fs.readFile(dayFile(1)));
    assert.equal(await new Ledger(db).retry('2/random.csv'), true);
    const fixed = await run();
    assert.equal(fixed.filesAdded, 1);
    assert.deepEqual(
      fixed.skipped.map((f) => f.path),
      ['2/random.csv'],
    );
    await assertOutputIs(['1/orders_0.csv', '2/nul.csv', '2/nbsp.csv', '2/foo.csv']);
    const after = await ingestStatus(config, db, undefined);
    assert.ok(!after.skippedFiles.some((f) => f.path === '2/foo.csv'));

    // A removed file's quarantined rows leave with it.
    const quarantine = quarantinePathFor(config.paths.quarantineDir, config.dataDir, landed('2/nul.csv'));
    await fs.access(quarantine);
    await fs.rm(landed('2/nul.csv'));
    assert.equal((await run()).filesRemoved, 1);
    await assert.rejects(fs.access(quarantine));
  });

  test('the same content under another batch is reported as a duplicate and counted once', async () => {
    const day0 = await fs.readFile(dayFile(0));
    await land('1/orders_0.csv', day0);
    const first = await run();
    await land('7/copy.csv', day0);
    const second = await run();
    assert.equal(second.status, 'up-to-date');
    assert.equal(second.generation, first.generation);
    assert.deepEqual(second.skipped, [
      {
        path: '7/copy.csv',
        status: 'duplicate',
        reason: second.skipped[0].reason,
      },
    ]);
    assert.match(second.skipped[0].reason, /same content .* as 1\/orders_0\.csv, which is committed/);
    await assertOutputIs(['1/orders_0.csv']);

    // Once the original leaves, the copy is the one that counts.
    await fs.rm(landed('1/orders_0.csv'));
    const third = await run();
    assert.equal(third.filesRemoved, 1);
    assert.equal(third.filesAdded, 1);
    await assertOutputIs(['7/copy.csv']);
  });

  test('an edit of the same size with its mtime restored is seen', async () => {
    const text = await fs.readFile(dayFile(2), 'utf8');
    await land('1/orders_2.csv', text);
    const file = landed('1/orders_2.csv');
    // A whole-second mtime, so that restoring it below is exact.
    const mtime = Math.floor(Date.now() / 1000) - 60;
    await fs.utimes(file, mtime, mtime);
    await run();
    // Same length: one count 1 becomes 2 on the first data line that has one.
    const lines = text.split('\n');
    const at = lines.findIndex((l, i) => i > 0 && /,1,/.test(l));
    lines[at] = lines[at].replace(/,1,/, ',2,');
    await fs.writeFile(file, lines.join('\n'));
    await fs.utimes(file, mtime, mtime);
    assert.equal((await fs.stat(file)).mtimeMs, mtime * 1000);
    const result = await run();
    assert.equal(result.filesReplaced, 1);
    await assertOutputIs(['1/orders_2.csv']);
  });

  test('a file written slowly in place waits and is committed once, whole; a renamed file beside it commits at once', async () => {
    const text = await fs.readFile(dayFile(3), 'utf8');
    const cut = text.indexOf('\n', text.length / 2) + 5; // in the middle of a line
    await fs.mkdir(path.dirname(landed('4/slow.csv')), { recursive: true });
    await fs.writeFile(landed('4/slow.csv'), text.slice(0, cut));
    await land('5/orders_4.csv', await fs.readFile(dayFile(4)));

    const during = await run();
    assert.deepEqual(during.batches, ['5']);
    assert.equal(during.waiting.length, 1);
    assert.equal(during.waiting[0].path, '4/slow.csv');
    assert.match(during.waiting[0].reason, /does not end with a newline/);
    const status = await ingestStatus(config, db, undefined);
    assert.match(status.pendingFiles.find((f) => f.path === '4/slow.csv')?.reason ?? '', /may still be/);

    await fs.appendFile(landed('4/slow.csv'), text.slice(cut));
    const done = await run();
    assert.deepEqual(done.batches, ['4']);
    assert.equal(done.badRows, 0);
    const runs = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_runs');
    assert.equal(runs[0].n, 2, 'one commit for the renamed file, one for the slow file once whole');
    await assertOutputIs(['4/slow.csv', '5/orders_4.csv']);
  });

  test('a file that changes while it is read is not committed from that read', async () => {
    await land('1/orders_5.csv', await fs.readFile(dayFile(5)));
    const [arrived] = await listArrivedFiles(config.paths.incrementalRawDir);
    await fs.appendFile(arrived.absolute, (await fs.readFile(dayFile(6), 'utf8')).split('\n')[1] + '\n');
    const part = { ...arrived, stat: statOf(arrived), index: 0, count: 1, chunkBytes: 1 << 20 };
    await recordPlannedParts(db, 1_000_000, null, [part]);
    const landing = new DirectoryLanding(config.paths.incrementalRawDir);
    const report = await readIncrementPart({ config, db, landing }, 1_000_000, part, 'test:1');
    assert.equal(report.outcome, 'changed');
    const [staged] = await stagedParts(db, 1_000_000);
    assert.equal(staged.chunkHashes, null, 'nothing of the read is staged for the commit');
    const [{ payloads }] = await db.query<{ payloads: number }>(
      'SELECT count(payload)::int AS payloads FROM ingest_parts WHERE token = 1000000',
    );
    assert.equal(payloads, 0);
    assert.match(staged.reason ?? '', /changed while it was being read/);
  });

  test('a run frozen past its lease (SIGSTOP) commits nothing once another run took over, and says why', async () => {
    await land('1/orders_0.csv', await fs.readFile(dayFile(0)));
    const env = {
      ...process.env,
      DATA_DIR: config.dataDir,
      DATABASE_URL: database.url,
      ORDERFLOW_INCREMENTAL_LEASE: '1s',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGSTOP');
    try {
      // Wait for the frozen run's lease to expire (an event in the store, not a fixed sleep).
      await waitFor('the frozen run to lose its lease', async () => {
        const [lease] = await db.query<{ expired: boolean }>(
          "SELECT expires_at < now() AS expired FROM ingest_leases WHERE name LIKE 'incremental:%'",
        );
        return lease?.expired;
      });
      await land('2/orders_1.csv', await fs.readFile(dayFile(1)));
      const takeover = await run();
      assert.equal(takeover.filesAdded, 2);
    } finally {
      child.kill('SIGCONT');
    }
    child.stdin.write('go\n');
    assert.equal(await exited, 3, stderr);
    assert.match(stderr, /the incremental lease \(token \d+\) was lost: .*this run commits nothing/);
    const runs = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_runs');
    assert.equal(runs[0].n, 1, 'only the run that took over committed');
    await assertOutputIs(['1/orders_0.csv', '2/orders_1.csv']);
  });

  test('a lease whose release failed (lost connection) does not block this process until it expires', async () => {
    const lostDelete: Db = {
      kind: db.kind,
      transaction: (fn) => db.transaction(fn),
      close: () => db.close(),
      query: (sql, params) =>
        sql.startsWith('DELETE')
          ? Promise.reject(new Error('Connection terminated unexpectedly'))
          : db.query(sql, params),
    };
    const first = await acquireLease(lostDelete, 'incremental');
    await assert.rejects(first.release(), /Connection terminated/);
    const second = await acquireLease(db, 'incremental');
    assert.ok(second.token > first.token, 'taken over at once, with a newer token');
    await second.release();
  });
});
