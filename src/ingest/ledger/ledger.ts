// The ingest ledger in the metadata store: committed files with their hash and partial aggregate, and
// the files read but not counted (rejected, duplicate). A commit replaces the partials of changed files,
// removes vanished files, records skipped ones and bumps the generation, all in one transaction that first
// checks the run's lease (fencing): after it, the ledger alone says what the incremental output must be.
import type { Db } from '../../store/db.js';
import type { LedgerFileView, LedgerRun } from '../files.js';
import type { Cell } from '../../base/cell.js';
import {
  claimContents,
  currentGeneration,
  dropFiles,
  insertFiles,
  insertRun,
  forgetVerdict,
  queueChanges,
  recordCommit,
  recordSkipped,
  sortAgainstLedger,
  touchFiles,
} from './ledger-commit.js';
import { cellsOf, foldTotals, partialsOf } from './ledger-totals.js';
import { releaseClaims } from './run-claims.js';
import { markPartsCommitted } from './staged-parts.js';
import type { LedgerFile, SkipStatus, SkippedFile } from '../files.js';
import type { CommitChanges, FileCommit } from './ledger-commit.js';
import type { Fence } from './lease.js';

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

export interface CommitResult {
  /** The generation after the commit (unchanged when nothing was added or removed). */
  generation: number;
  /** Files counted by this commit; `replaces` when the path was committed with other content. */
  added: (FileCommit & { replaces: boolean })[];
  /** Paths that left the output: removed, or replaced by content not counted (a duplicate). */
  removed: string[];
  /** Files whose content was already committed (here or under another path): not counted again. */
  duplicates: SkippedFile[];
  /** Files whose stats moved but whose content is what was committed: only their stats were recorded. */
  unchanged: string[];
}

export class Ledger {
  constructor(private readonly db: Db) {}

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
    return forgetVerdict(this.db, path);
  }

  async generation(): Promise<number> {
    const [row] = await this.db.query<{ generation: number }>(
      'SELECT generation FROM ingest_state WHERE id = 1',
    );
    return Number(row.generation);
  }

  /** The committed partial aggregate of each of `paths` (a reprocess compares a fresh read with it). */
  async partials(paths: readonly string[]): Promise<Map<string, Cell[]>> {
    const files = await this.db.query<{ path: string; token: string | number }>(
      'SELECT path, token FROM ingest_files WHERE path = ANY($1::text[])',
      [paths],
    );
    const partials = await partialsOf(
      this.db,
      files.map((f) => ({ path: f.path, token: Number(f.token) })),
    );
    const byPath = new Map<string, Cell[]>(paths.map((p) => [p, []]));
    for (const f of files) byPath.set(f.path, cellsOf(partials.get(`${Number(f.token)}\u0000${f.path}`)!));
    return byPath;
  }

  /**
   * Forgets committed files (with their partials and bad rows), so the next incremental run reads them again as
   * new: a reprocess. The caller holds claims on these paths (run-claims.ts), so no run is reading them.
   */
  async forget(paths: readonly string[]): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const left = await dropFiles(tx, paths);
      // Their counts leave the totals with the next fold, and the output must be rebuilt.
      if (left.length > 0) await queueChanges(tx, 0, [], left);
      return left.map((f) => f.path);
    });
  }

  /**
   * One transaction of a few statements, none per cell: the fence, then what the files of the run are against the
   * ledger as it is now (another run may have committed since this one planned), the content claims that count
   * each content once, the file rows, the verdicts, and — when the output changes — the next generation and the
   * changes queued for the fold. The counted parts' staged totals become the files' partials as they are.
   */
  async commit(changes: CommitChanges, fence: Fence): Promise<CommitResult> {
    return this.db.transaction(async (tx) => {
      await fence.fence(tx);
      const sorted = await sortAgainstLedger(tx, changes);
      // Leaving first: content that moves to another path in this run is counted there.
      const left = await dropFiles(tx, sorted.leaving);
      const { counted, duplicates } = await claimContents(tx, sorted.candidates, changes.allowDuplicates);
      await touchFiles(tx, sorted.unchanged);
      const moved = counted.length > 0 || left.length > 0;
      const runId = moved ? await insertRun(tx, changes, counted, left.length) : null;
      if (runId !== null) await insertFiles(tx, changes.token, runId, counted);
      const skipped = [...changes.skipped, ...duplicates.map((d) => d.skipped)];
      await recordSkipped(tx, skipped, [
        ...changes.vanishedSkipped,
        ...counted.map((f) => f.path),
        ...sorted.unchanged.map((f) => f.path),
      ]);
      await markPartsCommitted(
        tx,
        changes.token,
        counted.flatMap((f) => f.parts.map((rangeIndex) => ({ path: f.path, rangeIndex }))),
      );
      const generation = moved
        ? await queueChanges(tx, changes.token, counted, left)
        : await currentGeneration(tx);
      await recordCommit(tx, changes.token, generation);
      await releaseClaims(tx, changes.token);
      return {
        generation,
        added: counted,
        removed: left.map((f) => f.path),
        duplicates: duplicates.map((d) => d.skipped),
        unchanged: sorted.unchanged.map((f) => f.path),
      };
    });
  }

  /** The sum of all committed partials (folded: ledger-totals.ts): what the incremental output must contain. */
  async totals(): Promise<Cell[]> {
    return cellsOf((await foldTotals(this.db)).totals);
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
    return committedBatches(this.db);
  }
}

/** The batches with a committed file; `db` may be a transaction (tracking reads them under its lock). */
export async function committedBatches(db: Db): Promise<string[]> {
  const rows = await db.query<{ batch: string }>('SELECT DISTINCT batch FROM ingest_files');
  return rows.map((r) => r.batch);
}

/** Every committed file's path, in path order. */
export async function committedPaths(db: Db): Promise<string[]> {
  return (await db.query<{ path: string }>('SELECT path FROM ingest_files ORDER BY path')).map((r) => r.path);
}
