// Redis key names of the prediction cache. Cell keys keep the original plain format `{day}:{hour}:{category}`
// (a user runs `GET "0:9:fresh fruits"` in redis-cli); the bookkeeping keys live under `orderflow:cache:`.
// Every name goes through `redisKey`, so REDIS_KEY_PREFIX applies to all of them.
import type { Config } from '../base/config.js';

import { cellCacheKey } from '../redis/cell-key.js';
import { redisKey } from '../redis/redis.js';
import { DAYS, HOURS } from '../base/cell.js';

type KeyConfig = Pick<Config, 'redisKeyPrefix'>;

export interface CacheKeys {
  /** Hash: model_version, generated_at, count, categories (JSON array — the registry of cached keys), duration_ms. */
  meta: string;
  hits: string;
  misses: string;
  /** Hash: cell key → "low,high", the 10–90 % interval cached next to each point value (same transaction). */
  intervals: string;
  /** Pub/sub channel: a message is published in the same transaction as every replace and clear. */
  events: string;
  /** SET NX PX lock held while a refresh writes (at most one refresh at a time). */
  refreshLock: string;
  cell(day: number, hour: number, category: string): string;
}

export function cacheKeys(config: KeyConfig): CacheKeys {
  return {
    meta: redisKey(config, 'orderflow:cache:meta'),
    hits: redisKey(config, 'orderflow:cache:hits'),
    misses: redisKey(config, 'orderflow:cache:misses'),
    intervals: redisKey(config, 'orderflow:cache:intervals'),
    refreshLock: redisKey(config, 'orderflow:cache:refresh-lock'),
    events: redisKey(config, 'orderflow:cache:events'),
    cell: (day, hour, category) => cellCacheKey(config, day, hour, category),
  };
}

/** Every cell key of the given categories, in grid order (day, hour, category). */
export function cellKeysOf(keys: CacheKeys, categories: readonly string[]): string[] {
  const out: string[] = [];
  for (let d = 0; d < DAYS; d++)
    for (let h = 0; h < HOURS; h++) for (const c of categories) out.push(keys.cell(d, h, c));
  return out;
}
