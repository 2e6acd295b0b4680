// PredictionCache on Redis. The refresh is one MULTI/EXEC (stale DEL + MSET + meta), guarded by WATCH on the meta
// hash so that the registry of cached categories read before the transaction is still the one being replaced.
// Where the primary has a replica, the refresh then waits (WAIT 1, bounded) until one acknowledged it, and only
// then announces the new version on the events channel (docs/design-notes.md §3 says what this guarantees).
// Lookups are one Lua script (values + meta version + hit/miss counters in a single atomic round trip).
import { randomUUID } from 'node:crypto';
import type { Config } from '../base/config.js';
import { UnavailableError } from '../base/errors.js';
import type { Redis } from '../redis/redis.js';
import { cacheKeys, cellKeysOf, type CacheKeys } from './keys.js';
import { LOOKUP_SCRIPT } from './lua/lookup.js';
import { RELEASE_LOCK_SCRIPT } from './lua/release-lock.js';
import { SET_DURATION_SCRIPT } from './lua/set-duration.js';
import { LuaScript } from '../redis/lua-script.js';
import type { CacheEntries, CacheMeta, LookupResult, PredictionCache, ReplaceResult } from './types.js';

const lookupScript = new LuaScript(LOOKUP_SCRIPT);
const releaseScript = new LuaScript(RELEASE_LOCK_SCRIPT);
const setDurationScript = new LuaScript(SET_DURATION_SCRIPT);

/** How long a refresh waits for a replica to acknowledge it before announcing it anyway. */
const REPLICA_ACK_TIMEOUT_MS = 2000;

/** Attempts of a WATCHed transaction before giving up (another writer kept changing the meta hash). */
const WATCH_ATTEMPTS = 5;

function parseMeta(raw: Record<string, string>): CacheMeta | null {
  if (!raw.model_version) return null;
  let categories: string[] = [];
  try {
    const parsed = JSON.parse(raw.categories ?? '[]') as unknown;
    if (Array.isArray(parsed)) categories = parsed.filter((c): c is string => typeof c === 'string');
  } catch {
    // A hand-edited meta hash: treat the registry as empty rather than failing every reader.
  }
  return {
    modelVersion: raw.model_version,
    generatedAt: raw.generated_at ?? '',
    count: Number(raw.count ?? 0),
    categories,
    durationMs: Number(raw.duration_ms ?? 0),
  };
}

export class RedisPredictionCache implements PredictionCache {
  readonly keys: CacheKeys;

  constructor(
    private readonly redis: Redis,
    config: Pick<Config, 'redisKeyPrefix'>,
    /** Bound of the wait for a replica's acknowledgement after a refresh. @defaultValue 2000 */
    private readonly replicaAckTimeoutMs = REPLICA_ACK_TIMEOUT_MS,
  ) {
    this.keys = cacheKeys(config);
  }

  async readMeta(): Promise<CacheMeta | null> {
    return parseMeta(await this.redis.hgetall(this.keys.meta));
  }

  async replace(entries: CacheEntries): Promise<ReplaceResult> {
    const writeStarted = performance.now();
    const { meta, keys, values } = entries;
    const pairs: string[] = new Array<string>(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      pairs[2 * i] = keys[i];
      pairs[2 * i + 1] = String(values[i]);
    }
    const current = new Set(meta.categories);
    const fields = {
      model_version: meta.modelVersion,
      generated_at: meta.generatedAt,
      count: String(meta.count),
      categories: JSON.stringify(meta.categories),
      duration_ms: String(Math.round(meta.durationMs)),
    };
    const out = await this.watchedMeta(async (old, tx) => {
      const stale = cellKeysOf(
        this.keys,
        (old?.categories ?? []).filter((c) => !current.has(c)),
      );
      if (stale.length > 0) tx.del(stale);
      tx.mset(pairs).del(this.keys.meta).hset(this.keys.meta, fields);
      tx.del(this.keys.intervals);
      if (entries.intervals) {
        const intervals: string[] = new Array<string>(keys.length * 2);
        for (let i = 0; i < keys.length; i++) {
          intervals[2 * i] = keys[i];
          intervals[2 * i + 1] = entries.intervals[i];
        }
        tx.hset(this.keys.intervals, ...intervals);
      }
      return { staleKeysDeleted: stale.length };
    });
    const replicasAcknowledged = await this.waitForReplica();
    await this.redis.publish(
      this.keys.events,
      JSON.stringify({ event: 'replace', modelVersion: meta.modelVersion }),
    );
    // The meta hash of the transaction carries the time until the write; the full time follows once acknowledged.
    const total = Math.round(meta.durationMs + performance.now() - writeStarted);
    await setDurationScript.run(this.redis, [this.keys.meta], [meta.modelVersion, meta.generatedAt, total]);
    return { ...out, replicasAcknowledged };
  }

  /**
   * WAIT 1 <timeout> when the primary has a replica connected (WAIT with none would always sit out the whole
   * timeout); the replicas that acknowledged (0 on a timeout), or null without one. A user whose ACL refuses
   * ROLE (an @admin command) gets no wait, as without a replica: the refresh itself is already written.
   */
  private async waitForReplica(): Promise<number | null> {
    let role: [string, number, unknown[]?];
    try {
      role = (await this.redis.call('ROLE')) as [string, number, unknown[]?];
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOPERM')) return null;
      throw err;
    }
    if (role[0] !== 'master' || (role[2]?.length ?? 0) === 0) return null;
    return (await this.redis.call('WAIT', 1, this.replicaAckTimeoutMs)) as number;
  }

  async lookup(cellKeys: readonly string[], expectedVersion: string): Promise<LookupResult> {
    const reply = (await lookupScript.run(
      this.redis,
      [this.keys.meta, this.keys.hits, this.keys.misses, ...cellKeys],
      [expectedVersion],
    )) as (string | null)[];
    const values = new Array<number | null>(cellKeys.length);
    for (let i = 0; i < cellKeys.length; i++) {
      const v = reply[i + 1];
      values[i] = v === null || v === undefined ? null : Number(v);
    }
    return { cachedVersion: reply[0] ?? null, values };
  }

  async peek(cellKeys: readonly string[]): Promise<(number | null)[]> {
    if (cellKeys.length === 0) return [];
    const raw =
      cellKeys.length === 1 ? [await this.redis.get(cellKeys[0])] : await this.redis.mget([...cellKeys]);
    return raw.map((v) => (v === null ? null : Number(v)));
  }

  async clear(): Promise<number> {
    let removed = 0;
    await this.watchedMeta(
      async (old, tx) => {
        const keys = [...cellKeysOf(this.keys, old?.categories ?? []), this.keys.meta];
        tx.del(keys).del(this.keys.hits, this.keys.misses).del(this.keys.intervals);
        tx.publish(this.keys.events, JSON.stringify({ event: 'clear' }));
        return undefined;
      },
      (results) => {
        removed = Number(results[0]?.[1] ?? 0);
      },
    );
    return removed;
  }

  /** Adds hits counted outside the lookup script (the API's in-memory tier, near-cache.ts). */
  async addHits(n: number): Promise<void> {
    if (n > 0) await this.redis.incrby(this.keys.hits, n);
  }

  async counters(): Promise<{ hits: number; misses: number }> {
    const [hits, misses] = await this.redis.mget(this.keys.hits, this.keys.misses);
    return { hits: Number(hits ?? 0), misses: Number(misses ?? 0) };
  }

  async memoryUsedBytes(): Promise<number> {
    const info = await this.redis.info('memory');
    const match = /^used_memory:(\d+)/m.exec(info);
    return match ? Number(match[1]) : 0;
  }

  async tryLock(ttlMs: number): Promise<(() => Promise<void>) | null> {
    const token = randomUUID();
    const ok = await this.redis.set(this.keys.refreshLock, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return async () => {
      await releaseScript.run(this.redis, [this.keys.refreshLock], [token]);
    };
  }

  /**
   * WATCH meta → read it → queue commands built from it → EXEC; retried when another writer changed the meta
   * hash in between (EXEC returns null), so the registry used to pick stale keys is never out of date.
   */
  private async watchedMeta<T>(
    build: (old: CacheMeta | null, tx: ReturnType<Redis['multi']>) => Promise<T>,
    onResults?: (results: [Error | null, unknown][]) => void,
  ): Promise<T> {
    for (let attempt = 0; attempt < WATCH_ATTEMPTS; attempt++) {
      await this.redis.watch(this.keys.meta);
      let out: T;
      const tx = this.redis.multi();
      try {
        out = await build(await this.readMeta(), tx);
      } catch (err) {
        await this.redis.unwatch();
        throw err;
      }
      const results = await tx.exec();
      if (results === null) continue;
      const failed = results.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      onResults?.(results);
      return out;
    }
    throw new UnavailableError(
      `the cache meta hash ${this.keys.meta} kept changing during ${WATCH_ATTEMPTS} attempts; try again`,
    );
  }
}
