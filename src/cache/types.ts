// The narrow interface the cache stage and the Predictor depend on; Redis is one implementation
// (redis-cache.ts). Stage code never calls ioredis directly.

/** What the meta hash says about the cached version; written in the same step as the keys. */
export interface CacheMeta {
  modelVersion: string;
  /** ISO time of the refresh. */
  generatedAt: string;
  /** Number of cell keys written. */
  count: number;
  /** Category names cached: the registry used to delete stale keys without KEYS. */
  categories: string[];
  /**
   * Whole refresh time in ms (loading, predicting, writing). `replace` receives the time spent before the write
   * and records the total once the write is acknowledged.
   */
  durationMs: number;
}

/** One cell's cached value; null when absent or written by a different model version than expected. */
export type CachedValue = number | null;

export interface LookupResult {
  /** The model version the cache holds, or null when the cache is empty. */
  cachedVersion: string | null;
  values: CachedValue[];
}

export interface CacheEntries {
  meta: CacheMeta;
  /** Cell keys in grid order, aligned with `values`. */
  keys: string[];
  values: Float64Array | number[];
  /** "low,high" per key (10–90 % of the predictive count distribution); written to the intervals hash. */
  intervals?: string[];
}

export interface ReplaceResult {
  /** Keys of categories the new model no longer has, deleted in the same step. */
  staleKeysDeleted: number;
  /**
   * Replicas that acknowledged the write (WAIT) before it was announced on the events channel; null when the
   * primary had no replica connected (nothing to wait for).
   */
  replicasAcknowledged: number | null;
}

export interface PredictionCache {
  readMeta(): Promise<CacheMeta | null>;
  /**
   * Replaces the whole cache in one atomic step: keys of categories no longer present are deleted, every key
   * of `entries` and the meta hash are written. A concurrent reader sees the old version or the new one. Where a
   * replica is connected, waits (bounded) until one acknowledged the write before announcing it.
   */
  replace(entries: CacheEntries): Promise<ReplaceResult>;
  /** Looks cells up and counts hits/misses in the same round trip. `expectedVersion` '' accepts any version. */
  lookup(cellKeys: readonly string[], expectedVersion: string): Promise<LookupResult>;
  /** Reads cells without counting them (GET / MGET): for stats and checks. */
  peek(cellKeys: readonly string[]): Promise<CachedValue[]>;
  /** Removes every cell key in the registry, the meta hash and the counters; returns the number of keys removed. */
  clear(): Promise<number>;
  counters(): Promise<{ hits: number; misses: number }>;
  /** Redis `used_memory` in bytes. */
  memoryUsedBytes(): Promise<number>;
  /** Takes the refresh lock for `ttlMs`; returns a release function, or null when another holder has it. */
  tryLock(ttlMs: number): Promise<(() => Promise<void>) | null>;
}
