// The ingestion ledger in the metadata store: committed files with their hash and partial aggregate.
// A commit replaces the partials of changed files, removes vanished files and bumps the generation, all in
// one transaction: after it, the ledger alone says what the incremental output must be.
import type { Db } from '../store/db.js';
import type { BadRow } from '../data/order-rows.js';
import type { Cell } from './cells.js';

export interface LedgerFile {
  path: string;
  batch: string;
  sha256: string;
  size_bytes: number;
  mtime_ms: number;
}

export interface FileCommit {
  path: string;
  batch: string;
  sha256: string;
  size: number;
  mtimeMs: number;
  orders: number;
  items: number;
  cells: Cell[];
  badRows: BadRow[];
  quarantinePath: string | undefined;
  /** True when the file was in the ledger with another hash. */
  replaces: boolean;
}

export interface CommitResult {
  runId: number;
  generation: number;
}

export class Ledger {
  constructor(private readonly db: Db) {}

  async files(): Promise<LedgerFile[]> {
    return this.db.query<LedgerFile>(
      'SELECT path, batch, sha256, size_bytes, mtime_ms FROM ingest_files ORDER BY path',
    );
  }

  async generation(): Promise<number> {
    const [row] = await this.db.query<{ generation: number }>(
      'SELECT generation FROM ingest_state WHERE id = 1',
    );
    return Number(row.generation);
  }

  /** Records that a file's mtime changed but its content did not (so it is not hashed again). */
  async touch(path: string, mtimeMs: number): Promise<void> {
    await this.db.query('UPDATE ingest_files SET mtime_ms = $2 WHERE path = $1', [path, mtimeMs]);
  }

  /** The committed partial aggregate of each of `paths` (a reprocess compares a fresh read with it). */
  async partials(paths: readonly string[]): Promise<Map<string, Cell[]>> {
    const rows = await this.db.query<{
      path: string;
      day_of_week: number;
      hour_of_day: number;
      category: string;
      items_count: number;
    }>(
      `SELECT path, day_of_week, hour_of_day, category, items_count FROM ingest_partials
       WHERE path = ANY($1::text[])`,
      [paths],
    );
    const byPath = new Map<string, Cell[]>(paths.map((p) => [p, []]));
    for (const r of rows) {
      byPath.get(r.path)?.push({
        day: Number(r.day_of_week),
        hour: Number(r.hour_of_day),
        category: r.category,
        items: Number(r.items_count),
      });
    }
    return byPath;
  }

  /**
   * Forgets committed files (with their partials and bad rows), so the next incremental run reads them again as
   * new: a reprocess. The caller holds the incremental run lock, so no run is between reading and committing.
   */
  async forget(paths: readonly string[]): Promise<string[]> {
    const rows = await this.db.query<{ path: string }>(
      'DELETE FROM ingest_files WHERE path = ANY($1::text[]) RETURNING path',
      [paths],
    );
    return rows.map((r) => r.path);
  }

  async commit(startedAt: Date, files: FileCommit[], removed: string[]): Promise<CommitResult> {
    return this.db.transaction(async (tx) => {
      const [run] = await tx.query<{ id: number }>(
        `INSERT INTO ingest_runs (started_at, files_added, files_replaced, files_removed, orders, items, bad_rows)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [
          startedAt.toISOString(),
          files.filter((f) => !f.replaces).length,
          files.filter((f) => f.replaces).length,
          removed.length,
          files.reduce((n, f) => n + f.orders, 0),
          files.reduce((n, f) => n + f.items, 0),
          files.reduce((n, f) => n + f.badRows.length, 0),
        ],
      );
      const runId = Number(run.id);
      const gone = [...removed, ...files.filter((f) => f.replaces).map((f) => f.path)];
      if (gone.length > 0) await tx.query('DELETE FROM ingest_files WHERE path = ANY($1::text[])', [gone]);
      for (const file of files) {
        await tx.query(
          `INSERT INTO ingest_files (path, batch, sha256, size_bytes, mtime_ms, orders, items, bad_rows, quarantine_path, run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            file.path,
            file.batch,
            file.sha256,
            file.size,
            file.mtimeMs,
            file.orders,
            file.items,
            file.badRows.length,
            file.quarantinePath ?? null,
            runId,
          ],
        );
        if (file.cells.length > 0) {
          await tx.query(
            `INSERT INTO ingest_partials (path, day_of_week, hour_of_day, category, items_count)
             SELECT $1, * FROM unnest($2::smallint[], $3::smallint[], $4::text[], $5::bigint[])`,
            [
              file.path,
              file.cells.map((c) => c.day),
              file.cells.map((c) => c.hour),
              file.cells.map((c) => c.category),
              file.cells.map((c) => c.items),
            ],
          );
        }
        if (file.badRows.length > 0) {
          await tx.query(
            `INSERT INTO ingest_bad_rows (path, line, reason, raw) SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[])`,
            [
              file.path,
              file.badRows.map((r) => r.line),
              file.badRows.map((r) => r.reason),
              file.badRows.map((r) => r.raw),
            ],
          );
        }
      }
      const [state] = await tx.query<{ generation: number }>(
        'UPDATE ingest_state SET generation = generation + 1 WHERE id = 1 RETURNING generation',
      );
      return { runId, generation: Number(state.generation) };
    });
  }

  /** The sum of all committed partials: what the incremental output must contain. */
  async totals(): Promise<Cell[]> {
    const rows = await this.db.query<{
      day_of_week: number;
      hour_of_day: number;
      category: string;
      items: number;
    }>(
      `SELECT day_of_week, hour_of_day, category, sum(items_count)::bigint AS items
       FROM ingest_partials GROUP BY day_of_week, hour_of_day, category`,
    );
    return rows.map((r) => ({
      day: Number(r.day_of_week),
      hour: Number(r.hour_of_day),
      category: r.category,
      items: Number(r.items),
    }));
  }

  /** Batches with at least one committed file: the content of Redis' processed_days. */
  async committedBatches(): Promise<string[]> {
    const rows = await this.db.query<{ batch: string }>('SELECT DISTINCT batch FROM ingest_files');
    return rows.map((r) => r.batch);
  }
}
