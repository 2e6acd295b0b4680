// The incremental output's totals as the ledger maintains them (sql/0011): a commit adds the partials of the
// files it adds and subtracts those of the files it removes or replaces, so its cost follows the files that
// changed, not the history. Old files' per-cell partial rows are compacted into one packed row per file: the
// ledger stops growing by ~10k rows per file, and a later removal still subtracts exactly what was added.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Db } from '../store/db.js';
import type { Cell } from './cells.js';

/** Files whose partials stay as rows (the ones most likely to be replaced soon). @defaultValue 200 */
export const UNPACKED_FILES = 200;
/** At most this many files are packed after one commit, so compaction never makes one run slow. */
const PACK_PER_RUN = 200;

interface Packed {
  categories: string[];
  /** day, hour, category index, items — repeated. */
  cells: number[];
}

export function packCells(cells: Cell[]): Buffer {
  const categories = [...new Set(cells.map((c) => c.category))];
  const index = new Map(categories.map((c, i) => [c, i]));
  const flat = cells.flatMap((c) => [c.day, c.hour, index.get(c.category)!, c.items]);
  return gzipSync(JSON.stringify({ categories, cells: flat } satisfies Packed));
}

export function unpackCells(bytes: Uint8Array): Cell[] {
  const packed = JSON.parse(gunzipSync(bytes).toString('utf8')) as Packed;
  const cells: Cell[] = [];
  for (let i = 0; i < packed.cells.length; i += 4) {
    const [day, hour, category, items] = packed.cells.slice(i, i + 4);
    cells.push({ day, hour, category: packed.categories[category], items });
  }
  return cells;
}

/** Adds `sign` × cells to the totals. */
async function addToTotals(tx: Db, cells: Cell[], sign: 1 | -1): Promise<void> {
  if (cells.length === 0) return;
  await tx.query(
    `INSERT INTO ingest_totals (day_of_week, hour_of_day, category, items_count)
     SELECT d, h, c, sum(n) FROM unnest($1::smallint[], $2::smallint[], $3::text[], $4::bigint[]) AS t(d, h, c, n)
     GROUP BY d, h, c
     ON CONFLICT (day_of_week, hour_of_day, category)
     DO UPDATE SET items_count = ingest_totals.items_count + EXCLUDED.items_count`,
    [
      cells.map((c) => c.day),
      cells.map((c) => c.hour),
      cells.map((c) => c.category),
      cells.map((c) => sign * c.items),
    ],
  );
}

/** Subtracts the committed partials of `paths` (rows or packed) from the totals; call before deleting them. */
export async function subtractFiles(tx: Db, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  await tx.query(
    `INSERT INTO ingest_totals (day_of_week, hour_of_day, category, items_count)
     SELECT day_of_week, hour_of_day, category, -sum(items_count) FROM ingest_partials
     WHERE path = ANY($1::text[]) GROUP BY day_of_week, hour_of_day, category
     ON CONFLICT (day_of_week, hour_of_day, category)
     DO UPDATE SET items_count = ingest_totals.items_count + EXCLUDED.items_count`,
    [paths],
  );
  const packed = await tx.query<{ partial_packed: Uint8Array }>(
    'SELECT partial_packed FROM ingest_files WHERE path = ANY($1::text[]) AND partial_packed IS NOT NULL',
    [paths],
  );
  await addToTotals(
    tx,
    packed.flatMap((r) => unpackCells(r.partial_packed)),
    -1,
  );
}

/** Adds a new file's partial to the totals (its rows are inserted by the ledger). */
export async function addFile(tx: Db, cells: Cell[]): Promise<void> {
  await addToTotals(tx, cells, 1);
}

/** Drops cells whose total came back to zero (every file that had items there left). */
export async function pruneTotals(tx: Db): Promise<void> {
  await tx.query('DELETE FROM ingest_totals WHERE items_count = 0');
}

export async function readTotals(db: Db): Promise<Cell[]> {
  const rows = await db.query<{
    day_of_week: number;
    hour_of_day: number;
    category: string;
    items_count: number;
  }>('SELECT day_of_week, hour_of_day, category, items_count FROM ingest_totals');
  return rows.map((r) => ({
    day: Number(r.day_of_week),
    hour: Number(r.hour_of_day),
    category: r.category,
    items: Number(r.items_count),
  }));
}

/** The partial rows (not the packed partials) of each of `paths`, as cells; an entry for every path. */
export async function partialRows(db: Db, paths: readonly string[]): Promise<Map<string, Cell[]>> {
  const rows = await db.query<{
    path: string;
    day_of_week: number;
    hour_of_day: number;
    category: string;
    items_count: number;
  }>(
    'SELECT path, day_of_week, hour_of_day, category, items_count FROM ingest_partials WHERE path = ANY($1::text[])',
    [paths],
  );
  const byPath = new Map<string, Cell[]>(paths.map((p) => [p, []]));
  for (const r of rows) {
    byPath.get(r.path)!.push({
      day: Number(r.day_of_week),
      hour: Number(r.hour_of_day),
      category: r.category,
      items: Number(r.items_count),
    });
  }
  return byPath;
}

/**
 * Packs the partial rows of files older than the newest `keep` (by commit) into one row each, a bounded
 * number per call. Returns how many files it packed. Runs inside the fenced commit transaction: a packing
 * beside another run's commit could let that commit subtract a file twice (rows, then packed).
 */
export async function compactPartials(tx: Db, keep = UNPACKED_FILES): Promise<number> {
  {
    const old = await tx.query<{ path: string }>(
      `SELECT path FROM ingest_files WHERE partial_packed IS NULL
       ORDER BY run_id DESC, path OFFSET $1 LIMIT $2`,
      [keep, PACK_PER_RUN],
    );
    if (old.length === 0) return 0;
    const paths = old.map((r) => r.path);
    const byPath = await partialRows(tx, paths);
    for (const [path, cells] of byPath) {
      await tx.query('UPDATE ingest_files SET partial_packed = $2 WHERE path = $1', [path, packCells(cells)]);
    }
    await tx.query('DELETE FROM ingest_partials WHERE path = ANY($1::text[])', [paths]);
    return paths.length;
  }
}
