// What one incremental run will do, decided before any order is read: the parts to read (one per new or changed
// file, or per byte range of a file above ORDERFLOW_RANGE_BYTES), the files skipped at once as duplicates (their
// content, by hash, is committed under another path or planned earlier in this run), and the paths that leave.
// The plan is plain JSON: it is the `discover_files` task's result, and every later task of the run reads it.
import type { IngestConfig } from '../config.js';
import type { FileChanges, WaitingFile } from './file-changes.js';
import { statOf } from './file-changes.js';
import type { FileStat, SkippedFile } from './ledger.js';

/** One unit of work: part `index` of `count` of a file (count 1: the whole file). */
export interface PartPlan {
  path: string;
  batch: string;
  sha256: string;
  stat: FileStat;
  /** The path is committed with other content: its partial is replaced. */
  replaces: boolean;
  index: number;
  count: number;
}

export interface IncrementPlan {
  /** The run's fencing token (its lease): staged partials and the commit are keyed by it. */
  token: number;
  startedAt: string;
  parts: PartPlan[];
  /** Files not read: the same content is already counted (ORDERFLOW_ALLOW_DUPLICATE_FILES=false). */
  skipped: SkippedFile[];
  /** Committed paths whose new content is skipped: their old partial leaves the output. */
  dropped: string[];
  /** Committed paths no longer present. */
  removed: string[];
  /** Skipped paths no longer present. */
  vanishedSkipped: string[];
  waiting: WaitingFile[];
}

/** Ranges of a file of `size` bytes: one per started `rangeBytes`. */
export function rangeCount(size: number, rangeBytes: number): number {
  return Math.max(1, Math.ceil(size / rangeBytes));
}

export function planIncrement(
  changes: FileChanges,
  config: Pick<IngestConfig, 'allowDuplicateFiles' | 'rangeBytes'>,
  token: number,
  startedAt: Date,
): IncrementPlan {
  const plan: IncrementPlan = {
    token,
    startedAt: startedAt.toISOString(),
    parts: [],
    skipped: [],
    dropped: [],
    removed: changes.removed,
    vanishedSkipped: changes.vanishedSkipped,
    waiting: changes.waiting,
  };
  // Content already counted, by hash: committed files that stay as they are, then this run's files.
  const rewritten = new Set(changes.toRead.filter((t) => t.replaces).map((t) => t.file.path));
  const leaving = new Set([...changes.removed, ...rewritten]);
  const counted = new Map<string, string>();
  for (const f of changes.committed)
    if (!leaving.has(f.path) && !counted.has(f.sha256)) counted.set(f.sha256, f.path);

  for (const { file, sha256, replaces } of changes.toRead) {
    const original = counted.get(sha256);
    if (original !== undefined && !config.allowDuplicateFiles) {
      plan.skipped.push({
        path: file.path,
        batch: file.batch,
        status: 'duplicate',
        reason: `same content (SHA-256 ${sha256.slice(0, 12)}…) as ${original}, which is committed: not counted again (ORDERFLOW_ALLOW_DUPLICATE_FILES=true counts it)`,
        duplicateOf: original,
        sha256,
        ...statOf(file),
      });
      if (replaces) plan.dropped.push(file.path);
      continue;
    }
    // Planned as counted; if it turns out rejected or changed, merge-parts.ts gives its copies the same fate.
    counted.set(sha256, file.path);
    const count = rangeCount(file.size, config.rangeBytes);
    for (let index = 0; index < count; index++)
      plan.parts.push({
        path: file.path,
        batch: file.batch,
        sha256,
        stat: statOf(file),
        replaces,
        index,
        count,
      });
  }
  return plan;
}
