// How the Redis settings become ioredis options, for every connection orderflow opens (stages, cache, BullMQ
// queues, workers, schedulers, the API's subscriptions). Two modes:
// - direct: REDIS_URL names the host, port, user, password, database and TLS (rediss://);
// - Sentinel: REDIS_SENTINELS name the sentinels, which name the primary of REDIS_SENTINEL_NAME; REDIS_URL still
//   gives the data nodes' user, password, database and TLS (its host and port are ignored).
// Also the one place that prints where Redis is without its password (error messages, status).
import type { RedisOptions } from 'ioredis';
import type { Config } from '../base/config.js';

/** The settings a connection needs; the sentinel ones may be absent (tests, older callers: direct mode). */
export type RedisConfig = Pick<Config, 'redisUrl'> &
  Partial<
    Pick<Config, 'redisSentinels' | 'redisSentinelName' | 'redisSentinelPassword' | 'redisSentinelTls'>
  >;

interface UrlParts {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number;
  tls: boolean;
}

function urlParts(redisUrl: string): UrlParts {
  const url = new URL(redisUrl);
  const decode = (s: string): string | undefined => (s === '' ? undefined : decodeURIComponent(s));
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    username: decode(url.username),
    password: decode(url.password),
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:',
  };
}

export function usesSentinels(config: RedisConfig): boolean {
  return (config.redisSentinels?.length ?? 0) > 0;
}

/** The connection part of ioredis options (no retry or queueing policy: redis.ts adds those). */
export function redisOptionsOf(config: RedisConfig): RedisOptions {
  const url = urlParts(config.redisUrl);
  const auth = { username: url.username, password: url.password, db: url.db };
  if (!usesSentinels(config)) {
    return { host: url.host, port: url.port, ...auth, ...(url.tls ? { tls: {} } : {}) };
  }
  return {
    sentinels: config.redisSentinels!.map((s) => ({ host: s.host, port: s.port })),
    name: config.redisSentinelName,
    role: 'master',
    sentinelPassword: config.redisSentinelPassword,
    ...(config.redisSentinelTls ? { sentinelTLS: {} } : {}),
    // rediss:// in REDIS_URL: the data nodes the sentinels name speak TLS.
    ...(url.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    ...auth,
  };
}

/** REDIS_URL with its password replaced by `***`. */
function redactedRedisUrl(redisUrl: string): string {
  try {
    const url = new URL(redisUrl);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/** Where orderflow looks for Redis, for messages: the settings that decide it, without passwords. */
export function describeRedisTarget(config: RedisConfig): string {
  if (!usesSentinels(config)) return `REDIS_URL=${redactedRedisUrl(config.redisUrl)}`;
  const list = config.redisSentinels!.map((s) => sentinelAddress(s)).join(',');
  return `the primary REDIS_SENTINEL_NAME=${config.redisSentinelName} of REDIS_SENTINELS=${list}`;
}

export function sentinelAddress(s: { host: string; port: number }): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}
