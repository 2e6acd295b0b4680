// The stage's words for a file on its way from the landing area to the ledger, shared by landing, planning, reading
// and the ledger (each of those modules re-exports the ones it speaks of). Types only: nothing here runs.
import type { PartChunks } from './read/file-aggregate.js';

export interface ArrivedFile {
  /** Path relative to the raw dir, with forward slashes: "<batch>/<name>.csv". */
  path: string;
  batch: string;
  absolute: string;
  size: number;
  mtimeMs: number;
  /** Changes on every write, rename and utime: unlike mtime, a writer cannot restore it. */
  ctimeMs: number;
  /** Device and inode: a file replaced by another under the same name gets another inode. */
  inode: string;
  /** The batch folder holds a `_SUCCESS` marker. */
  batchMarkedDone: boolean;
  /**
   * A relational batch (instacart-batch.ts): this entry is the folder's orders.csv standing for it and its
   * order_products files; the stats cover them all.
   */
  relational?: boolean;
}

export type SkipStatus = 'rejected' | 'duplicate';

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

/** A present file the run does not read yet, and why. */
export interface WaitingFile {
  path: string;
  batch: string;
  reason: string;
}

export interface ReadinessOptions {
  nowMs: number;
  /** A file without a final newline is read once unchanged this long. */
  minFileAgeMs: number;
}

export interface LandingArea {
  /** The landing root as a user writes it: a directory path or s3://bucket/prefix. */
  readonly location: string;
  /** Whether files can be watched through file-system events (a local or mounted directory). */
  readonly isDirectory: boolean;
  list(): Promise<ArrivedFile[]>;
  /** Where `file` can be read from now: the file itself, or a downloaded copy (S3). */
  materialize(file: ArrivedFile): Promise<string>;
  /**
   * Where one part of `file` can be read from now: the file itself, or (S3) a local file of the object's size
   * holding the part's chunks and its header line at their offsets — a ranged download of only those bytes.
   * `discard` frees it once read.
   */
  materializePart(file: ArrivedFile, chunks: PartChunks): Promise<{ path: string; discard(): Promise<void> }>;
  /** True when `file` is still what was listed (size, mtime, ctime and inode; or size and ETag). */
  unchanged(file: ArrivedFile): Promise<boolean>;
  /** Null when `file` may be read now, else why it waits. */
  waitReason(file: ArrivedFile, options: ReadinessOptions): Promise<string | null>;
  /** The name of a landed file in messages and quarantine file names. */
  describe(relative: string): string;
  /** A file another process listed (path and stats as it saw them), as this process reads it. */
  locate(relative: string, batch: string, stat: FileStat): ArrivedFile;
}

/** One unit of work: part `index` of `count` of a file (count 1: the whole file). */
export interface PartPlan {
  path: string;
  batch: string;
  stat: FileStat;
  index: number;
  count: number;
  /** The file's chunk size (content-hash.ts): the part reads and hashes whole chunks. */
  chunkBytes: number;
}

export interface LedgerFileView {
  path: string;
  batch: string;
  sha256: string;
  orders: number;
  items: number;
  quarantinedRows: number;
  committedAt: string | null;
}

export interface LedgerRun {
  id: number;
  startedAt: string;
  finishedAt: string;
  filesAdded: number;
  filesReplaced: number;
  filesRemoved: number;
  orders: number;
  items: number;
  quarantinedRows: number;
}
