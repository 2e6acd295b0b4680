// Which Redis is the primary and when the last failover happened, for `orderflow status`, /readyz and /metrics.
// Sentinels do not keep a failover's time, so orderflow records it itself: every process that connects (or
// reconnects) in Sentinel mode compares the primary it reached with the one recorded in Redis
// (`orderflow:redis:primary`, by run_id and address); another server at another address is a failover,
// recorded once (one script: the first process to see it writes it, the others find it already there). The
// record replicates with everything else.
import type { Config } from '../base/config.js';
import { LuaScript } from './lua-script.js';
import { RECORD_PRIMARY_SCRIPT } from './lua/record-primary.js';
import { redisKey, type Redis } from './redis.js';
import { usesSentinels, type RedisConfig } from './redis-options.js';

const recordScript = new LuaScript(RECORD_PRIMARY_SCRIPT);

type TopologyConfig = RedisConfig & Pick<Config, 'redisKeyPrefix'>;

export interface FailoverRecord {
  /** ISO time at which an orderflow process first reached the new primary. */
  at: string;
  from: string;
  to: string;
}

export interface RedisTopology {
  mode: 'direct' | 'sentinel';
  /** host:port of the primary this process is connected to (direct: REDIS_URL's). */
  primary: string;
  /** Replicas connected to the primary now (INFO replication); null when the ACL refuses INFO. */
  replicas: number | null;
  lastFailover: FailoverRecord | null;
}

function primaryKey(config: Pick<Config, 'redisKeyPrefix'>): string {
  return redisKey(config, 'orderflow:redis:primary');
}

/** host:port of the server this connection talks to, or undefined while disconnected. */
function connectedAddress(redis: Redis): string | undefined {
  const stream = redis.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  if (!stream?.remoteAddress || !stream.remotePort) return undefined;
  const host = stream.remoteAddress.replace(/^::ffff:/, '');
  return host.includes(':') ? `[${host}]:${stream.remotePort}` : `${host}:${stream.remotePort}`;
}

/**
 * Records the primary this connection reached; true when it differs from the recorded one (a failover, now
 * recorded). Direct mode records nothing: a different REDIS_URL is a new deployment, not a failover.
 */
async function recordPrimary(redis: Redis, config: TopologyConfig, now = new Date()): Promise<boolean> {
  const address = connectedAddress(redis);
  if (!usesSentinels(config) || !address) return false;
  // INFO is refused to ACL users without @dangerous: then the address alone identifies the primary.
  const info = await redis.info('server').catch(() => '');
  const runId = /^run_id:(\w+)/m.exec(info)?.[1] ?? '';
  return (await recordScript.run(redis, [primaryKey(config)], [address, runId, now.toISOString()])) === 1;
}

export async function readTopology(redis: Redis, config: TopologyConfig): Promise<RedisTopology> {
  const sentinel = usesSentinels(config);
  if (sentinel) await recordPrimary(redis, config);
  const [record, info] = await Promise.all([
    redis.hgetall(primaryKey(config)),
    redis.info('replication').catch(() => undefined), // refused by the ACL: replicas unknown
  ]);
  const connected = info === undefined ? undefined : /^connected_slaves:(\d+)/m.exec(info)?.[1];
  const replicas = connected === undefined ? null : Number(connected);
  const lastFailover =
    record.failover_at && record.previous && record.address
      ? { at: record.failover_at, from: record.previous, to: record.address }
      : null;
  const url = new URL(config.redisUrl);
  const primary = sentinel ? (connectedAddress(redis) ?? 'unknown') : `${url.hostname}:${url.port || 6379}`;
  return { mode: sentinel ? 'sentinel' : 'direct', primary, replicas, lastFailover };
}

export interface PrimaryWatch {
  close(): void;
}

/**
 * Calls `onReconnect` each time the connection is ready again after having been ready once (a reconnect,
 * after a failover or a network blip) or reaches a primary other than the recorded one, once that primary is
 * recorded; errors go to `onError`.
 */
export function watchPrimary(
  redis: Redis,
  config: TopologyConfig,
  handlers: { onReconnect?: (failover: boolean) => Promise<void>; onError: (err: unknown) => void },
): PrimaryWatch {
  let readyBefore = redis.status === 'ready';
  const onReady = (): void => {
    const again = readyBefore;
    readyBefore = true;
    (async () => {
      const failover = await recordPrimary(redis, config).catch((err: unknown) => {
        handlers.onError(err); // the repairs below still run on a reconnect
        return false;
      });
      // A first connection that finds an unrecorded failover (this process started during it) counts too.
      if (again || failover) await handlers.onReconnect?.(failover);
    })().catch(handlers.onError);
  };
  redis.on('ready', onReady);
  return { close: () => void redis.off('ready', onReady) };
}
