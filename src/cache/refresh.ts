// Stage: refresh the prediction cache from the current model. Called by `orderflow cache refresh`, by the
// Predictor's rewarm on a miss, and by the scheduler's redis_cache_dag:
//
//   const result = await refreshCache({ config, logger, redis }, { force: false });
//   // → { status: 'refreshed' | 'unchanged' | 'no-model', modelVersion, previousVersion, count,
//   //     staleKeysDeleted, durationMs }
//
// - 'unchanged': the cache already holds the current model version (nothing written; `force` rewrites anyway).
// - 'no-model': no model is trained yet (DATA_DIR/models/current.json missing); nothing written.
// - Only one refresh writes at a time (a Redis lock); a second caller waits up to `lockWaitMs` and then
//   re-checks, so it usually returns 'unchanged'. LockedError when the wait runs out.
// - UnavailableError (from connectRedis / ioredis errors) when Redis cannot be reached.
// The write is one atomic step (see RedisPredictionCache.replace): all 7 × 24 × C keys, the deletion of keys of
// categories the new model no longer has, and the meta hash.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../base/config.js';
import { LockedError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { readCurrentPointer } from '../ml/artifact.js';
import { dispersionFor, intervalOf } from '../ml/intervals.js';
import { loadCurrentModel, type LoadedModel } from '../ml/predictor.js';
import type { Redis } from '../redis/redis.js';
import { cacheKeys, cellKeysOf } from './keys.js';
import type { ModelSource } from './model-source.js';
import { RedisPredictionCache } from './redis-cache.js';
import type { PredictionCache } from './types.js';

export interface RefreshDeps {
  config: Pick<Config, 'redisKeyPrefix' | 'paths'>;
  logger?: Logger;
  redis: Redis;
  /** An in-memory model holder to reuse (the Predictor's); otherwise the current model is read from disk. */
  models?: ModelSource;
  /** Another cache implementation; defaults to the Redis one on `redis`. */
  cache?: PredictionCache;
}

export interface RefreshOptions {
  /** Rewrite even when the cache already holds the current model version. @defaultValue false */
  force?: boolean;
  /** How long to wait for another refresh holding the lock; 0 = fail at once. @defaultValue 10000 */
  lockWaitMs?: number;
  /** Expiry of the refresh lock, in case this process dies mid-refresh. @defaultValue 60000 */
  lockTtlMs?: number;
}

export interface RefreshResult {
  status: 'refreshed' | 'unchanged' | 'no-model';
  /** The model version now cached (null with 'no-model'). */
  modelVersion: string | null;
  /** The version cached before this call (null when the cache was empty). */
  previousVersion: string | null;
  /** Cell keys in the cache after this call. */
  count: number;
  /** Keys of categories the new model no longer has, deleted in the same step. */
  staleKeysDeleted: number;
  /** Wall time of this call: loading, predicting every cell and the write. */
  durationMs: number;
  /** Replicas that acknowledged the write before it was announced; null: no replica connected, or no write. */
  replicasAcknowledged: number | null;
}

async function currentModel(deps: RefreshDeps): Promise<LoadedModel | null> {
  if (!deps.models) return loadCurrentModel(deps.config.paths.modelsDir);
  deps.models.invalidate();
  return deps.models.current();
}

async function acquire(cache: PredictionCache, waitMs: number, ttlMs: number): Promise<() => Promise<void>> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const release = await cache.tryLock(ttlMs);
    if (release) return release;
    if (performance.now() >= deadline) {
      throw new LockedError(`another cache refresh is running (waited ${waitMs} ms); try again later`);
    }
    await sleep(50);
  }
}

/** Every cell's prediction and interval, the stale keys' deletion and the meta hash, in one atomic step. */
async function writeModel(
  cache: PredictionCache,
  model: LoadedModel,
  keys: ReturnType<typeof cacheKeys>,
  started: number,
): Promise<{ count: number; staleKeysDeleted: number; replicasAcknowledged: number | null }> {
  const values = model.predictGrid();
  const cellKeys = cellKeysOf(keys, model.categories);
  const c = model.categories.length;
  const intervals = Array.from(values, (v, i) => {
    const { low, high } = intervalOf(v, dispersionFor(model.artifact, i % c));
    return `${low},${high}`;
  });
  const { staleKeysDeleted, replicasAcknowledged } = await cache.replace({
    keys: cellKeys,
    values,
    intervals,
    meta: {
      modelVersion: model.version,
      generatedAt: new Date().toISOString(),
      count: cellKeys.length,
      categories: [...model.categories],
      durationMs: performance.now() - started,
    },
  });
  return { count: cellKeys.length, staleKeysDeleted, replicasAcknowledged };
}

function logRefresh(logger: Logger | undefined, out: RefreshResult): void {
  if (out.replicasAcknowledged === 0)
    logger?.warn(
      { modelVersion: out.modelVersion },
      'no Redis replica acknowledged the cache refresh in time: a failover now may serve the previous version until the next refresh',
    );
  logger?.info(
    {
      modelVersion: out.modelVersion,
      previousVersion: out.previousVersion,
      count: out.count,
      ms: out.durationMs,
      replicasAcknowledged: out.replicasAcknowledged,
    },
    'prediction cache refreshed',
  );
}

export async function refreshCache(deps: RefreshDeps, options: RefreshOptions = {}): Promise<RefreshResult> {
  const started = performance.now();
  const cache = deps.cache ?? new RedisPredictionCache(deps.redis, deps.config);
  const before = await cache.readMeta();
  let version: string | null = null;
  const result = (
    status: RefreshResult['status'],
    count: number,
    stale = 0,
    replicasAcknowledged: number | null = null,
  ): RefreshResult => ({
    status,
    modelVersion: status === 'no-model' ? null : version,
    previousVersion: before?.modelVersion ?? null,
    count,
    staleKeysDeleted: stale,
    durationMs: performance.now() - started,
    replicasAcknowledged,
  });
  // The regular (scheduled) call usually finds nothing to do: decide from the small pointer file before
  // parsing a model artifact.
  if (!deps.models) {
    const pointer = await readCurrentPointer(deps.config.paths.modelsDir);
    if (!pointer) return result('no-model', before?.count ?? 0);
    version = pointer.version;
    if (!options.force && before?.modelVersion === version) return result('unchanged', before.count);
  }
  const model = await currentModel(deps);
  version = model?.version ?? null;
  if (!model) return result('no-model', before?.count ?? 0);
  if (!options.force && before?.modelVersion === model.version) return result('unchanged', before.count);

  const release = await acquire(cache, options.lockWaitMs ?? 10_000, options.lockTtlMs ?? 60_000);
  try {
    // Whoever held the lock may just have written this very version.
    const now = await cache.readMeta();
    if (!options.force && now?.modelVersion === model.version) return result('unchanged', now.count);
    const written = await writeModel(cache, model, cacheKeys(deps.config), started);
    const out = result('refreshed', written.count, written.staleKeysDeleted, written.replicasAcknowledged);
    logRefresh(deps.logger, out);
    return out;
  } finally {
    await release();
  }
}
