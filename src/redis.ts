// Redis connections and key names. Every key orderflow writes goes through `redisKey`, so the
// REDIS_KEY_PREFIX setting applies everywhere (tracking keys, cache keys, queues use it as their prefix).
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import { redisFailure } from './ops/redis-failure.js';

export type { Redis };

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

export function createRedis(config: Pick<Config, 'redisUrl'>, options: RedisConnectOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    maxRetriesPerRequest: options.forBullmq ? null : options.failFast ? 0 : 3,
    enableOfflineQueue: !options.failFast,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  const redis = new Redis(config.redisUrl, redisOptions);
  // Connection errors surface on the commands that need Redis; an unhandled 'error' event must not crash.
  redis.on('error', () => {});
  return redis;
}

/** Connects (lazy connections) and checks the server answers; a clear error naming REDIS_URL otherwise. */
export async function connectRedis(
  config: Pick<Config, 'redisUrl'>,
  options: RedisConnectOptions = {},
): Promise<Redis> {
  const redis = createRedis(config, options);
  // ioredis rejects connect() with "Connection is closed."; the reason (refused, wrong password) is the event.
  let lastEvent: Error | undefined;
  const remember = (err: Error): void => void (lastEvent = err);
  redis.on('error', remember);
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw redisFailure(config.redisUrl, err as Error, lastEvent);
  } finally {
    redis.removeListener('error', remember);
  }
}
