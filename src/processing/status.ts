// `orderflow status`: what the ledger has committed, what is waiting, and whether Redis agrees.
import type { Config } from '../config.js';
import { toError } from '../errors.js';
import type { Redis } from '../redis.js';
import type { Db } from '../store/db.js';
import { listArrivedFiles } from './arrivals.js';
import { Ledger } from './ledger.js';
import { expectedTracking, readTracking, sameTracking, type TrackingState } from './tracking.js';

export interface IngestionStatus {
  committedBatches: string[];
  committedFiles: number;
  pendingFiles: string[];
  generation: number;
  redis: { state: TrackingState | null; agrees: boolean | null; error: string | null };
}

export async function ingestionStatus(
  config: Config,
  db: Db,
  redis: Redis | undefined,
): Promise<IngestionStatus> {
  const ledger = new Ledger(db);
  const files = await ledger.files();
  const known = new Map(files.map((f) => [f.path, f]));
  const arrived = await listArrivedFiles(config.paths.incrementalRawDir);
  // Pending: not in the ledger, or changed on disk since (size or mtime differ; the run checks the hash).
  const pendingFiles = arrived
    .filter((f) => {
      const entry = known.get(f.path);
      return !entry || Number(entry.size_bytes) !== f.size || Number(entry.mtime_ms) !== f.mtimeMs;
    })
    .map((f) => f.path);
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
    committedFiles: files.length,
    pendingFiles,
    generation: await ledger.generation(),
    redis: { state, agrees: state ? sameTracking(state, expected) : null, error },
  };
}
