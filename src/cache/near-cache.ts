// The API's in-memory tier in front of the Redis prediction cache. A value the lookup script returned for model
// version V is V's prediction for that cell and never changes, so serving it again from memory is correct; what
// can change is whether Redis still holds it. Every replace and clear publishes on the cache's event channel
// (redis-cache.ts), and this tier forgets everything when such a message arrives or while
// its subscription is down. A change nobody announces (FLUSHALL, a key deleted by hand) is seen within `ttlMs`.
// Hits served here are added to the Redis hit counter every second, so `cache stats` still counts every lookup.
//
//   const near = NearCache.open(new RedisPredictionCache(redis, config), redis, { ttlMs: 5000 });
//   await near.lookup(keys, version);   // memory when every key is there for `version`, else one script call
//   await near.close();                 // flushes the counted hits, drops the subscription
import { systemClock, type Clock } from '../base/clock.js';
import type { Redis } from '../redis/redis.js';
import type { RedisPredictionCache } from './redis-cache.js';
import type { CacheEntries, CacheMeta, LookupResult, PredictionCache, ReplaceResult } from './types.js';

export interface NearCacheOptions {
  /** How long a value read from Redis is served from memory. */
  ttlMs: number;
  /** Values kept at most; the grid of 134 categories is 22,512 cells. @defaultValue 200,000 */
  maxEntries?: number;
  /** How often hits served from memory are added to the Redis counter. @defaultValue 1000 */
  flushHitsMs?: number;
  /** What the TTL is measured by. @defaultValue systemClock */
  clock?: Clock;
}

interface Entry {
  value: number;
  expiresAt: number;
}

export class NearCache implements PredictionCache {
  private entries = new Map<string, Entry>();
  /** The model version every entry belongs to. */
  private version: string | null = null;
  /** Bumped on every invalidation: a lookup sent before one must not store what it read. */
  private epoch = 0;
  private subscribed = false;
  private pendingHits = 0;
  private readonly flushTimer: NodeJS.Timeout;

  private constructor(
    private readonly inner: RedisPredictionCache,
    private readonly subscriber: Redis,
    private readonly options: NearCacheOptions,
  ) {
    this.flushTimer = setInterval(() => void this.flushHits(), options.flushHitsMs ?? 1000);
    this.flushTimer.unref();
  }

  /** Never fails because Redis is down: until the subscription is up, every lookup goes to Redis. */
  static open(inner: RedisPredictionCache, redis: Redis, options: NearCacheOptions): NearCache {
    // Own connection in subscriber mode; re-subscribed by hand on each 'ready' so `subscribed` is exact.
    const subscriber = redis.duplicate({
      lazyConnect: true,
      enableOfflineQueue: true,
      enableAutoPipelining: false,
      autoResubscribe: false,
    });
    const near = new NearCache(inner, subscriber, options);
    const channel = inner.keys.events;
    subscriber.on('error', () => {});
    subscriber.on('message', (ch: string) => {
      if (ch === channel) near.invalidate();
    });
    subscriber.on('close', () => {
      near.subscribed = false;
      near.invalidate();
    });
    subscriber.on('ready', () => {
      subscriber.subscribe(channel).then(
        () => {
          near.invalidate(); // anything announced while unsubscribed is unknown: start empty
          near.subscribed = true;
        },
        () => {},
      );
    });
    subscriber.connect().catch(() => {});
    return near;
  }

  /** Whether lookups may be answered from memory (the invalidation channel is subscribed). */
  get active(): boolean {
    return this.subscribed;
  }

  get size(): number {
    return this.entries.size;
  }

  invalidate(): void {
    this.epoch++;
    this.entries.clear();
    this.version = null;
  }

  async lookup(cellKeys: readonly string[], expectedVersion: string): Promise<LookupResult> {
    if (!this.subscribed || expectedVersion === '') return this.inner.lookup(cellKeys, expectedVersion);
    if (this.version === expectedVersion) {
      const now = (this.options.clock ?? systemClock).now();
      const values = new Array<number>(cellKeys.length);
      let i = 0;
      for (; i < cellKeys.length; i++) {
        const entry = this.entries.get(cellKeys[i]);
        if (entry === undefined || entry.expiresAt < now) break;
        values[i] = entry.value;
      }
      if (i === cellKeys.length) {
        this.pendingHits += cellKeys.length;
        return { cachedVersion: expectedVersion, values };
      }
    }
    // One miss sends the whole call to Redis, whose script counts hits and misses as always.
    const epoch = this.epoch;
    const result = await this.inner.lookup(cellKeys, expectedVersion);
    if (epoch === this.epoch && this.subscribed && result.cachedVersion === expectedVersion)
      this.remember(cellKeys, result, expectedVersion);
    return result;
  }

  private remember(cellKeys: readonly string[], result: LookupResult, version: string): void {
    if (this.version !== version) {
      this.entries.clear();
      this.version = version;
    }
    if (this.entries.size + cellKeys.length > (this.options.maxEntries ?? 200_000)) this.entries.clear();
    const expiresAt = (this.options.clock ?? systemClock).now() + this.options.ttlMs;
    cellKeys.forEach((key, i) => {
      const value = result.values[i];
      if (value !== null) this.entries.set(key, { value, expiresAt });
    });
  }

  private async flushHits(): Promise<void> {
    const n = this.pendingHits;
    if (n === 0) return;
    this.pendingHits = 0;
    try {
      await this.inner.addHits(n);
    } catch {
      this.pendingHits += n; // Redis away: counted on a later flush
    }
  }

  /** Flushes the hits served from memory and closes the subscription. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushHits();
    this.subscribed = false;
    this.subscriber.disconnect();
  }

  async replace(entries: CacheEntries): Promise<ReplaceResult> {
    this.invalidate();
    return this.inner.replace(entries);
  }

  async clear(): Promise<number> {
    this.invalidate();
    return this.inner.clear();
  }

  readMeta(): Promise<CacheMeta | null> {
    return this.inner.readMeta();
  }

  peek(cellKeys: readonly string[]): Promise<(number | null)[]> {
    return this.inner.peek(cellKeys);
  }

  counters(): Promise<{ hits: number; misses: number }> {
    return this.inner.counters();
  }

  memoryUsedBytes(): Promise<number> {
    return this.inner.memoryUsedBytes();
  }

  tryLock(ttlMs: number): Promise<(() => Promise<void>) | null> {
    return this.inner.tryLock(ttlMs);
  }
}
