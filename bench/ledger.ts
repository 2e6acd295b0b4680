// npm run bench:ledger — does a commit stay cheap as history grows, and what does the reader's fold cost? Stages
// synthetic files (one part each, packed totals over 134 categories as the workers stage them; ~150 non-zero
// cells) and commits them into a fresh PostgreSQL database, 10 files per commit, up to 100, 1,000 and 10,000
// files. At each size it times the last 15 one-file commits (the ledger transaction only: staging is the
// worker's), the fold a reader runs after each of them (snapshot + the queued change), and prints the ledger's
// size after VACUUM FULL. A commit appends (a file row, a content claim, a queue entry); it never touches cells.
//
//   BENCH_LEDGER_SIZES=100,1000,10000  BENCH_LEDGER_CELLS=150  npm run bench:ledger
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { loadConfig } from '../src/base/config.js';
import { createLogger } from '../src/base/log.js';
import { Ledger } from '../src/ingest/ledger/ledger.js';
import type { FileCommit } from '../src/ingest/ledger/ledger-commit.js';
import { foldTotals, type KeyedTotals } from '../src/ingest/ledger/ledger-totals.js';
import { BUCKETS } from '../src/ingest/read/order-bucket.js';
import { emptyTotals } from '../src/ingest/read/sum-scan.js';
import type { Db } from '../src/store/db.js';
import { openStore } from '../src/store/open.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { random, stageFile } from '../test/ingest/random-files.js';
import { median, record } from './util.js';
import { DAYS, HOURS } from '../src/base/cell.js';

const SIZES = (process.env.BENCH_LEDGER_SIZES ?? '100,1000,10000').split(',').map(Number);
const CELLS = Number(process.env.BENCH_LEDGER_CELLS ?? 150);
const PER_COMMIT = 10;
const SAMPLES = 15;
const CATEGORIES = Array.from({ length: 134 }, (_, i) => `aisle ${i}`);
const noFence = { fence: async () => {} };

/** A file's totals as a worker stages them: all 134 columns, `CELLS` non-zero cells, one order per cell. */
function fileTotals(n: number): KeyedTotals {
  const next = random(n * 2654435761);
  const width = CATEGORIES.length;
  const t = emptyTotals(width);
  for (let i = 0; i < CELLS; i++) {
    const slot = Math.floor(next() * DAYS * HOURS);
    const at = slot * width + Math.floor(next() * width);
    const bucket = i % BUCKETS;
    const items = 1 + Math.floor(next() * 9);
    t.orders[slot]++;
    t.bucketOrders[bucket * DAYS * HOURS + slot]++;
    t.items[at] += items;
    t.squares[at] += items * items;
    t.bucketItems[bucket * DAYS * HOURS * width + at] += items;
  }
  return { categories: CATEGORIES, totals: t };
}

let token = 0;

/** Stages `count` files under a new run and returns the run's commit (not timed: the workers' side). */
async function stageRun(db: Db, first: number, count: number) {
  token += 1;
  const files: FileCommit[] = [];
  for (let n = first; n < first + count; n++)
    files.push((await stageFile(db, token, `${n % 100}/file-${n}.csv`, [fileTotals(n)])).commit);
  return {
    token,
    startedAt: new Date(),
    files,
    removed: [],
    skipped: [],
    vanishedSkipped: [],
    allowDuplicates: false,
  };
}

async function ledgerSize(db: Db): Promise<{ mb: number; queued: number }> {
  const tables = [
    'ingest_files',
    'ingest_parts',
    'ingest_contents',
    'ingest_fold_queue',
    'ingest_totals_snapshot',
  ];
  await db.query(`VACUUM FULL ${tables.join(', ')}`);
  const [r] = await db.query<{ bytes: string; queued: number }>(
    `SELECT (${tables.map((t) => `pg_total_relation_size('${t}')`).join(' + ')})::bigint AS bytes,
       (SELECT count(*) FROM ingest_fold_queue)::int AS queued`,
  );
  return { mb: Number(r.bytes) / 2 ** 20, queued: r.queued };
}

async function measure(): Promise<Record<string, string>> {
  const database = await createTestDatabase();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-ledger-'));
  const db = await openStore(
    loadConfig({ DATA_DIR: work, DATABASE_URL: database.url }),
    createLogger('silent'),
  );
  const ledger = new Ledger(db);
  const figures: Record<string, string> = {};
  let n = 0;
  try {
    for (const size of SIZES) {
      while (n < size - SAMPLES) {
        const count = Math.min(PER_COMMIT, size - SAMPLES - n);
        await ledger.commit(await stageRun(db, n, count), noFence);
        n += count;
      }
      // The readers of a busy ledger fold often; start the samples from a folded snapshot, as they would.
      await foldTotals(db);
      const commitMs: number[] = [];
      const foldMs: number[] = [];
      while (n < size) {
        const run = await stageRun(db, n++, 1);
        const started = performance.now();
        await ledger.commit(run, noFence);
        commitMs.push(performance.now() - started);
        const foldStarted = performance.now();
        await foldTotals(db);
        foldMs.push(performance.now() - foldStarted);
      }
      const { mb } = await ledgerSize(db);
      const line =
        `one-file commit ${median(commitMs).toFixed(1)} ms, fold after it ${median(foldMs).toFixed(1)} ms, ` +
        `ledger ${mb.toFixed(1)} MB`;
      console.log(`${size} files: ${line}`);
      figures[`${size} files: appending commit, reader's fold`] = line;
    }
  } finally {
    await db.close();
    await database.drop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return figures;
}

const figures = await measure();
figures.setup =
  `synthetic files (one staged part each, packed totals over 134 categories, ${CELLS} non-zero cells), committed ` +
  `${PER_COMMIT} per commit into a fresh PostgreSQL database; medians of the last ${SAMPLES} one-file commits at ` +
  'each size, and of the fold run after each';
record('ledger', 'npm run bench:ledger', figures);
