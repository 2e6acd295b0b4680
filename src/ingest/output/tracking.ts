// Redis tracking compatible with the original system: SET processed_days (batch folders committed) and
// string last_processed_day. Written only after the ledger commit and the output, in one MULTI/EXEC,
// and rebuilt from the ledger whenever Redis disagrees (after a FLUSHALL or a restart without persistence).
// Runs commit concurrently, so writers of these keys take turns (syncTracking): each reads the ledger and writes
// Redis under one advisory lock, and the last to write read the ledger after every commit before it.
import type { Config } from '../../base/config.js';
import type { Redis } from '../../redis/redis.js';
import { redisKey } from '../../redis/redis.js';
import type { Db } from '../../store/db.js';
import { compareBatches } from '../landing/arrivals.js';
import { committedBatches } from '../ledger/ledger.js';

export interface TrackingState {
  processedDays: string[];
  lastProcessedDay: string | null;
}

function trackingKeys(config: Pick<Config, 'redisKeyPrefix'>) {
  return {
    processedDays: redisKey(config, 'processed_days'),
    lastProcessedDay: redisKey(config, 'last_processed_day'),
  };
}

export function expectedTracking(batches: string[]): TrackingState {
  const processedDays = [...batches].sort(compareBatches);
  return { processedDays, lastProcessedDay: processedDays.at(-1) ?? null };
}

export async function readTracking(
  redis: Redis,
  config: Pick<Config, 'redisKeyPrefix'>,
): Promise<TrackingState> {
  const keys = trackingKeys(config);
  const [[, members], [, last]] = (await redis
    .multi()
    .smembers(keys.processedDays)
    .get(keys.lastProcessedDay)
    .exec()) as [[Error | null, string[]], [Error | null, string | null]];
  return { processedDays: [...members].sort(compareBatches), lastProcessedDay: last };
}

export function sameTracking(a: TrackingState, b: TrackingState): boolean {
  return (
    a.lastProcessedDay === b.lastProcessedDay &&
    a.processedDays.join('\u0000') === b.processedDays.join('\u0000')
  );
}

/** Makes Redis say `expected`; returns what it said before. One MULTI/EXEC: readers see old or new. */
export async function writeTracking(
  redis: Redis,
  config: Pick<Config, 'redisKeyPrefix'>,
  expected: TrackingState,
): Promise<void> {
  const keys = trackingKeys(config);
  const tx = redis.multi().del(keys.processedDays);
  if (expected.processedDays.length > 0) tx.sadd(keys.processedDays, ...expected.processedDays);
  if (expected.lastProcessedDay === null) tx.del(keys.lastProcessedDay);
  else tx.set(keys.lastProcessedDay, expected.lastProcessedDay);
  await tx.exec();
}

/** The advisory lock key the writers of the tracking keys take turns on (any fixed 64-bit number). */
const TRACKING_LOCK = 0x6f72_6466_7472;

export interface TrackingSync {
  changed: boolean;
  had: TrackingState;
  now: TrackingState;
}

/**
 * Makes the tracking keys say what the ledger says now. Read and write happen under a transaction-scoped advisory
 * lock: two runs finishing at once cannot leave the older view last in Redis.
 */
export async function syncTracking(
  db: Db,
  redis: Redis,
  config: Pick<Config, 'redisKeyPrefix'>,
): Promise<TrackingSync> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [TRACKING_LOCK]);
    const now = expectedTracking(await committedBatches(tx));
    const had = await readTracking(redis, config);
    if (sameTracking(had, now)) return { changed: false, had, now };
    await writeTracking(redis, config, now);
    return { changed: true, had, now };
  });
}
