// After a pipeline process reconnects to Redis (a Sentinel failover promoted a replica, or the server came
// back), the new primary may lack the last writes the old one acknowledged: replication is asynchronous. Two
// views are rebuilt at once instead of waiting for their DAGs:
// - the prediction cache, when the cached model version is not the current model's (refreshCache compares them
//   and writes nothing when they agree);
// - the tracking keys, when they differ from the ledger (the source of truth).
// Both steps are idempotent: the cache repair gives way to a refresh already running elsewhere (the refresh lock,
// which will write the keys anyway); the tracking repair takes its turn with the runs' own tracking writes
// (tracking.ts syncTracking), so whichever writes last read the newest ledger.
import type { Config } from '../base/config.js';
import { LockedError, toError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { refreshCache, type RefreshResult } from '../cache/refresh.js';
import { syncTracking } from '../ingest/output/tracking.js';
import type { Redis } from '../redis/redis.js';
import { watchPrimary, type PrimaryWatch } from '../redis/redis-topology.js';
import type { Db } from '../store/db.js';

export interface RepairDeps {
  config: Config;
  logger: Logger;
  db: Db;
  redis: Redis;
}

export interface RepairResult {
  /** The refresh's status, or 'busy' when another refresh held the lock. */
  cache: RefreshResult['status'] | 'busy';
  /** 'rebuilt' when Redis lagged the ledger. */
  tracking: 'agreed' | 'rebuilt';
}

async function repairCache(deps: RepairDeps): Promise<RepairResult['cache']> {
  try {
    const result = await refreshCache(
      { config: deps.config, logger: deps.logger, redis: deps.redis },
      { lockWaitMs: 0 },
    );
    if (result.status === 'refreshed')
      deps.logger.warn(
        { previousVersion: result.previousVersion, modelVersion: result.modelVersion },
        'the Redis primary held another model version than the current one: refreshed the cache on it',
      );
    return result.status;
  } catch (err) {
    if (err instanceof LockedError) return 'busy';
    throw err;
  }
}

async function repairTracking(deps: RepairDeps): Promise<RepairResult['tracking']> {
  const sync = await syncTracking(deps.db, deps.redis, deps.config);
  if (!sync.changed) return 'agreed';
  deps.logger.warn(
    { had: sync.had, now: sync.now },
    'the Redis primary lagged the ledger after a reconnect: rebuilt the tracking keys',
  );
  return 'rebuilt';
}

/** Both repairs; one failing does not stop the other, and failures are logged, not thrown. */
export async function repairAfterReconnect(deps: RepairDeps): Promise<Partial<RepairResult>> {
  const out: Partial<RepairResult> = {};
  const [cache, tracking] = await Promise.allSettled([repairCache(deps), repairTracking(deps)]);
  if (cache.status === 'fulfilled') out.cache = cache.value;
  else deps.logger.warn({ err: toError(cache.reason) }, 'cache check after a Redis reconnect failed');
  if (tracking.status === 'fulfilled') out.tracking = tracking.value;
  else deps.logger.warn({ err: toError(tracking.reason) }, 'tracking check after a Redis reconnect failed');
  return out;
}

/**
 * Runs the repairs each time `deps.redis` reconnects (see redis-topology.ts watchPrimary), one at a time;
 * `onRepaired` is told the outcome (tests, logs).
 */
export function startFailoverRepair(
  deps: RepairDeps,
  onRepaired?: (result: Partial<RepairResult> & { failover: boolean }) => void,
): PrimaryWatch {
  let chain: Promise<void> = Promise.resolve();
  return watchPrimary(deps.redis, deps.config, {
    onReconnect: (failover) =>
      (chain = chain.then(async () => {
        if (failover)
          deps.logger.warn('Redis failover: a new primary serves; checking the cache and tracking keys');
        const result = await repairAfterReconnect(deps);
        onRepaired?.({ ...result, failover });
      })),
    onError: (err) => deps.logger.warn({ err: toError(err) }, 'could not record the Redis primary'),
  });
}
