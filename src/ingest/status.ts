// `orderflow status`: what the ledger has committed, what is waiting and why, which files were read and not
// counted (rejected, duplicate) and why, and whether Redis agrees. Nothing is hashed here: a file whose stats
// moved is listed as pending; the next run decides whether its content changed.
import type { Config } from '../base/config.js';
import { toError } from '../base/errors.js';
import type { Redis } from '../redis/redis.js';
import type { Db } from '../store/db.js';
import { ledgerStat, sameStat, statOf, verdictStands } from './landing/file-changes.js';
import type { WaitingFile } from './files.js';
import { openLanding } from './landing/landing.js';
import { Ledger } from './ledger/ledger.js';
import type { SkippedFile } from './files.js';
import { expectedTracking, readTracking, sameTracking, type TrackingState } from './output/tracking.js';

export interface IngestStatus {
  committedBatches: string[];
  committedFiles: number;
  /** Present files the next run reads, or that wait (and why). */
  pendingFiles: WaitingFile[];
  /** Present files that were read and not counted: rejected (with the reason) or duplicate. */
  skippedFiles: SkippedFile[];
  generation: number;
  redis: { state: TrackingState | null; agrees: boolean | null; error: string | null };
}

async function classifyPresentFiles(config: Config, ledger: Ledger) {
  const committed = new Map((await ledger.files()).map((f) => [f.path, f]));
  const skipped = new Map((await ledger.skippedFiles()).map((f) => [f.path, f]));
  const pendingFiles: WaitingFile[] = [];
  const skippedFiles: SkippedFile[] = [];
  const nowMs = Date.now();
  const landing = await openLanding(config);
  const arrived = await landing.list();
  const committedPaths = new Set(arrived.map((f) => f.path).filter((p) => committed.has(p)));
  for (const file of arrived) {
    const entry = committed.get(file.path);
    const verdict = skipped.get(file.path);
    const stat = statOf(file);
    if (entry && sameStat(ledgerStat(entry), stat)) continue;
    if (!entry && verdict && verdictStands(verdict, committedPaths) && sameStat(verdict, stat)) {
      skippedFiles.push(verdict);
      continue;
    }
    const waiting = await landing.waitReason(file, { nowMs, minFileAgeMs: config.ingest.minFileAgeMs });
    const reason =
      waiting ??
      (entry || verdict
        ? 'changed since it was last read: the next incremental run reads it again'
        : 'new: the next incremental run reads it');
    pendingFiles.push({ path: file.path, batch: file.batch, reason });
  }
  return { committedFiles: committed.size, pendingFiles, skippedFiles };
}

export async function ingestStatus(config: Config, db: Db, redis: Redis | undefined): Promise<IngestStatus> {
  const ledger = new Ledger(db);
  const present = await classifyPresentFiles(config, ledger);
  const expected = expectedTracking(await ledger.committedBatches());
  let state: TrackingState | null = null;
  let error: string | null = null;
  if (redis) {
    try {
      state = await readTracking(redis, config);
    } catch (err) {
      error = toError(err).message;
    }
  } else error = 'Redis unreachable';
  return {
    committedBatches: expected.processedDays,
    ...present,
    generation: await ledger.generation(),
    redis: { state, agrees: state ? sameTracking(state, expected) : null, error },
  };
}
