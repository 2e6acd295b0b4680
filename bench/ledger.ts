// npm run bench:ledger — does a commit stay cheap as history grows? Commits small files (scripted: synthetic
// partials and holdout partials straight into the ledger, 10 files per commit, no scheduler) up to 100, 1,000
// and 10,000 files on the local PostgreSQL, and at each size prints the median time of a one-file commit, of
// reading the output's totals and its holdout totals (the output rebuild's reads), and the ledger's partial and
// holdout rows and size (after VACUUM FULL). Side by side, in the same run: the maintained totals with packing
// (what orderflow does) and the former way — every partial also kept as one row per cell (as commits stored
// them before they packed them at once) and summed for each output.
//
//   BENCH_LEDGER_SIZES=100,1000,10000  BENCH_LEDGER_CELLS=150  npm run bench:ledger
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import type { Cell } from '../src/processing/cells.js';
import type { HoldoutPartial } from '../src/processing/holdout.js';
import { holdoutTotals } from '../src/processing/holdout-ledger.js';
import { Ledger, type FileCommit } from '../src/processing/ledger.js';
import type { Db } from '../src/store/db.js';
import { openStore } from '../src/store/open.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { median, record } from './util.js';

const SIZES = (process.env.BENCH_LEDGER_SIZES ?? '100,1000,10000').split(',').map(Number);
const CELLS = Number(process.env.BENCH_LEDGER_CELLS ?? 150);
const PER_COMMIT = 10;
const SAMPLES = 15;
const CATEGORIES = Array.from({ length: 134 }, (_, i) => `aisle ${i}`);
const noFence = { fence: async () => {} };

function smallFile(n: number): FileCommit {
  const cells = new Map<string, Cell>();
  let s = n * 2654435761;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  while (cells.size < CELLS) {
    const cell = {
      day: Math.floor(next() * 7),
      hour: Math.floor(next() * 24),
      category: CATEGORIES[Math.floor(next() * 134)],
      items: 1 + Math.floor(next() * 9),
    };
    cells.set(`${cell.day}|${cell.hour}|${cell.category}`, cell);
  }
  const list = [...cells.values()];
  const items = list.reduce((t, c) => t + c.items, 0);
  // All of a cell's items in one bucket (the cell's own), one order per cell.
  const holdout: HoldoutPartial = { bucketOrders: [0, 0, 0, 0, 0], cells: [] };
  list.forEach((c, i) => {
    const buckets = [0, 0, 0, 0, 0];
    buckets[i % 5] = c.items;
    holdout.bucketOrders[i % 5]++;
    holdout.cells.push({ day: c.day, hour: c.hour, category: c.category, buckets, squares: c.items ** 2 });
  });
  return {
    path: `${n % 100}/file-${n}.csv`,
    batch: String(n % 100),
    sha256: `sha-${n}`,
    stat: { size: items, mtimeMs: n, ctimeMs: n, inode: String(n) },
    orders: CELLS,
    items,
    cells: list,
    holdout,
    badRows: [],
    quarantinePath: undefined,
    replaces: false,
  };
}

async function ledgerRows(db: Db) {
  // Deleted (packed) rows stay in the files until vacuumed; VACUUM FULL shows the space the data needs.
  const tables = [
    'ingest_partials',
    'ingest_files',
    'ingest_totals',
    'ingest_holdout_partials',
    'ingest_holdout_files',
    'ingest_holdout_totals',
  ];
  await db.query(`VACUUM FULL ${tables.join(', ')}`);
  const [r] = await db.query<{ partials: number; holdouts: number; bytes: number }>(
    `SELECT (SELECT count(*) FROM ingest_partials)::int AS partials,
       (SELECT count(*) FROM ingest_holdout_partials)::int AS holdouts,
       (${tables.map((t) => `pg_total_relation_size('${t}')`).join(' + ')})::bigint AS bytes`,
  );
  return { partials: r.partials, holdouts: r.holdouts, mb: Number(r.bytes) / 2 ** 20 };
}

/** The former output read: every committed partial summed. */
const SUM_EVERY_PARTIAL = `SELECT day_of_week, hour_of_day, category, sum(items_count)::bigint AS items
  FROM ingest_partials GROUP BY day_of_week, hour_of_day, category`;

/** The former holdout read: every committed holdout partial summed (and every file's bucket orders). */
async function sumEveryHoldoutPartial(db: Db): Promise<void> {
  await db.query('SELECT bucket_orders FROM ingest_holdout_files');
  const sums = [1, 2, 3, 4, 5].map((b) => `sum(bucket_items[${b}])::bigint AS b${b}`).join(', ');
  await db.query(
    `SELECT day_of_week, hour_of_day, category, ${sums}, sum(items_squared) AS sq
     FROM ingest_holdout_partials GROUP BY day_of_week, hour_of_day, category`,
  );
}

/**
 * The former storage: every file's partial and holdout partial as one row per cell (the commit now packs them
 * in one row each). Written after each commit in the former mode and timed with it, as it was part of it.
 */
async function storeRowsTheFormerWay(db: Db, files: FileCommit[]): Promise<void> {
  for (const f of files) {
    await db.query(
      `INSERT INTO ingest_partials (path, day_of_week, hour_of_day, category, items_count)
       SELECT $1, * FROM unnest($2::smallint[], $3::smallint[], $4::text[], $5::bigint[])`,
      [
        f.path,
        f.cells.map((c) => c.day),
        f.cells.map((c) => c.hour),
        f.cells.map((c) => c.category),
        f.cells.map((c) => c.items),
      ],
    );
    const h = f.holdout!.cells;
    await db.query(
      `INSERT INTO ingest_holdout_partials (path, day_of_week, hour_of_day, category, bucket_items, items_squared)
       SELECT $1, d, h, c, ($5::bigint[])[(i - 1) * 5 + 1 : i * 5], sq
       FROM unnest($2::smallint[], $3::smallint[], $4::text[], $6::float8[]) WITH ORDINALITY AS t(d, h, c, sq, i)`,
      [
        f.path,
        h.map((c) => c.day),
        h.map((c) => c.hour),
        h.map((c) => c.category),
        h.flatMap((c) => c.buckets),
        h.map((c) => c.squares),
      ],
    );
  }
}

async function measure(mode: 'maintained' | 'former') {
  const database = await createTestDatabase();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-ledger-'));
  const db = await openStore(
    loadConfig({ DATA_DIR: work, DATABASE_URL: database.url }),
    createLogger('silent'),
  );
  // The former way never packed: every file's partial stays as rows (storeRowsTheFormerWay).
  const ledger = new Ledger(db, mode === 'former' ? Number.MAX_SAFE_INTEGER : undefined);
  const rows: string[] = [];
  let n = 0;
  try {
    for (const size of SIZES) {
      while (n < size - SAMPLES) {
        const files = Array.from({ length: Math.min(PER_COMMIT, size - SAMPLES - n) }, () => smallFile(n++));
        await ledger.commit(new Date(), { files, removed: [], skipped: [], unskipped: [] }, noFence);
        if (mode === 'former') await storeRowsTheFormerWay(db, files);
      }
      const commitMs: number[] = [];
      const readMs: number[] = [];
      const holdoutMs: number[] = [];
      while (n < size) {
        const started = performance.now();
        const files = [smallFile(n++)];
        await ledger.commit(new Date(), { files, removed: [], skipped: [], unskipped: [] }, noFence);
        if (mode === 'former') await storeRowsTheFormerWay(db, files);
        commitMs.push(performance.now() - started);
        const readStarted = performance.now();
        if (mode === 'former') await db.query(SUM_EVERY_PARTIAL);
        else await ledger.totals();
        readMs.push(performance.now() - readStarted);
        const holdoutStarted = performance.now();
        if (mode === 'former') await sumEveryHoldoutPartial(db);
        else await holdoutTotals(db);
        holdoutMs.push(performance.now() - holdoutStarted);
      }
      const r = await ledgerRows(db);
      const line =
        `${size} files: one-file commit ${median(commitMs).toFixed(1)} ms, output totals read ${median(readMs).toFixed(1)} ms, ` +
        `holdout totals read ${median(holdoutMs).toFixed(1)} ms, ${r.partials.toLocaleString('en-US')} partial rows, ` +
        `${r.holdouts.toLocaleString('en-US')} holdout rows, ${r.mb.toFixed(1)} MB`;
      console.log(`${mode}: ${line}`);
      rows.push(line);
    }
  } finally {
    await db.close();
    await database.drop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

const figures: Record<string, string> = {
  setup: `synthetic files of ${CELLS} cells each (with a holdout partial of as many cells), committed ${PER_COMMIT} per commit into a fresh PostgreSQL database; medians of the last ${SAMPLES} one-file commits at each size`,
};
const maintained = await measure('maintained');
const former = await measure('former');
SIZES.forEach((size, i) => {
  figures[`${size} files: maintained totals, old partials packed`] = maintained[i].replace(
    /^\d+ files: /,
    '',
  );
  figures[`${size} files: former (every partial kept and summed)`] = former[i].replace(/^\d+ files: /, '');
});
record('ledger', 'npm run bench:ledger', figures);
