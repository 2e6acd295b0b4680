// The ledger's evaluation partials (tables ingest_holdout_files and ingest_holdout_partials, sql/0007): written in
// the ledger's commit transaction next to each file's partial aggregate, summed into the incremental output's
// holdout file. Kept apart from ledger.ts: these tables belong to model evaluation, not to exactly-once counting.
import type { Db } from '../store/db.js';
import { BUCKETS } from './order-bucket.js';
import { emptyHoldout, type HoldoutPartial } from './holdout.js';

/** Records one committed file's evaluation partial (inside the ledger's commit transaction). */
export async function insertHoldoutPartial(tx: Db, path: string, holdout: HoldoutPartial): Promise<void> {
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
}

/** The sum of every committed file's evaluation partial, and whether every committed file has one. */
export async function holdoutTotals(db: Db): Promise<{ holdout: HoldoutPartial; complete: boolean }> {
  const holdout = emptyHoldout();
  const [counts] = await db.query<{ files: string; with_holdout: string }>(
    `SELECT (SELECT count(*) FROM ingest_files)::text AS files,
            (SELECT count(*) FROM ingest_holdout_files)::text AS with_holdout`,
  );
  const orders = await db.query<{ bucket_orders: (string | number)[] }>(
    'SELECT bucket_orders FROM ingest_holdout_files',
  );
  for (const row of orders) row.bucket_orders.forEach((n, b) => (holdout.bucketOrders[b] += Number(n)));
  const sums = Array.from({ length: BUCKETS }, (_, b) => `sum(bucket_items[${b + 1}])::bigint AS b${b}`);
  const rows = await db.query<Record<string, string | number>>(
    `SELECT day_of_week, hour_of_day, category, ${sums.join(', ')}, sum(items_squared) AS sq
     FROM ingest_holdout_partials GROUP BY day_of_week, hour_of_day, category`,
  );
  holdout.cells = rows.map((r) => ({
    day: Number(r.day_of_week),
    hour: Number(r.hour_of_day),
    category: String(r.category),
    buckets: Array.from({ length: BUCKETS }, (_, b) => Number(r[`b${b}`])),
    squares: Number(r.sq),
  }));
  return { holdout, complete: counts.files === counts.with_holdout };
}
