// The ingest ledger as one view — committed batches and files with their quarantined rows, recent runs,
// pending and skipped files with their reasons, and the Redis tracking keys — for the API (/api/ingest) and
// the dashboard's Data page. `orderflow status --json` prints the same pendingFiles and skippedFiles (status.ts).
import type { Config } from '../../base/config.js';
import type { Redis } from '../../redis/redis.js';
import type { Db } from '../../store/db.js';
import type { WaitingFile } from '../files.js';
import { Ledger } from './ledger.js';
import type { SkippedFile } from '../files.js';
import { ingestStatus } from '../status.js';
import type { LedgerFileView, LedgerRun } from '../files.js';

/** One batch folder (a "day" of the original pipeline) of the incremental raw folder, as committed. */
export interface LedgerBatch {
  batch: string;
  files: number;
  orders: number;
  items: number;
  quarantinedRows: number;
  committedAt: string | null;
}

export interface IngestLedger {
  /** The Redis tracking keys processed_days / last_processed_day (empty when Redis is unreachable). */
  processedDays: string[];
  lastProcessedDay: string | null;
  /** Whether Redis tracking agrees with the ledger; null when it could not be read. */
  trackingAgrees: boolean | null;
  batches: LedgerBatch[];
  files: LedgerFileView[];
  /** Newest first. */
  runs: LedgerRun[];
  /** Files in the incremental raw folder not yet committed (new, changed, or waiting), each with why. */
  pendingFiles: WaitingFile[];
  /** Files read and not counted: rejected (cannot be read as orders) or duplicate, each with why. */
  skippedFiles: SkippedFile[];
  totals: { files: number; orders: number; items: number; quarantinedRows: number };
}

export async function ingestLedger(
  config: Config,
  db: Db,
  redis: Redis | undefined,
  /** Runs listed. @defaultValue 20 */
  runLimit = 20,
): Promise<IngestLedger> {
  const ledger = new Ledger(db);
  const [status, files, runs] = await Promise.all([
    ingestStatus(config, db, redis),
    ledger.committedFiles(),
    ledger.recentRuns(runLimit),
  ]);
  const batches = new Map<string, LedgerBatch>();
  for (const f of files) {
    const b = batches.get(f.batch) ?? {
      batch: f.batch,
      files: 0,
      orders: 0,
      items: 0,
      quarantinedRows: 0,
      committedAt: null,
    };
    b.files++;
    b.orders += f.orders;
    b.items += f.items;
    b.quarantinedRows += f.quarantinedRows;
    if (!b.committedAt || (f.committedAt && f.committedAt > b.committedAt)) b.committedAt = f.committedAt;
    batches.set(f.batch, b);
  }
  const sum = (k: 'orders' | 'items' | 'quarantinedRows'): number => files.reduce((n, f) => n + f[k], 0);
  return {
    processedDays: status.redis.state?.processedDays ?? [],
    lastProcessedDay: status.redis.state?.lastProcessedDay ?? null,
    trackingAgrees: status.redis.agrees,
    batches: [...batches.values()],
    files,
    runs,
    pendingFiles: status.pendingFiles,
    skippedFiles: status.skippedFiles,
    totals: {
      files: files.length,
      orders: sum('orders'),
      items: sum('items'),
      quarantinedRows: sum('quarantinedRows'),
    },
  };
}
