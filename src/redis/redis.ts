// Redis connections and key names. Every connection orderflow opens is made here, from the one config (direct
// REDIS_URL or REDIS_SENTINELS, see redis-options.ts), and every key it writes goes through `redisKey`, so the
// REDIS_KEY_PREFIX setting applies everywhere (tracking keys, cache keys, queues use it as their prefix).
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../base/config.js';
import { redisFailure } from './redis-failure.js';
import { UnavailableError } from '../base/errors.js';
import { redisOptionsOf, usesSentinels, type RedisConfig } from './redis-options.js';
import { diagnoseSentinels } from './redis-sentinel-check.js';

export type { Redis };
export type { RedisConfig };

export function redisKey(config: Pick<Config, 'redisKeyPrefix'>, name: string): string {
  return config.redisKeyPrefix + name;
}

export interface RedisConnectOptions {
  /** Fail commands at once while disconnected instead of queueing them (the cache's fallback needs this). */
  failFast?: boolean;
  /** BullMQ needs `maxRetriesPerRequest: null` on the connections it blocks on. */
  forBullmq?: boolean;
  connectTimeoutMs?: number;
}

export function createRedis(config: RedisConfig, options: RedisConnectOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    ...redisOptionsOf(config),
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    maxRetriesPerRequest: options.forBullmq ? null : options.failFast ? 0 : 3,
    enableOfflineQueue: !options.failFast,
    // Back soon after an outage (a failover takes seconds): at most 1 s between two attempts.
    retryStrategy: (times) => Math.min(times * 100, 1000),
    // During a failover the sentinels may still name the old primary for a moment: try them again soon.
    sentinelRetryStrategy: (times) => Math.min(times * 100, 1000),
    // A primary demoted to a replica (a failover while it lived) answers writes with READONLY: reconnect, so the
    // sentinels name the new primary, and send the command again.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
  const redis = new Redis(redisOptions);
  // Connection errors surface on the commands that need Redis; an unhandled 'error' event must not crash.
  redis.on('error', () => {});
  return redis;
}

/**
 * Connects (lazy connections) and checks the server answers; a clear error naming the settings otherwise
 * (REDIS_URL, or which of REDIS_SENTINELS / REDIS_SENTINEL_NAME is wrong).
 */
export async function connectRedis(config: RedisConfig, options: RedisConnectOptions = {}): Promise<Redis> {
  const redis = createRedis(config, options);
  // ioredis rejects connect() with "Connection is closed."; the reason (refused, wrong password) is the event.
  let lastEvent: Error | undefined;
  const remember = (err: Error): void => void (lastEvent = err);
  redis.on('error', remember);
  // In Sentinel mode ioredis keeps asking the sentinels until one names a primary: bound the first attempt.
  const limitMs = usesSentinels(config) ? Math.max(options.connectTimeoutMs ?? 2000, 1000) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let onError: ((err: Error) => void) | undefined;
  try {
    const ready = (async () => {
      await redis.connect();
      await redis.ping();
    })();
    if (limitMs === undefined) await ready;
    else {
      ready.catch(() => {}); // its failure is the race's failure, or comes after the timeout (then moot)
      await Promise.race([
        ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no primary within ${limitMs} ms`)), limitMs);
          // One full round over the sentinels without a primary: no need to wait for the time limit.
          onError = (err) => {
            if (err.message.startsWith('All sentinels are unreachable')) reject(err);
          };
          redis.on('error', onError);
        }),
      ]);
    }
    return redis;
  } catch (err) {
    redis.disconnect();
    if (!usesSentinels(config)) throw redisFailure(config.redisUrl, err as Error, lastEvent);
    const why = await diagnoseSentinels(config, options.connectTimeoutMs ?? 1000);
    throw new UnavailableError(
      `cannot reach Redis through the sentinels: ${why}; check REDIS_SENTINELS and REDIS_SENTINEL_NAME`,
      { cause: err },
    );
  } finally {
    redis.removeListener('error', remember);
    clearTimeout(timer);
    if (onError) redis.off('error', onError);
  }
}
