// Redis tracking compatible with the original system: SET processed_days (batch folders committed) and
// string last_processed_day. Written only after the ledger commit and the output, in one MULTI/EXEC,
// and rebuilt from the ledger whenever Redis disagrees (after a FLUSHALL or a restart without persistence).
import type { Config } from '../config.js';
import type { Redis } from '../redis.js';
import { redisKey } from '../redis.js';
import { compareBatches } from './arrivals.js';

export interface TrackingState {
  processedDays: string[];
  lastProcessedDay: string | null;
}

export function trackingKeys(config: Pick<Config, 'redisKeyPrefix'>) {
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
