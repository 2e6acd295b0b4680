// The login rate limiter's counters: in Redis, shared by every API process, and in this process's memory while
// Redis cannot answer. @fastify/rate-limit's own Redis store fails closed (every login, right password included,
// got a 500 while Redis was down); this one degrades to a per-process limit instead, which still stops a password
// guesser on this process, and goes back to Redis as soon as it answers.
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import type { Logger } from '../base/log.js';
import type { Redis } from '../redis/redis.js';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

class MemoryCounters {
  private readonly counters = new Map<string, { count: number; resetAt: number }>();

  incr(key: string, windowMs: number, now = Date.now()): { current: number; ttl: number } {
    let c = this.counters.get(key);
    if (!c || c.resetAt <= now) {
      // Drop expired counters on the way, so the map cannot grow with addresses seen long ago.
      for (const [k, v] of this.counters) if (v.resetAt <= now) this.counters.delete(k);
      c = { count: 0, resetAt: now + windowMs };
      this.counters.set(key, c);
    }
    c.count += 1;
    return { current: c.count, ttl: c.resetAt - now };
  }
}

export interface FallbackStoreOptions {
  redis: Redis;
  /** Prefix of the Redis keys (REDIS_KEY_PREFIX + "login-rate:"). */
  nameSpace: string;
  logger?: Pick<Logger, 'warn'>;
}

/** A store class for @fastify/rate-limit's `store` option. */
export function fallbackStore(options: FallbackStoreOptions): new () => FastifyRateLimitStore {
  const memory = new MemoryCounters();
  let degraded = false;
  const make = (prefix: string): FastifyRateLimitStore => ({
    incr(key: string, callback: Callback, timeWindow: number): void {
      const k = prefix + key;
      // SET NX starts a window with its TTL; INCR keeps the TTL. One MULTI, any Redis version.
      options.redis
        .multi()
        .set(k, '0', 'PX', timeWindow, 'NX')
        .incr(k)
        .pttl(k)
        .exec()
        .then((results) => {
          const current = Number(results?.[1]?.[1]);
          const ttl = Number(results?.[2]?.[1]);
          if (!Number.isFinite(current)) throw new Error('rate-limit counter missing from the reply');
          degraded = false;
          callback(null, { current, ttl: ttl > 0 ? ttl : timeWindow });
        })
        .catch((err: unknown) => {
          if (!degraded)
            options.logger?.warn({ err }, 'login rate limit: Redis unavailable, counting in memory');
          degraded = true;
          callback(null, memory.incr(k, timeWindow));
        });
    },
    child(routeOptions) {
      return make(`${options.nameSpace}${String(routeOptions.method)}${routeOptions.url}-`);
    },
  });
  return class {
    constructor() {
      return make(options.nameSpace);
    }
  } as unknown as new () => FastifyRateLimitStore;
}
