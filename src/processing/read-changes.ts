// Reads the files the incremental run found changed and sorts each into one outcome: a commit (its
// partial aggregate and bad rows), a skip (rejected: it cannot be read as orders at all; duplicate: the
// same content is committed under another path), or a wait (it changed while being read). Input errors
// are verdicts on one file and never stop the others; anything else (file system, store) is thrown, so
// the run fails and is retried.
import os from 'node:os';
import type { IngestConfig } from '../config.js';
import { InputError } from '../errors.js';
import { aggregateFile } from './file-aggregate.js';
import { statOf, type FileChanges, type FileToRead, type WaitingFile } from './file-changes.js';
import type { LandingArea } from './landing.js';
import type { FileCommit, SkippedFile } from './ledger.js';

/** How one file was read: what an operator looks at to see where a run's time went (and on which machine). */
export interface FileProcessing {
  path: string;
  bytes: number;
  orders: number;
  items: number;
  badRows: number;
  /** `scan` (the one-pass scanner) or `exact` (row by row: the file had something outside the scanner's subset). */
  method: 'scan' | 'exact';
  /** host:pid of the process that read it. */
  worker: string;
  startedAt: string;
  durationMs: number;
}

const WORKER = `${os.hostname()}:${process.pid}`;

export interface ReadOutcome {
  commits: FileCommit[];
  /** One entry per committed file, in reading order. */
  processing: FileProcessing[];
  skipped: SkippedFile[];
  waiting: WaitingFile[];
  /** Committed paths whose new content is skipped: their old partial leaves the output. */
  dropped: string[];
}

function skip(entry: FileToRead, status: SkippedFile['status'], reason: string, duplicateOf: string | null) {
  const { file, sha256 } = entry;
  return { path: file.path, batch: file.batch, status, reason, duplicateOf, sha256, ...statOf(file) };
}

export async function readChanges(
  changes: FileChanges,
  config: IngestConfig,
  landing: LandingArea,
): Promise<ReadOutcome> {
  const outcome: ReadOutcome = { commits: [], processing: [], skipped: [], waiting: [], dropped: [] };
  // Content already counted, by hash: committed files that stay as they are, then this run's commits.
  const rewritten = new Set(changes.toRead.filter((t) => t.replaces).map((t) => t.file.path));
  const leaving = new Set([...changes.removed, ...rewritten]);
  const counted = new Map<string, string>();
  for (const f of changes.committed)
    if (!leaving.has(f.path) && !counted.has(f.sha256)) counted.set(f.sha256, f.path);

  for (const entry of changes.toRead) {
    const { file, sha256 } = entry;
    const original = counted.get(sha256);
    if (original !== undefined && !config.allowDuplicateFiles) {
      outcome.skipped.push(
        skip(
          entry,
          'duplicate',
          `same content (SHA-256 ${sha256.slice(0, 12)}…) as ${original}, which is committed: not counted again (ORDERFLOW_ALLOW_DUPLICATE_FILES=true counts it)`,
          original,
        ),
      );
      if (entry.replaces) outcome.dropped.push(file.path);
      continue;
    }
    const local = await landing.materialize(file);
    // Messages name the file as landed (s3://…), not the local copy read.
    const named = (text: string) => text.split(local).join(landing.describe(file.path));
    const startedAt = new Date();
    let part;
    try {
      part = await aggregateFile(local, { maxLineBytes: config.maxLineBytes });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      outcome.skipped.push(skip(entry, 'rejected', named(err.message), null));
      if (entry.replaces) outcome.dropped.push(file.path);
      continue;
    }
    if (!(await landing.unchanged(file))) {
      outcome.waiting.push({
        path: file.path,
        batch: file.batch,
        reason: 'changed while it was being read: it is read again by the next run',
      });
      continue;
    }
    counted.set(sha256, file.path);
    outcome.processing.push({
      path: file.path,
      bytes: file.size,
      orders: part.orders,
      items: part.itemsIn,
      badRows: part.badRows.length,
      method: part.validatedRowByRow ? 'exact' : 'scan',
      worker: WORKER,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
    });
    outcome.commits.push({
      path: file.path,
      batch: file.batch,
      sha256,
      stat: statOf(file),
      orders: part.orders,
      items: part.itemsIn,
      cells: part.cells,
      holdout: part.holdout,
      badRows: part.badRows.map((row) => ({ ...row, file: named(row.file) })),
      quarantinePath: undefined,
      replaces: entry.replaces,
    });
  }
  return outcome;
}
