// Where incoming order files land: a directory (DATA_DIR/incremental/raw by default, possibly on a shared
// file system) or an S3-compatible bucket (ORDERFLOW_LANDING=s3://bucket/prefix). Either way a file is
// "<batch>/<name>.csv" under the landing root, and the incremental stage sees it through this interface:
// list what is there, make a readable local copy, and tell whether it is still the file that was listed.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { listArrivedFiles, type ArrivedFile } from './arrivals.js';
import { sameStat, waitReason, type ReadinessOptions } from './file-changes.js';
import { relationalBatchFiles, relationalBatchStat } from './instacart-batch.js';
import type { PartChunks } from './file-aggregate.js';
import type { FileStat } from './ledger.js';

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

export class DirectoryLanding implements LandingArea {
  readonly isDirectory = true;
  constructor(readonly location: string) {}

  list(): Promise<ArrivedFile[]> {
    return listArrivedFiles(this.location);
  }

  async materialize(file: ArrivedFile): Promise<string> {
    return file.absolute;
  }

  async materializePart(file: ArrivedFile): Promise<{ path: string; discard(): Promise<void> }> {
    return { path: file.absolute, discard: async () => {} };
  }

  async unchanged(file: ArrivedFile): Promise<boolean> {
    const relational = relationalBatchFiles(file.absolute);
    if (relational) {
      const stat = relationalBatchStat(relational);
      return stat !== null && sameStat(stat, file);
    }
    const now = await fs.stat(file.absolute).catch(() => null);
    return (
      now !== null &&
      now.size === file.size &&
      now.mtimeMs === file.mtimeMs &&
      now.ctimeMs === file.ctimeMs &&
      `${now.dev}:${now.ino}` === file.inode
    );
  }

  waitReason(file: ArrivedFile, options: ReadinessOptions): Promise<string | null> {
    return waitReason(file, options);
  }

  describe(relative: string): string {
    return path.join(this.location, relative);
  }

  locate(relative: string, batch: string, stat: FileStat): ArrivedFile {
    return { path: relative, batch, absolute: this.describe(relative), ...stat, batchMarkedDone: false };
  }
}

/** The landing area the config names; S3 support is loaded only when used. */
export async function openLanding(config: Pick<Config, 'ingest' | 'dataDir'>): Promise<LandingArea> {
  const { landing } = config.ingest;
  if (!landing.startsWith('s3://')) return new DirectoryLanding(landing);
  const { S3Landing } = await import('./landing-s3.js');
  return new S3Landing(config);
}
