// Where incoming order files land: a directory (DATA_DIR/incremental/raw by default, possibly on a shared
// file system) or an S3-compatible bucket (ORDERFLOW_LANDING=s3://bucket/prefix). Either way a file is
// "<batch>/<name>.csv" under the landing root, and the incremental stage sees it through this interface:
// list what is there, make a readable local copy, and tell whether it is still the file that was listed.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../base/config.js';
import { listArrivedFiles } from './arrivals.js';
import type { ArrivedFile } from '../files.js';
import { sameStat, waitReason } from './file-changes.js';
import type { ReadinessOptions } from '../files.js';
import { relationalBatchFiles, relationalBatchStat } from '../instacart/instacart-batch.js';
import type { FileStat, LandingArea } from '../files.js';

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
