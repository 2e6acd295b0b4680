// The incremental output's evaluation totals as the ledger maintains them (sql/0013), the holdout twin of
// ledger-totals.ts: a commit adds the holdout partials of the files it adds and subtracts those of the files it
// removes or replaces, so reading the totals costs the cells, not the history. Old files' per-cell holdout rows
// are packed into one value per file, so a later removal still subtracts exactly what was added.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Db } from '../store/db.js';
import type { HoldoutCell } from './holdout.js';
import { BUCKETS } from './order-bucket.js';

/** At most this many files' holdout partials are packed after one commit (as in ledger-totals.ts). */
const PACK_PER_RUN = 200;
/** Numbers per packed cell: day, hour, category index, the items of each bucket, squares. */
const WIDTH = 3 + BUCKETS + 1;

interface Packed {
  categories: string[];
  cells: number[];
}

export function packHoldoutCells(cells: HoldoutCell[]): Buffer {
  const categories = [...new Set(cells.map((c) => c.category))];
  const index = new Map(categories.map((c, i) => [c, i]));
  const flat = cells.flatMap((c) => [c.day, c.hour, index.get(c.category)!, ...c.buckets, c.squares]);
  return gzipSync(JSON.stringify({ categories, cells: flat } satisfies Packed));
}

export function unpackHoldoutCells(bytes: Uint8Array): HoldoutCell[] {
  const packed = JSON.parse(gunzipSync(bytes).toString('utf8')) as Packed;
  const cells: HoldoutCell[] = [];
  for (let i = 0; i < packed.cells.length; i += WIDTH) {
    const [day, hour, category, ...rest] = packed.cells.slice(i, i + WIDTH);
    cells.push({
      day,
      hour,
      category: packed.categories[category],
      buckets: rest.slice(0, BUCKETS),
      squares: rest[BUCKETS],
    });
  }
  return cells;
}

/** `ARRAY[f(1), …, f(BUCKETS)]::bigint[]` (SQL arrays are 1-based). */
const bucketArray = (f: (i: number) => string): string =>
  `ARRAY[${Array.from({ length: BUCKETS }, (_, b) => f(b + 1)).join(', ')}]::bigint[]`;

const ADD_ON_CONFLICT = `ON CONFLICT (day_of_week, hour_of_day, category) DO UPDATE SET
  bucket_items = ${bucketArray((i) => `ingest_holdout_totals.bucket_items[${i}] + EXCLUDED.bucket_items[${i}]`)},
  items_squared = ingest_holdout_totals.items_squared + EXCLUDED.items_squared`;

/** Adds `sign` × cells to the cell totals. */
export async function addHoldoutCells(tx: Db, cells: HoldoutCell[], sign: 1 | -1): Promise<void> {
  if (cells.length === 0) return;
  // The bucket items travel as one flat array, sliced per cell (arrays of arrays do not unnest as rows).
  await tx.query(
    `INSERT INTO ingest_holdout_totals (day_of_week, hour_of_day, category, bucket_items, items_squared)
     SELECT d, h, c, ${bucketArray((b) => `sum(($4::bigint[])[(i - 1) * ${BUCKETS} + ${b}])`)}, sum(sq)
     FROM unnest($1::smallint[], $2::smallint[], $3::text[], $5::float8[]) WITH ORDINALITY AS t(d, h, c, sq, i)
     GROUP BY d, h, c
     ${ADD_ON_CONFLICT}`,
    [
      cells.map((c) => c.day),
      cells.map((c) => c.hour),
      cells.map((c) => c.category),
      cells.flatMap((c) => c.buckets.map((n) => sign * n)),
      cells.map((c) => sign * c.squares),
    ],
  );
}

/** Adds one new file to the bucket orders; a file without a holdout partial makes the totals incomplete. */
export async function addFileToHoldoutState(tx: Db, bucketOrders: number[] | undefined): Promise<void> {
  await tx.query(
    `UPDATE ingest_holdout_state SET bucket_orders = ${bucketArray((b) => `bucket_orders[${b}] + ($1::bigint[])[${b}]`)},
       files_without_holdout = files_without_holdout + $2 WHERE id = 1`,
    [bucketOrders ?? new Array<number>(BUCKETS).fill(0), bucketOrders ? 0 : 1],
  );
}

/**
 * Subtracts the committed holdout partials of `paths` (rows or packed) and their bucket orders from the totals,
 * then drops the cells that came back to zero. Call before deleting the files.
 */
export async function subtractHoldoutFiles(tx: Db, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  await tx.query(
    `UPDATE ingest_holdout_state s SET
       bucket_orders = ${bucketArray((b) => `s.bucket_orders[${b}] - g.b${b}`)},
       files_without_holdout = s.files_without_holdout - g.without
     FROM (SELECT ${Array.from({ length: BUCKETS }, (_, b) => `coalesce(sum(h.bucket_orders[${b + 1}]), 0) AS b${b + 1}`).join(', ')},
             count(*) FILTER (WHERE h.path IS NULL) AS without
           FROM ingest_files f LEFT JOIN ingest_holdout_files h ON h.path = f.path
           WHERE f.path = ANY($1::text[])) g
     WHERE s.id = 1`,
    [paths],
  );
  await tx.query(
    `INSERT INTO ingest_holdout_totals (day_of_week, hour_of_day, category, bucket_items, items_squared)
     SELECT day_of_week, hour_of_day, category, ${bucketArray((b) => `-sum(bucket_items[${b}])`)}, -sum(items_squared)
     FROM ingest_holdout_partials WHERE path = ANY($1::text[]) GROUP BY day_of_week, hour_of_day, category
     ${ADD_ON_CONFLICT}`,
    [paths],
  );
  const packed = await tx.query<{ partial_packed: Uint8Array }>(
    'SELECT partial_packed FROM ingest_holdout_files WHERE path = ANY($1::text[]) AND partial_packed IS NOT NULL',
    [paths],
  );
  await addHoldoutCells(
    tx,
    packed.flatMap((r) => unpackHoldoutCells(r.partial_packed)),
    -1,
  );
  // Items are whole numbers and exact: a cell whose items are all zero again has no order left (its squares,
  // a double, are zero too as long as the sums stay below 2^53).
  await tx.query(`DELETE FROM ingest_holdout_totals WHERE bucket_items = ${bucketArray(() => '0')}`);
}

/** The holdout rows (not the packed partials) of each of `paths`, as cells; an entry for every path. */
export async function holdoutRows(db: Db, paths: readonly string[]): Promise<Map<string, HoldoutCell[]>> {
  const rows = await db.query<{
    path: string;
    day_of_week: number;
    hour_of_day: number;
    category: string;
    bucket_items: (string | number)[];
    items_squared: string | number;
  }>(
    `SELECT path, day_of_week, hour_of_day, category, bucket_items, items_squared
     FROM ingest_holdout_partials WHERE path = ANY($1::text[])`,
    [paths],
  );
  const byPath = new Map<string, HoldoutCell[]>(paths.map((p) => [p, []]));
  for (const r of rows) {
    byPath.get(r.path)!.push({
      day: Number(r.day_of_week),
      hour: Number(r.hour_of_day),
      category: r.category,
      buckets: r.bucket_items.map(Number),
      squares: Number(r.items_squared),
    });
  }
  return byPath;
}

/**
 * Packs the holdout rows of files older than the newest `keep` (by commit) into one value each, a bounded number
 * per call, on the policy of compactPartials (and inside the same fenced commit transaction, for the same
 * reason: a packing beside another run's commit could let it subtract a file twice). Returns how many it packed.
 */
export async function compactHoldoutPartials(tx: Db, keep: number): Promise<number> {
  const old = await tx.query<{ path: string }>(
    `SELECT h.path FROM ingest_holdout_files h JOIN ingest_files f ON f.path = h.path
     WHERE h.partial_packed IS NULL ORDER BY f.run_id DESC, h.path OFFSET $1 LIMIT $2`,
    [keep, PACK_PER_RUN],
  );
  if (old.length === 0) return 0;
  const paths = old.map((r) => r.path);
  for (const [path, cells] of await holdoutRows(tx, paths)) {
    await tx.query('UPDATE ingest_holdout_files SET partial_packed = $2 WHERE path = $1', [
      path,
      packHoldoutCells(cells),
    ]);
  }
  await tx.query('DELETE FROM ingest_holdout_partials WHERE path = ANY($1::text[])', [paths]);
  return paths.length;
}
