// Parts of an incremental run: a file read as byte ranges (by different workers) adds up to exactly what one
// pass gives, wherever the chunk cuts fall — inside quoted fields, just before the LF of a CRLF, inside a record
// whose quoted field spans lines (then the exact validator reads the whole file once) — and hashes to the same
// content hash however many parts read it; and a run whose lease lapsed commits nothing, while the run that
// took its claims over drops what the old one staged.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { LeaseLostError } from '../../src/base/errors.js';
import { createLogger } from '../../src/base/log.js';
import { chunkCount, contentHashOf } from '../../src/ingest/read/content-hash.js';
import { aggregateFile, readPart, toCells, type PartRead } from '../../src/ingest/read/file-aggregate.js';
import { addTotals, emptyTotals } from '../../src/ingest/read/sum-scan.js';
import { type IncrementPlan } from '../../src/ingest/increment-plan.js';
import type { PartPlan } from '../../src/ingest/files.js';
import {
  commitIncrement,
  discoverIncrement,
  readIncrementPart,
  runIncremental,
} from '../../src/ingest/incremental.js';
import { mergeParts } from '../../src/ingest/ledger/merge-parts.js';
import { packPart, unpackPart } from '../../src/ingest/ledger/part-payload.js';
import { partsOfToken, stagedParts, type StagedPart } from '../../src/ingest/ledger/staged-parts.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { assertMatchesFullAggregation, makeDaySource } from './helpers.js';

const CATEGORIES = ['fruit', 'yogurt', 'tea', 'frozen pizza'];
const HEADER = `order_id,order_dow,order_hour_of_day,days_since_prior_order,${CATEGORIES.map((c) => (c.includes(' ') ? `"${c}"` : c)).join(',')}`;

/** A small deterministic generator (so a failure can be replayed). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * `rows` orders: LF and CRLF line ends mixed, counts sometimes quoted ("5"), order ids sometimes quoted. With
 * `odd`, also a quoted order id holding a comma and one holding a line break, and a bad row: the scanner gives
 * up on those, and the exact validator must decide.
 */
function ordersText(rows: number, seed: number, odd: boolean): string {
  const next = random(seed);
  const int = (n: number) => Math.floor(next() * n);
  const lines = [HEADER + '\n'];
  for (let i = 0; i < rows; i++) {
    let id = next() < 0.2 ? `"${1000 + i}"` : String(1000 + i);
    if (odd && i === Math.floor(rows / 3)) id = `"id, with comma ${i}"`;
    if (odd && i === Math.floor(rows / 2)) id = `"two\nlines ${i}"`;
    const counts = CATEGORIES.map(() => (next() < 0.5 ? 0 : int(4)));
    const fields = [id, int(7), int(24), next() < 0.1 ? '' : int(30).toFixed(1)];
    fields.push(...counts.map((c) => (next() < 0.15 ? `"${c}"` : String(c))));
    if (odd && i === Math.floor((2 * rows) / 3)) fields[1] = '9';
    lines.push(fields.join(',') + (next() < 0.4 ? '\r\n' : '\n'));
  }
  return lines.join('');
}

/** Where the nominal chunk cuts (k × chunkBytes) fall: inside a quoted field, or between a CR and its LF. */
function cutKinds(text: Buffer, chunkBytes: number): Set<string> {
  const kinds = new Set<string>();
  for (let k = 1; k * chunkBytes < text.length; k++) {
    const at = k * chunkBytes;
    if (text[at - 1] === 13 && text[at] === 10) kinds.add('crlf');
    const lineStart = text.lastIndexOf(10, at - 1) + 1;
    const quotes = text.subarray(lineStart, at).filter((b) => b === 34).length;
    if (quotes % 2 === 1) kinds.add('quoted');
  }
  return kinds;
}

function plannedParts(file: string, count: number, chunkBytes = 1 << 20): PartPlan[] {
  const stat = { size: 0, mtimeMs: 0, ctimeMs: 0, inode: '' };
  return Array.from({ length: count }, (_, index) => ({
    path: path.basename(file),
    batch: '1',
    stat,
    index,
    count,
    chunkBytes,
  }));
}

const planOf = (parts: PartPlan[]): IncrementPlan => ({
  token: 1,
  startedAt: new Date().toISOString(),
  parts,
  removed: [],
  vanishedSkipped: [],
  waiting: [],
  claims: 1,
});

/** A part as the commit reads it back from the store (its payload through the store's byte format). */
function stagedOf(p: PartPlan, read: PartRead): StagedPart {
  const stored = unpackPart(packPart(read));
  return {
    path: p.path,
    rangeIndex: p.index,
    outcome: 'read',
    reason: null,
    firstChunk: read.firstChunk,
    chunkHashes: read.chunkHashes,
    orders: stored.totals.orders.reduce((n, v) => n + v, 0),
    items: stored.totals.items.reduce((n, v) => n + v, 0),
    whole: stored.whole,
    badRows: stored.badRows,
  };
}

describe('parts › a file read as byte ranges', () => {
  let tmp: TempDir;
  before(async () => (tmp = await tempDir()));
  after(async () => tmp.remove());

  for (const { rows, odd } of [
    { rows: 40, odd: false },
    { rows: 400, odd: false },
    { rows: 3000, odd: false },
    { rows: 400, odd: true },
  ]) {
    test(`parts › ${rows} orders${odd ? ' with a multi-line record and a bad row' : ''}: every split equals one pass`, async () => {
      const file = path.join(tmp.path, `orders-${rows}-${odd}.csv`);
      const text = ordersText(rows, rows, odd);
      await fs.writeFile(file, text);
      const bytes = Buffer.from(text);
      const whole = await aggregateFile(file);
      assert.equal(whole.validatedRowByRow, odd, 'the odd file needs the exact path, the plain one does not');
      const seen = new Set<string>();
      // Fixed counts, plus the first counts whose cuts fall between a CR and its LF, and inside a quoted field.
      const counts = [1, 2, 3, 5, 7, 11, 16, 31, 64];
      for (const kind of ['crlf', 'quoted']) {
        const hit = Array.from({ length: 400 }, (_, k) => k + 2).find((n) =>
          cutKinds(bytes, Math.ceil(bytes.length / n)).has(kind),
        );
        if (hit !== undefined) counts.push(hit);
      }
      for (const wanted of counts) {
        // Parts of one chunk each: chunk cuts at k × chunkBytes, moved to the next line start.
        const chunkBytes = Math.max(1, Math.ceil(bytes.length / wanted));
        const count = chunkCount(bytes.length, chunkBytes);
        for (const kind of cutKinds(bytes, chunkBytes)) seen.add(kind);
        const parts = plannedParts(file, count, chunkBytes);
        const reads: PartRead[] = [];
        for (const p of parts) reads.push(await readPart(file, p, { threads: 1 }));
        if (!odd) {
          // The ranges tile the file: every byte read once, by the scanner.
          assert.deepEqual(
            reads.map((r) => [r.start, r.end, r.method]),
            reads.map((r, k) => [k === 0 ? 0 : reads[k - 1].end, r.end, 'scan']),
          );
          assert.equal(reads.at(-1)!.end, bytes.length);
        }
        const merged = mergeParts(
          planOf(parts),
          parts.map((p, k) => stagedOf(p, reads[k])),
        );
        assert.equal(merged.commits.length, 1, `${count} parts`);
        const [commit] = merged.commits;
        // What the commit keeps as the file's partial: the counted parts' totals, added up.
        const totals = emptyTotals(CATEGORIES.length);
        for (const k of commit.parts) addTotals(totals, reads[k].totals);
        const sum = toCells(totals, reads[0].categories);
        assert.deepEqual(sum.cells, whole.cells, `${count} parts: cells`);
        assert.equal(commit.orders, whole.orders, `${count} parts: orders`);
        assert.deepEqual(sum.holdout, whole.holdout, `${count} parts: holdout partial`);
        assert.deepEqual(
          commit.badRows.map((r) => [r.line, r.reason]),
          whole.badRows.map((r) => [r.line, r.reason]),
          `${count} parts: bad rows and their line numbers`,
        );
        assert.equal(commit.sha256, await contentHashOf(file, chunkBytes), `${count} parts: content hash`);
      }
      // The content hash does not depend on how many parts read the file, only on its bytes.
      const fixed = 97;
      const hashes = new Set<string>();
      for (const count of [1, 2, 5, chunkCount(bytes.length, fixed)]) {
        const parts = plannedParts(file, count, fixed);
        const reads = await Promise.all(parts.map((p) => readPart(file, p, { threads: 1 })));
        hashes.add(
          mergeParts(
            planOf(parts),
            parts.map((p, k) => stagedOf(p, reads[k])),
          ).commits[0].sha256,
        );
      }
      assert.equal(hashes.size, 1, 'one content hash for 1, 2, 5 and one-chunk parts');
      if (rows >= 400) {
        assert.ok(seen.has('quoted'), 'some cut fell inside a quoted field');
        assert.ok(seen.has('crlf'), 'some cut fell between a CR and its LF');
      }
    });
  }

  test('parts › a part that is missing or saw its file change keeps the whole file waiting', () => {
    const parts = plannedParts('/x/a.csv', 3);
    const changed: StagedPart = {
      path: 'a.csv',
      rangeIndex: 1,
      outcome: 'changed',
      reason: 'changed while it was being read',
      firstChunk: null,
      chunkHashes: null,
      orders: 0,
      items: 0,
      whole: false,
      badRows: [],
    };
    const merged = mergeParts(planOf(parts), [changed]);
    assert.deepEqual(merged.commits, []);
    assert.match(merged.waiting[0].reason, /changed while it was being read/);
    const missing = mergeParts(planOf(parts), []);
    assert.match(missing.waiting[0].reason, /part 1 of 3 was not read/);
  });
});

describe('parts › fencing and abandoned runs (PostgreSQL)', () => {
  const logger = createLogger('silent');
  let tmp: TempDir;
  let source: string;
  let database: TestDatabase;
  let config: Config;
  let db: Db;

  before(async () => {
    tmp = await tempDir();
    source = await makeDaySource(path.join(tmp.path, 'source'), 1400);
    database = await createTestDatabase();
    config = loadConfig({
      DATA_DIR: path.join(tmp.path, 'data'),
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      // Small enough that each day file is read as several parts.
      ORDERFLOW_RANGE_BYTES: '8192',
    });
    db = await openStore(config, logger);
  });
  after(async () => {
    await db.close();
    await database.drop();
    await tmp.remove();
  });

  const land = async (day: number) => {
    const target = path.join(config.paths.incrementalRawDir, String(day + 1), `orders_${day}.csv`);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.copyFile(path.join(source, String(day), `orders_${day}.csv`), target);
  };
  const deps = () => ({ config, logger, db, redis: undefined });

  test('parts › a discover/commit pair whose lease was taken over commits nothing; the new run drops its staged parts', async () => {
    await land(0);
    const stale = await discoverIncrement(deps(), { dagRunId: 41 });
    stale.lock.detach();
    assert.ok(stale.plan.parts.length > 1, 'the file is read as several parts');
    for (const part of stale.plan.parts) await readIncrementPart(deps(), stale.plan.token, part, 'w1:1');
    assert.equal((await stagedParts(db, stale.plan.token)).length, stale.plan.parts.length);

    // The stale run is frozen past its lease; another run takes its claim over and plans the same file.
    await db.query("UPDATE ingest_leases SET expires_at = now() - interval '1 second' WHERE token = $1", [
      stale.plan.token,
    ]);
    await land(1);
    const fresh = await discoverIncrement(deps());
    assert.ok(fresh.plan.token > stale.plan.token);
    const abandoned = await partsOfToken(db, stale.plan.token);
    assert.ok(
      abandoned.every((p) => p.state === 'abandoned'),
      'the frozen run’s parts are abandoned',
    );
    assert.deepEqual(await stagedParts(db, stale.plan.token), [], 'and their staged partials dropped');
    const [{ n: payloads }] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM ingest_parts WHERE token = $1 AND payload IS NOT NULL',
      [stale.plan.token],
    );
    assert.equal(payloads, 0);

    // The frozen run wakes up: a worker still holding one of its parts does nothing, and its commit is fenced.
    const late = await readIncrementPart(deps(), stale.plan.token, stale.plan.parts[0], 'w1:1');
    assert.equal(late.outcome, 'abandoned');
    await assert.rejects(commitIncrement(deps(), stale.plan), LeaseLostError);
    const [{ n: files }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_files');
    assert.equal(files, 0, 'the stale run committed nothing');

    // The run that took over reads and commits both files, once.
    for (const part of fresh.plan.parts) await readIncrementPart(deps(), fresh.plan.token, part, 'w2:2');
    const committed = await commitIncrement(deps(), fresh.plan, fresh.lock);
    assert.equal(committed.filesAdded, 2);
    assert.ok(committed.files.length > 2, 'one record per part');
    assert.ok(committed.files.every((p) => p.state === 'committed' && p.worker === 'w2:2'));
    await assertMatchesFullAggregation(config, undefined, db);

    // A commit retried after its transaction went through commits nothing twice.
    const again = await commitIncrement(deps(), fresh.plan);
    assert.equal(again.status, 'committed');
    const [{ n: runs }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_runs');
    assert.equal(runs, 1);
    await assertMatchesFullAggregation(config, undefined, db);
    assert.equal((await runIncremental(deps())).status, 'up-to-date');
  });

  test('parts › the claims of a DAG run that ended between its tasks are taken over at once, not after its lease expires', async () => {
    await land(2);
    const failed = await discoverIncrement(deps(), { dagRunId: 7 });
    failed.lock.detach();
    assert.ok(failed.plan.parts.some((p) => p.path === '3/orders_2.csv'));
    // Its discover task ran on another machine (a process of this one would be recognised as gone).
    await db.query("UPDATE ingest_leases SET host = 'another-machine', pid = 1 WHERE token = $1", [
      failed.plan.token,
    ]);
    // Another DAG run: while the holder's run is active, its file waits for it; once it ended, it is taken over.
    const busy = await discoverIncrement(deps(), { dagRunId: 8, holderEnded: async () => false });
    assert.deepEqual(busy.plan.parts, []);
    assert.match(
      busy.plan.waiting.find((w) => w.path === '3/orders_2.csv')?.reason ?? '',
      new RegExp(`being read by another run \\(run ${failed.plan.token}\\)`),
    );
    await busy.lock.release();
    const asked: number[] = [];
    const next = await discoverIncrement(deps(), {
      dagRunId: 8,
      holderEnded: async (runId) => (asked.push(runId), true),
    });
    assert.deepEqual(asked, [7]);
    assert.ok(next.plan.parts.some((p) => p.path === '3/orders_2.csv'));
    await next.lock.release();
  });
});
