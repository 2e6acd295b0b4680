// The ledger's evaluation partials (tables ingest_holdout_files and ingest_holdout_partials, sql/0007) and their
// maintained totals (sql/0013, holdout-totals.ts): written in the ledger's commit transaction next to each file's
// partial aggregate, read as the incremental output's holdout file. Kept apart from ledger.ts: these tables belong
// to model evaluation, not to exactly-once counting.
import type { Db } from '../store/db.js';
import { BUCKETS } from './order-bucket.js';
import type { HoldoutCell, HoldoutPartial } from './holdout.js';
import {
  addFileToHoldoutState,
  addHoldoutCells,
  holdoutRows,
  packHoldoutCells,
  unpackHoldoutCells,
} from './holdout-totals.js';

/**
 * Records one committed file's evaluation partial (inside the ledger's commit transaction), packed in one row: a
 * real day file has ~22k holdout cells, and a row per cell made the commit the run's bottleneck (design notes
 * §5). Its cells reach the totals through `addHoldoutPartials`, once per commit. A file without one
 * (`undefined`) is counted, and the totals say they are incomplete.
 */
export async function insertHoldoutPartial(
  tx: Db,
  path: string,
  holdout: HoldoutPartial | undefined,
): Promise<void> {
  await addFileToHoldoutState(tx, holdout?.bucketOrders);
  if (!holdout) return;
  await tx.query(
    'INSERT INTO ingest_holdout_files (path, bucket_orders, partial_packed) VALUES ($1, $2::bigint[], $3)',
    [path, holdout.bucketOrders, packHoldoutCells(holdout.cells)],
  );
}

/** Adds the holdout cells of a commit's new files to the totals, summed first: one upsert per commit. */
export async function addHoldoutPartials(
  tx: Db,
  partials: readonly (HoldoutPartial | undefined)[],
): Promise<void> {
  const byCell = new Map<string, HoldoutCell>();
  for (const partial of partials)
    for (const c of partial?.cells ?? []) {
      const key = `${c.day}\u0000${c.hour}\u0000${c.category}`;
      const sum = byCell.get(key);
      if (!sum) byCell.set(key, { ...c, buckets: [...c.buckets] });
      else {
        c.buckets.forEach((n, b) => (sum.buckets[b] += n));
        sum.squares += c.squares;
      }
    }
  await addHoldoutCells(tx, [...byCell.values()], 1);
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
