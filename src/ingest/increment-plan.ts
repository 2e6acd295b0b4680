// What one incremental run will do, decided from listings alone, before any byte is read: the parts to read (one
// per new or changed file, or per byte range of a file above ORDERFLOW_RANGE_BYTES, made of whole content-hash
// chunks: content-hash.ts) and the paths that leave. Which files are duplicates, and which changed stats but not
// content, is decided by the commit from the hashes the parts computed. The plan is plain JSON: it is the
// `discover_files` task's result, and every later task of the run reads it.
import type { IngestConfig } from '../base/config.js';
import { chunkBytesFor, partCount } from './read/content-hash.js';
import type { FileChanges } from './landing/file-changes.js';
import type { WaitingFile } from './files.js';
import { statOf } from './landing/file-changes.js';
import type { PartPlan } from './files.js';

export interface IncrementPlan {
  /** The run's fencing token (its lease): staged partials, claims and the commit are keyed by it. */
  token: number;
  startedAt: string;
  parts: PartPlan[];
  /** Committed paths no longer present. */
  removed: string[];
  /** Skipped paths no longer present. */
  vanishedSkipped: string[];
  waiting: WaitingFile[];
  /** How many paths the run claimed: its commit checks it still holds every one. */
  claims: number;
}

/** Ranges of a file of `size` bytes: one per started `rangeBytes`, never more than its chunks. */
export const rangeCount = partCount;

export function planIncrement(
  changes: FileChanges,
  config: Pick<IngestConfig, 'rangeBytes'>,
  token: number,
  startedAt: Date,
  claims: number,
): IncrementPlan {
  const chunkBytes = chunkBytesFor(config.rangeBytes);
  const parts: PartPlan[] = [];
  for (const { file } of changes.toRead) {
    // A relational batch is one part: its line items only mean something with its orders file.
    const count = file.relational ? 1 : partCount(file.size, config.rangeBytes);
    for (let index = 0; index < count; index++)
      parts.push({ path: file.path, batch: file.batch, stat: statOf(file), index, count, chunkBytes });
  }
  return {
    token,
    startedAt: startedAt.toISOString(),
    parts,
    removed: changes.removed,
    vanishedSkipped: changes.vanishedSkipped,
    waiting: changes.waiting,
    claims,
  };
}
