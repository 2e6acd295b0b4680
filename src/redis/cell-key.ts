// The Redis key of one prediction cell: the original system's plain `{day}:{hour}:{category}` (a user runs
// `GET "0:9:fresh fruits"` in redis-cli), under REDIS_KEY_PREFIX. Here, below every stage, because the cache writes
// these keys and reprocessing counts which of them a backfill will change.
import type { Config } from '../base/config.js';
import { redisKey } from './redis.js';

export function cellCacheKey(
  config: Pick<Config, 'redisKeyPrefix'>,
  day: number,
  hour: number,
  category: string,
): string {
  return redisKey(config, `${day}:${hour}:${category}`);
}
