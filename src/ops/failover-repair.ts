// After a pipeline process reconnects to Redis (a Sentinel failover promoted a replica, or the server came
// back), the new primary may lack the last writes the old one acknowledged: replication is asynchronous. Two
// views are rebuilt at once instead of waiting for their DAGs:
// - the prediction cache, when the cached model version is not the current model's (refreshCache compares them
//   and writes nothing when they agree);
// - the tracking keys, when they differ from the ledger (the source of truth).
// Both steps are idempotent and each gives way to the stage that owns the keys: a refresh already running
// elsewhere (the refresh lock) or an incremental run in progress (the run lock) will write them anyway.
import type { Config } from '../config.js';
import { LockedError, toError } from '../errors.js';
import type { Logger } from '../log.js';
import { refreshCache, type RefreshResult } from '../cache/refresh.js';
import { Ledger } from '../processing/ledger.js';
import { acquireRunLock } from '../processing/run-lock.js';
import { expectedTracking, readTracking, sameTracking, writeTracking } from '../processing/tracking.js';
import type { Redis } from '../redis.js';
import { watchPrimary, type PrimaryWatch } from '../redis-topology.js';
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
  /** 'rebuilt' when Redis lagged the ledger, 'busy' when an incremental run was in progress. */
  tracking: 'agreed' | 'rebuilt' | 'busy';
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
  let lock;
  try {
    lock = await acquireRunLock(deps.db, 'incremental');
  } catch (err) {
    if (err instanceof LockedError) return 'busy';
    throw err;
  }
  try {
    const expected = expectedTracking(await new Ledger(deps.db).committedBatches());
    const current = await readTracking(deps.redis, deps.config);
    if (sameTracking(current, expected)) return 'agreed';
    await writeTracking(deps.redis, deps.config, expected);
    deps.logger.warn(
      { had: current, now: expected },
      'the Redis primary lagged the ledger after a reconnect: rebuilt the tracking keys',
    );
    return 'rebuilt';
  } finally {
    await lock.release();
  }
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
