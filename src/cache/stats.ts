// `cache stats`: what is cached (version vs the current model), when it was refreshed, hit/miss counters,
// Redis memory and the lookup round trip measured on a short sample of GETs (which are not counted as hits).
import type { Config } from '../base/config.js';
import { readCurrentPointer } from '../ml/artifact.js';
import type { Redis } from '../redis/redis.js';
import { cacheKeys } from './keys.js';
import { RedisPredictionCache } from './redis-cache.js';
import type { PredictionCache } from './types.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface CacheStats {
  cachedPredictions: number;
  cachedVersion: string | null;
  /** The version DATA_DIR/models/current.json names (null when none is trained). */
  currentVersion: string | null;
  upToDate: boolean;
  lastRefreshAt: string | null;
  lastRefreshAgeSeconds: number | null;
  lastRefreshDurationMs: number | null;
  hits: number;
  misses: number;
  /** hits / (hits + misses); null before any lookup. */
  hitRate: number | null;
  redisMemoryUsedBytes: number;
  /** GET round trip of random cached cells; null when the cache is empty. */
  lookupLatency: { samples: number; p50Ms: number; p99Ms: number } | null;
}

export interface StatsOptions {
  /** GETs timed for the latency figures. @defaultValue 200 */
  samples?: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export async function cacheStats(
  deps: { config: Pick<Config, 'redisKeyPrefix' | 'paths'>; redis: Redis; cache?: PredictionCache },
  options: StatsOptions = {},
): Promise<CacheStats> {
  const cache = deps.cache ?? new RedisPredictionCache(deps.redis, deps.config);
  const keys = cacheKeys(deps.config);
  const [meta, counters, memory, pointer] = await Promise.all([
    cache.readMeta(),
    cache.counters(),
    cache.memoryUsedBytes(),
    readCurrentPointer(deps.config.paths.modelsDir),
  ]);
  let lookupLatency: CacheStats['lookupLatency'] = null;
  const samples = options.samples ?? 200;
  if (meta && meta.categories.length > 0 && samples > 0) {
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const key = keys.cell(
        Math.floor(Math.random() * DAYS),
        Math.floor(Math.random() * HOURS),
        meta.categories[Math.floor(Math.random() * meta.categories.length)],
      );
      const t = performance.now();
      await cache.peek([key]);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    lookupLatency = { samples, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
  }
  const refreshedAt = meta ? Date.parse(meta.generatedAt) : NaN;
  const lookups = counters.hits + counters.misses;
  return {
    cachedPredictions: meta?.count ?? 0,
    cachedVersion: meta?.modelVersion ?? null,
    currentVersion: pointer?.version ?? null,
    upToDate: meta !== null && meta.modelVersion === pointer?.version,
    lastRefreshAt: meta?.generatedAt ?? null,
    lastRefreshAgeSeconds: Number.isNaN(refreshedAt) ? null : Math.max(0, (Date.now() - refreshedAt) / 1000),
    lastRefreshDurationMs: meta?.durationMs ?? null,
    hits: counters.hits,
    misses: counters.misses,
    hitRate: lookups === 0 ? null : counters.hits / lookups,
    redisMemoryUsedBytes: memory,
    lookupLatency,
  };
}
