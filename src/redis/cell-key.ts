// The Redis key of one prediction cell: the one cell key (base/cell.ts), under REDIS_KEY_PREFIX. Here, below every stage, because the cache writes
// these keys and reprocessing counts which of them a backfill will change.
import { cellKey } from '../base/cell.js';
import type { Config } from '../base/config.js';
import { redisKey } from './redis.js';

export function cellCacheKey(
  config: Pick<Config, 'redisKeyPrefix'>,
  day: number,
  hour: number,
  category: string,
): string {
  return redisKey(config, cellKey({ day, hour, category }));
}
