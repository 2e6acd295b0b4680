// The ledger's evaluation partials (tables ingest_holdout_files and ingest_holdout_partials, sql/0007) and their
// maintained totals (sql/0013, holdout-totals.ts): written in the ledger's commit transaction next to each file's
// partial aggregate, read as the incremental output's holdout file. Kept apart from ledger.ts: these tables belong
// to model evaluation, not to exactly-once counting.
import type { Db } from '../store/db.js';
import { BUCKETS } from './order-bucket.js';
import type { HoldoutPartial } from './holdout.js';
import { addFileToHoldoutState, addHoldoutCells, holdoutRows, unpackHoldoutCells } from './holdout-totals.js';

/**
 * Records one committed file's evaluation partial and adds it to the totals (inside the ledger's commit
 * transaction). A file without one (`undefined`) is counted, and the totals say they are incomplete.
 */
export async function insertHoldoutPartial(
  tx: Db,
  path: string,
  holdout: HoldoutPartial | undefined,
): Promise<void> {
  await addFileToHoldoutState(tx, holdout?.bucketOrders);
  if (!holdout) return;
  await tx.query('INSERT INTO ingest_holdout_files (path, bucket_orders) VALUES ($1, $2::bigint[])', [
    path,
    holdout.bucketOrders,
  ]);
  if (holdout.cells.length === 0) return;
  // Arrays of arrays do not go through unnest as rows: the bucket items travel as one flat array, sliced per row.
  await tx.query(
    `INSERT INTO ingest_holdout_partials (path, day_of_week, hour_of_day, category, bucket_items, items_squared)
     SELECT $1, d, h, c, ($5::bigint[])[(i - 1) * ${BUCKETS} + 1 : i * ${BUCKETS}], sq
     FROM unnest($2::smallint[], $3::smallint[], $4::text[], $6::float8[]) WITH ORDINALITY AS t(d, h, c, sq, i)`,
    [
      path,
      holdout.cells.map((c) => c.day),
      holdout.cells.map((c) => c.hour),
      holdout.cells.map((c) => c.category),
      holdout.cells.flatMap((c) => c.buckets),
      holdout.cells.map((c) => c.squares),
    ],
  );
  await addHoldoutCells(tx, holdout.cells, 1);
}

/** The sum of every committed file's evaluation partial (maintained), and whether every committed file has one. */
export async function holdoutTotals(db: Db): Promise<{ holdout: HoldoutPartial; complete: boolean }> {
  const [state] = await db.query<{ bucket_orders: (string | number)[]; files_without_holdout: string }>(
    'SELECT bucket_orders, files_without_holdout::text FROM ingest_holdout_state WHERE id = 1',
  );
  // One column per bucket: scalars read faster than an array per row, and the output is rebuilt after every commit.
  const buckets = Array.from({ length: BUCKETS }, (_, b) => `bucket_items[${b + 1}] AS b${b}`);
  const rows = await db.query<Record<string, string | number>>(
    `SELECT day_of_week, hour_of_day, category, ${buckets.join(', ')}, items_squared FROM ingest_holdout_totals`,
  );
  const holdout: HoldoutPartial = {
    bucketOrders: state.bucket_orders.map(Number),
    cells: rows.map((r) => ({
      day: Number(r.day_of_week),
      hour: Number(r.hour_of_day),
      category: String(r.category),
      buckets: Array.from({ length: BUCKETS }, (_, b) => Number(r[`b${b}`])),
      squares: Number(r.items_squared),
    })),
  };
  return { holdout, complete: state.files_without_holdout === '0' };
}

/** One committed file's evaluation partial (rows or packed); undefined when it has none. */
export async function holdoutPartialOf(db: Db, path: string): Promise<HoldoutPartial | undefined> {
  const [file] = await db.query<{ bucket_orders: (string | number)[]; partial_packed: Uint8Array | null }>(
    'SELECT bucket_orders, partial_packed FROM ingest_holdout_files WHERE path = $1',
    [path],
  );
  if (!file) return undefined;
  const cells = file.partial_packed
    ? unpackHoldoutCells(file.partial_packed)
    : ((await holdoutRows(db, [path])).get(path) ?? []);
  return { bucketOrders: file.bucket_orders.map(Number), cells };
}
