// The ingestion ledger in the metadata store: committed files with their hash and partial aggregate, and
// the files read but not counted (rejected, duplicate). A commit replaces the partials of changed files,
// removes vanished files, records skipped ones and bumps the generation, all in one transaction that first
// checks the run's lease (fencing): after it, the ledger alone says what the incremental output must be.
import type { Db } from '../store/db.js';
import type { LedgerFileView, LedgerRun } from './ledger-view.js';
import type { BadRow } from '../data/order-rows.js';
import type { Cell } from './cells.js';
import type { HoldoutPartial } from './holdout.js';
import { addHoldoutPartials, insertHoldoutPartial } from './holdout-ledger.js';
import { compactHoldoutPartials, subtractHoldoutFiles } from './holdout-totals.js';
import {
  addFile,
  compactPartials,
  partialRows,
  pruneTotals,
  readTotals,
  subtractFiles,
  packCells,
  UNPACKED_FILES,
  unpackCells,
} from './ledger-totals.js';
import { sumCells } from './cells.js';

/** What a file looked like on disk when it was last read: equal stats mean it need not be hashed again. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  inode: string;
}

export interface LedgerFile {
  path: string;
  batch: string;
  sha256: string;
  size_bytes: number;
  mtime_ms: number;
  ctime_ms: number | null;
  inode: string | null;
}

export type SkipStatus = 'rejected' | 'duplicate';

/** A file that was read and not counted, with why. */
export interface SkippedFile extends FileStat {
  path: string;
  batch: string;
  status: SkipStatus;
  reason: string;
  duplicateOf: string | null;
  sha256: string;
  firstSeenAt?: string;
}

interface SkippedRow {
  path: string;
  batch: string;
  status: SkipStatus;
  reason: string;
  duplicate_of: string | null;
  sha256: string;
  size_bytes: number;
  mtime_ms: number;
  ctime_ms: number;
  inode: string;
  first_seen_at: Date;
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** The store holds text: control characters (NUL above all, which PostgreSQL refuses) are written \u00XX. */
export function storableText(raw: string): string {
  return raw.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The fence a commit checks inside its transaction (run-lock.ts). */
export interface CommitFence {
  fence(tx: Db): Promise<void>;
}

export interface CommitChanges {
  files: FileCommit[];
  removed: string[];
  /** Files to record as rejected or duplicate (replacing any earlier verdict on the same path). */
  skipped: SkippedFile[];
  /** Paths whose skipped record goes (the file vanished, or it is committed now). */
  unskipped: string[];
}

export interface FileCommit {
  path: string;
  batch: string;
  sha256: string;
  stat: FileStat;
  orders: number;
  items: number;
  cells: Cell[];
  /** The file's evaluation partial (holdout.ts), stored by holdout-ledger.ts in the same transaction. */
  holdout?: HoldoutPartial;
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
  constructor(
    private readonly db: Db,
    /** Files whose legacy per-cell partial rows (and holdout rows) stay as rows; older ones are packed. */
    private readonly unpackedFiles = UNPACKED_FILES,
  ) {}

  async files(): Promise<LedgerFile[]> {
    return this.db.query<LedgerFile>(
      'SELECT path, batch, sha256, size_bytes, mtime_ms, ctime_ms, inode FROM ingest_files ORDER BY path',
    );
  }

  async skippedFiles(): Promise<SkippedFile[]> {
    const rows = await this.db.query<SkippedRow>(
      `SELECT path, batch, status, reason, duplicate_of, sha256, size_bytes, mtime_ms, ctime_ms, inode, first_seen_at
       FROM ingest_skipped_files ORDER BY path`,
    );
    return rows.map((r) => ({
      path: r.path,
      batch: r.batch,
      status: r.status,
      reason: r.reason,
      duplicateOf: r.duplicate_of,
      sha256: r.sha256,
      size: Number(r.size_bytes),
      mtimeMs: Number(r.mtime_ms),
      ctimeMs: Number(r.ctime_ms),
      inode: r.inode,
      firstSeenAt: new Date(r.first_seen_at).toISOString(),
    }));
  }

  /** Forgets the verdict on a rejected or duplicate file, so the next run reads it again. */
  async retry(path: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM ingest_skipped_files WHERE path = $1 RETURNING path', [
      path,
    ]);
    return rows.length > 0;
  }

  async generation(): Promise<number> {
    const [row] = await this.db.query<{ generation: number }>(
      'SELECT generation FROM ingest_state WHERE id = 1',
    );
    return Number(row.generation);
  }

  /** Records that a file's stats changed but its content did not (so it is not hashed again). */
  async touch(path: string, stat: FileStat): Promise<void> {
    const params = [path, stat.size, stat.mtimeMs, stat.ctimeMs, stat.inode];
    await this.db.query(
      'UPDATE ingest_files SET size_bytes = $2, mtime_ms = $3, ctime_ms = $4, inode = $5 WHERE path = $1',
      params,
    );
    await this.db.query(
      'UPDATE ingest_skipped_files SET size_bytes = $2, mtime_ms = $3, ctime_ms = $4, inode = $5 WHERE path = $1',
      params,
    );
  }

  /** The committed partial aggregate of each of `paths` (a reprocess compares a fresh read with it). */
  async partials(paths: readonly string[]): Promise<Map<string, Cell[]>> {
    const byPath = await partialRows(this.db, paths);
    // Older files' partials are packed (ledger-totals.ts).
    const packed = await this.db.query<{ path: string; partial_packed: Uint8Array }>(
      'SELECT path, partial_packed FROM ingest_files WHERE path = ANY($1::text[]) AND partial_packed IS NOT NULL',
      [paths],
    );
    for (const r of packed) byPath.set(r.path, unpackCells(r.partial_packed));
    return byPath;
  }

  /**
   * Forgets committed files (with their partials and bad rows), so the next incremental run reads them again as
   * new: a reprocess. The caller holds the incremental run lock, so no run is between reading and committing.
   */
  async forget(paths: readonly string[]): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      // Their counts leave the maintained totals with them, and the output must be rebuilt.
      await subtractFiles(tx, [...paths]);
      await subtractHoldoutFiles(tx, [...paths]);
      const rows = await tx.query<{ path: string }>(
        'DELETE FROM ingest_files WHERE path = ANY($1::text[]) RETURNING path',
        [paths],
      );
      await pruneTotals(tx);
      if (rows.length > 0) await tx.query('UPDATE ingest_state SET generation = generation + 1 WHERE id = 1');
      return rows.map((r) => r.path);
    });
  }

  /**
   * One transaction: the fence, then skipped-file verdicts, then — when files were added, replaced or
   * removed — the run, files, partials and bad rows, and the next generation. Null when only verdicts
   * changed (the output's content did not).
   */
  async commit(startedAt: Date, changes: CommitChanges, fence: CommitFence): Promise<CommitResult | null> {
    const { files, removed } = changes;
    return this.db.transaction(async (tx) => {
      await fence.fence(tx);
      await this.recordSkipped(tx, changes);
      if (files.length === 0 && removed.length === 0) return null;
      const [run] = await tx.query<{ id: number }>(
        `INSERT INTO ingest_runs (started_at, files_added, files_replaced, files_removed, orders, items, bad_rows,
           files_rejected, files_duplicate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [
          startedAt.toISOString(),
          files.filter((f) => !f.replaces).length,
          files.filter((f) => f.replaces).length,
          removed.length,
          files.reduce((n, f) => n + f.orders, 0),
          files.reduce((n, f) => n + f.items, 0),
          files.reduce((n, f) => n + f.badRows.length, 0),
          changes.skipped.filter((f) => f.status === 'rejected').length,
          changes.skipped.filter((f) => f.status === 'duplicate').length,
        ],
      );
      const runId = Number(run.id);
      const gone = [...removed, ...files.filter((f) => f.replaces).map((f) => f.path)];
      await subtractFiles(tx, gone);
      await subtractHoldoutFiles(tx, gone);
      if (gone.length > 0) await tx.query('DELETE FROM ingest_files WHERE path = ANY($1::text[])', [gone]);
      for (const file of files) {
        // The partial is stored packed (one row, not one per cell: a real day file fills ~22k cells, and a row
        // per cell made the commit the run's bottleneck); a removal or replacement subtracts exactly it.
        await tx.query(
          `INSERT INTO ingest_files (path, batch, sha256, size_bytes, mtime_ms, ctime_ms, inode, orders, items,
             bad_rows, quarantine_path, run_id, partial_packed)
           VALUES ($1, $2, $3, $4, $5, $11, $12, $6, $7, $8, $9, $10, $13)`,
          [
            file.path,
            file.batch,
            file.sha256,
            file.stat.size,
            file.stat.mtimeMs,
            file.orders,
            file.items,
            file.badRows.length,
            file.quarantinePath ?? null,
            runId,
            file.stat.ctimeMs,
            file.stat.inode,
            packCells(file.cells),
          ],
        );
        await insertHoldoutPartial(tx, file.path, file.holdout);
        if (file.badRows.length > 0) {
          await tx.query(
            `INSERT INTO ingest_bad_rows (path, line, reason, raw) SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[])`,
            [
              file.path,
              file.badRows.map((r) => r.line),
              file.badRows.map((r) => r.reason),
              file.badRows.map((r) => storableText(r.raw)),
            ],
          );
        }
      }
      // One upsert of the run's summed partials (and holdout partials), however many files it commits.
      await addFile(tx, sumCells(files.map((f) => f.cells)));
      await addHoldoutPartials(
        tx,
        files.map((f) => f.holdout),
      );
      await pruneTotals(tx);
      // Packs partial rows that older versions stored per cell.
      await compactPartials(tx, this.unpackedFiles);
      await compactHoldoutPartials(tx, this.unpackedFiles);
      const [state] = await tx.query<{ generation: number }>(
        'UPDATE ingest_state SET generation = generation + 1 WHERE id = 1 RETURNING generation',
      );
      return { runId, generation: Number(state.generation) };
    });
  }

  private async recordSkipped(tx: Db, changes: CommitChanges): Promise<void> {
    const gone = [...changes.unskipped, ...changes.skipped.map((f) => f.path)];
    if (gone.length > 0)
      await tx.query('DELETE FROM ingest_skipped_files WHERE path = ANY($1::text[])', [gone]);
    for (const f of changes.skipped) {
      await tx.query(
        `INSERT INTO ingest_skipped_files (path, batch, status, reason, duplicate_of, sha256, size_bytes, mtime_ms,
           ctime_ms, inode) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          f.path,
          f.batch,
          f.status,
          storableText(f.reason),
          f.duplicateOf,
          f.sha256,
          f.size,
          f.mtimeMs,
          f.ctimeMs,
          f.inode,
        ],
      );
    }
  }

  /** The sum of all committed partials (maintained by every commit): what the incremental output must contain. */
  async totals(): Promise<Cell[]> {
    return readTotals(this.db);
  }

  /** Committed files with their counts, by batch and path (the ledger's view for the API). */
  async committedFiles(): Promise<LedgerFileView[]> {
    const rows = await this.db.query<{
      path: string;
      batch: string;
      sha256: string;
      orders: number;
      items: number;
      bad_rows: number;
      committed_at: Date;
    }>(
      'SELECT path, batch, sha256, orders, items, bad_rows, committed_at FROM ingest_files ORDER BY batch, path',
    );
    return rows.map((f) => ({
      path: f.path,
      batch: f.batch,
      sha256: f.sha256,
      orders: Number(f.orders),
      items: Number(f.items),
      quarantinedRows: Number(f.bad_rows),
      committedAt: new Date(f.committed_at).toISOString(),
    }));
  }

  /** The newest `limit` runs that committed something, newest first. */
  async recentRuns(limit: number): Promise<LedgerRun[]> {
    const rows = await this.db.query<{
      id: number;
      started_at: Date;
      finished_at: Date;
      files_added: number;
      files_replaced: number;
      files_removed: number;
      orders: number;
      items: number;
      bad_rows: number;
    }>(
      `SELECT id, started_at, finished_at, files_added, files_replaced, files_removed, orders, items, bad_rows
       FROM ingest_runs ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      startedAt: new Date(r.started_at).toISOString(),
      finishedAt: new Date(r.finished_at).toISOString(),
      filesAdded: r.files_added,
      filesReplaced: r.files_replaced,
      filesRemoved: r.files_removed,
      orders: Number(r.orders),
      items: Number(r.items),
      quarantinedRows: r.bad_rows,
    }));
  }

  /** Batches with at least one committed file: the content of Redis' processed_days. */
  async committedBatches(): Promise<string[]> {
    const rows = await this.db.query<{ batch: string }>('SELECT DISTINCT batch FROM ingest_files');
    return rows.map((r) => r.batch);
  }
}
