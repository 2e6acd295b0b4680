// Which arrived files the incremental run must read, from the listing alone: new files, files whose stats moved
// (size, mtime, ctime and inode together — ctime and inode cannot be restored by utime, so an edit that puts the
// old mtime back is still seen; for S3 size and ETag), and skipped (rejected, duplicate) files whose verdict may
// have changed. Nothing is read here: the parts hash what they read, and the commit tells a changed file from
// one whose stats alone moved. A file that may still be being written in place waits (readiness).
import fs from 'node:fs/promises';
import type { ArrivedFile } from '../files.js';
import { relationalBatchEndsWithNewlines, relationalBatchFiles } from '../instacart/instacart-batch.js';
import type { LandingArea } from '../files.js';
import type { Ledger } from '../ledger/ledger.js';
import type { FileStat, LedgerFile, ReadinessOptions, SkippedFile, WaitingFile } from '../files.js';

export interface FileToRead {
  file: ArrivedFile;
}

export interface FileChanges {
  toRead: FileToRead[];
  waiting: WaitingFile[];
  /** Committed paths no longer present. */
  removed: string[];
  /** Skipped paths no longer present. */
  vanishedSkipped: string[];
  /** Every committed file, as the ledger had them before this run. */
  committed: LedgerFile[];
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export function statOf(file: ArrivedFile): FileStat {
  return { size: file.size, mtimeMs: file.mtimeMs, ctimeMs: file.ctimeMs, inode: file.inode };
}

export function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.inode === b.inode;
}

export function ledgerStat(f: LedgerFile): FileStat {
  return {
    size: Number(f.size_bytes),
    mtimeMs: Number(f.mtime_ms),
    ctimeMs: f.ctime_ms === null ? NaN : Number(f.ctime_ms),
    inode: f.inode ?? '',
  };
}

async function endsWithNewline(file: string, size: number): Promise<boolean> {
  if (size === 0) return false;
  const handle = await fs.open(file, 'r');
  try {
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 10;
  } finally {
    await handle.close();
  }
}

/**
 * Null when `file` may be read now, else why it waits. A file renamed into place (the write-then-rename
 * convention) is whole at once; one written in place is not, and stat cannot tell the two apart (both
 * leave ctime = mtime at this file system's timestamp granularity). So: a file that ends with a newline is
 * read (and not committed if it changes while being read); one that does not waits until it has been quiet
 * for the minimum file age, unless its batch carries a _SUCCESS marker.
 */
export async function waitReason(file: ArrivedFile, options: ReadinessOptions): Promise<string | null> {
  if (file.batchMarkedDone) return null;
  const quietMs = options.nowMs - Math.max(file.mtimeMs, file.ctimeMs);
  if (quietMs >= options.minFileAgeMs) return null;
  if (file.relational) {
    const files = relationalBatchFiles(file.absolute);
    if (files && (await relationalBatchEndsWithNewlines(files))) return null;
  } else if (await endsWithNewline(file.absolute, file.size)) return null;
  return (
    `may still be being written: it does not end with a newline and changed ${formatDuration(Math.max(0, quietMs))} ago; ` +
    `it is read once unchanged for ${formatDuration(options.minFileAgeMs)} (ORDERFLOW_MIN_FILE_AGE), or at once if its batch has a _SUCCESS marker`
  );
}

/** Whether the verdict on a skipped file still stands without reading it. */
export function verdictStands(skipped: SkippedFile, committedPaths: Set<string>): boolean {
  // A duplicate is counted after all once the file it duplicated has left the ledger.
  return skipped.status !== 'duplicate' || committedPaths.has(skipped.duplicateOf ?? '');
}

export async function findChanges(
  ledger: Ledger,
  landing: LandingArea,
  options: ReadinessOptions,
): Promise<FileChanges> {
  const arrived = await landing.list();
  const committed = await ledger.files();
  const committedByPath = new Map(committed.map((f) => [f.path, f]));
  // Committed files still present: a duplicate of one that left is read again in this same run.
  const present = new Set(arrived.map((f) => f.path));
  const committedPaths = new Set(committed.map((f) => f.path).filter((p) => present.has(p)));
  const skippedByPath = new Map((await ledger.skippedFiles()).map((f) => [f.path, f]));
  const changes: FileChanges = { toRead: [], waiting: [], removed: [], vanishedSkipped: [], committed };
  for (const file of arrived) {
    const stat = statOf(file);
    const entry = committedByPath.get(file.path);
    const skipped = skippedByPath.get(file.path);
    committedByPath.delete(file.path);
    skippedByPath.delete(file.path);
    if (entry && sameStat(ledgerStat(entry), stat)) continue;
    const skipStands = !entry && skipped !== undefined && verdictStands(skipped, committedPaths);
    if (skipStands && sameStat(skipped, stat)) continue;
    const why = await landing.waitReason(file, options);
    if (why) {
      changes.waiting.push({ path: file.path, batch: file.batch, reason: why });
      continue;
    }
    changes.toRead.push({ file });
  }
  changes.removed = [...committedByPath.keys()];
  changes.vanishedSkipped = [...skippedByPath.keys()];
  return changes;
}
