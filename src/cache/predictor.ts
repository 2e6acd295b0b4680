// The cached predictor: Redis first, the in-memory model on a miss or when Redis is unreachable. One instance
// holds one Redis connection (fail-fast: commands fail at once while disconnected, so the fallback is instant)
// and the current model; the CLI's `predict --cached` and the HTTP API share it.
//
//   const predictor = await Predictor.create({ config, logger });
//   const p = await predictor.predict(0, 9, 'fresh fruits');  // { prediction, source: 'cache' | 'model', … }
//   const many = await predictor.predictMany(cells);           // one script call per 1,000 cells
//   await predictor.close();                                   // waits for a running rewarm, then disconnects
//
// A miss (key absent, cache holding another model version) is counted in Redis by the lookup script itself and
// starts a rewarm: a cache refresh, at most one at a time per process and, through the refresh lock, across
// processes.
import type { Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { LockedError, toError, UsageError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { intervalFor, predictionRecord, type CellPrediction } from '../ml/cell.js';
import type { LoadedModel } from '../ml/predictor.js';

import { connectRedis, createRedis, type Redis, type RedisConfig } from '../redis/redis.js';
import { cacheKeys, type CacheKeys } from './keys.js';
import { ModelSource } from './model-source.js';
import { NearCache } from './near-cache.js';
import { RedisPredictionCache } from './redis-cache.js';
import { refreshCache, type RefreshResult } from './refresh.js';
import type { LookupResult, PredictionCache } from './types.js';
import { DAYS, HOURS, type CellAddress } from '../base/cell.js';

export type PredictionSource = 'cache' | 'model';
/** Why the model answered: key absent, cache of another model version, Redis unreachable. */
export type MissReason = 'absent' | 'stale' | 'unavailable';

export interface CachedPrediction extends CellPrediction {
  source: PredictionSource;
  /** Set when source is 'model'. */
  missReason?: MissReason;
}

/** A cached prediction as JSON readers get it (`predict --cached --json`): predictionRecord plus its source. */
export const cachedPredictionRecord = (p: CachedPrediction) => ({
  ...predictionRecord(p),
  source: p.source,
  ...(p.missReason ? { miss_reason: p.missReason } : {}),
});

/** `items` in slices of at most `size`. */
function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let s = 0; s < items.length; s += size) out.push(items.slice(s, s + size));
  return out;
}

/** One failed cell of a batch (bad day/hour, unknown category). */
export interface CellFailure {
  input: CellAddress;
  error: Error;
}

/** Metrics hook: called once per predict()/predictMany() call. */
export interface LookupEvent {
  cells: number;
  hits: number;
  source: PredictionSource;
  missReason?: MissReason;
  ms: number;
}

export interface PredictorOptions {
  config: RedisConfig & Pick<Config, 'redisKeyPrefix' | 'paths'>;
  logger?: Logger;
  /** A connection to use (not closed by close()); by default the predictor opens its own fail-fast one. */
  redis?: Redis;
  /** Shared in-memory model holder; by default one reading config.paths.modelsDir. */
  models?: ModelSource;
  /**
   * Keep values read from Redis in memory this long (near-cache.ts); a refresh or clear anywhere drops them at
   * once. For long-lived readers such as the API. @defaultValue 0 (off: every lookup goes to Redis)
   */
  localCacheMs?: number;
  /** What the in-memory tier's TTL is measured by (tests move a ManualClock). @defaultValue systemClock */
  clock?: Clock;
  /** Start a refresh on a miss. @defaultValue true */
  rewarm?: boolean;
  /** Minimum time between two rewarms started by this predictor. @defaultValue 1000 */
  rewarmCooldownMs?: number;
  onLookup?: (event: LookupEvent) => void;
  /** Redis unreachable (once per outage) or a failed rewarm; by default logged with logger.warn. */
  onWarning?: (message: string, error: Error) => void;
}

/** Cells per lookup script call (Lua's unpack limit is around 8,000 values). */
const LOOKUP_CHUNK = 1000;

function checkCell(day: number, hour: number): void {
  if (!Number.isInteger(day) || day < 0 || day >= DAYS)
    throw new UsageError(`day_of_week must be an integer from 0 to ${DAYS - 1}, got ${day}`);
  if (!Number.isInteger(hour) || hour < 0 || hour >= HOURS)
    throw new UsageError(`hour_of_day must be an integer from 0 to ${HOURS - 1}, got ${hour}`);
}

export class Predictor {
  readonly models: ModelSource;
  private readonly cache: PredictionCache;
  /** The in-memory tier, when localCacheMs > 0. */
  readonly near: NearCache | undefined;
  private readonly keys: CacheKeys;
  private rewarming: Promise<RefreshResult | null> | undefined;
  private lastRewarmAt = -Infinity;
  private warnedUnavailable = false;

  private constructor(
    private readonly options: PredictorOptions,
    readonly redis: Redis,
    private readonly ownsRedis: boolean,
  ) {
    this.models = options.models ?? new ModelSource(options.config.paths.modelsDir);
    const cache = new RedisPredictionCache(redis, options.config);
    this.near =
      (options.localCacheMs ?? 0) > 0
        ? NearCache.open(cache, redis, { ttlMs: options.localCacheMs ?? 0, clock: options.clock })
        : undefined;
    this.cache = this.near ?? cache;
    this.keys = cacheKeys(options.config);
  }

  /** Never fails because Redis is down: the connection keeps retrying in the background and the model answers. */
  static async create(options: PredictorOptions): Promise<Predictor> {
    if (options.redis) return new Predictor(options, options.redis, false);
    let redis: Redis;
    try {
      redis = await connectRedis(options.config, { failFast: true, connectTimeoutMs: 1000 });
    } catch {
      redis = createRedis(options.config, { failFast: true, connectTimeoutMs: 1000 });
      redis.connect().catch(() => {});
    }
    return new Predictor(options, redis, true);
  }

  /** One cell; UsageError for a bad day/hour, NotFoundError (with suggestions) for an unknown category. */
  async predict(day: number, hour: number, category: string): Promise<CachedPrediction> {
    const started = performance.now();
    checkCell(day, hour);
    const model = await this.models.require();
    const c = model.resolveCategory(category);
    const name = model.categories[c];
    const lookup = await this.lookup([this.keys.cell(day, hour, name)], model.version);
    const value = lookup.result?.values[0] ?? null;
    const base = {
      day,
      hour,
      category: name,
      modelVersion: model.version,
      algorithm: model.algorithm,
    };
    let out: CachedPrediction;
    if (value !== null) out = { ...base, prediction: value, source: 'cache' };
    else {
      const missReason = this.missReason(lookup.result, model);
      out = { ...base, prediction: model.predict(day, hour, c), source: 'model', missReason };
      this.afterMiss(missReason, lookup.result, model);
    }
    out.interval = intervalFor(model, out.prediction, c);
    this.options.onLookup?.({
      cells: 1,
      hits: out.source === 'cache' ? 1 : 0,
      source: out.source,
      missReason: out.missReason,
      ms: performance.now() - started,
    });
    return out;
  }

  /** The cells that are valid for `model`, with their cache keys; a bad cell's failure goes into `out`. */
  private resolveCells(
    model: LoadedModel,
    cells: readonly CellAddress[],
    out: (CachedPrediction | CellFailure)[],
  ): { i: number; c: number; key: string }[] {
    const resolved: { i: number; c: number; key: string }[] = [];
    cells.forEach((input, i) => {
      try {
        checkCell(input.day, input.hour);
        const c = model.resolveCategory(input.category);
        resolved.push({ i, c, key: this.keys.cell(input.day, input.hour, model.categories[c]) });
      } catch (err) {
        out[i] = { input, error: toError(err) };
      }
    });
    return resolved;
  }

  /** Many cells in as few round trips as possible; per-cell failures are returned, not thrown. */
  async predictMany(cells: readonly CellAddress[]): Promise<(CachedPrediction | CellFailure)[]> {
    const started = performance.now();
    const model = await this.models.require();
    const out: (CachedPrediction | CellFailure)[] = new Array(cells.length);
    const resolved = this.resolveCells(model, cells, out);
    const chunks = chunked(resolved, LOOKUP_CHUNK);
    const lookups = await Promise.all(
      chunks.map((chunk) =>
        this.lookup(
          chunk.map((r) => r.key),
          model.version,
        ),
      ),
    );
    let hits = 0;
    let firstMiss: { reason: MissReason; result: LookupResult | undefined } | undefined;
    chunks.forEach((chunk, k) => {
      const result = lookups[k].result;
      chunk.forEach((r, j) => {
        const { day, hour } = cells[r.i];
        const value = result?.values[j] ?? null;
        const base = {
          day,
          hour,
          category: model.categories[r.c],
          modelVersion: model.version,
          algorithm: model.algorithm,
        };
        if (value !== null) {
          hits++;
          out[r.i] = {
            ...base,
            prediction: value,
            interval: intervalFor(model, value, r.c),
            source: 'cache',
          };
        } else {
          const missReason = this.missReason(result, model);
          firstMiss ??= { reason: missReason, result };
          const prediction = model.predict(day, hour, r.c);
          out[r.i] = {
            ...base,
            prediction,
            interval: intervalFor(model, prediction, r.c),
            source: 'model',
            missReason,
          };
        }
      });
    });
    if (firstMiss) this.afterMiss(firstMiss.reason, firstMiss.result, model);
    this.options.onLookup?.({
      cells: resolved.length,
      hits,
      source: firstMiss ? 'model' : 'cache',
      missReason: firstMiss?.reason,
      ms: performance.now() - started,
    });
    return out;
  }

  /**
   * Refreshes the cache unless a refresh is already running (here or in another process: then null).
   * `force` rewrites even when the meta hash names the current version (keys were deleted behind its back).
   */
  rewarm(force = false): Promise<RefreshResult | null> {
    this.rewarming ??= refreshCache(
      {
        config: this.options.config,
        logger: this.options.logger,
        redis: this.redis,
        models: this.models,
        cache: this.cache,
      },
      { force, lockWaitMs: 0 },
    )
      .catch((err: unknown) => {
        if (!(err instanceof LockedError)) this.warn('cache rewarm failed', toError(err));
        return null;
      })
      .finally(() => {
        this.lastRewarmAt = performance.now();
        this.rewarming = undefined;
      });
    return this.rewarming;
  }

  /** Resolves when no rewarm started by this predictor is running; with that rewarm's result, if any. */
  async idle(): Promise<RefreshResult | null | undefined> {
    return this.rewarming;
  }

  private warn(message: string, error: Error): void {
    if (this.options.onWarning) this.options.onWarning(message, error);
    else this.options.logger?.warn({ err: error }, message);
  }

  /** Waits for a running rewarm, then closes the connection if the predictor opened it. */
  async close(): Promise<void> {
    await this.idle();
    await this.near?.close();
    if (this.ownsRedis) this.redis.disconnect();
  }

  private async lookup(keys: string[], version: string): Promise<{ result?: LookupResult }> {
    try {
      const result = await this.cache.lookup(keys, version);
      this.warnedUnavailable = false;
      return { result };
    } catch (err) {
      if (!this.warnedUnavailable) {
        this.warnedUnavailable = true;
        this.warn('prediction cache unavailable; answering from the model', toError(err));
      }
      return {};
    }
  }

  private missReason(result: LookupResult | undefined, model: LoadedModel): MissReason {
    if (!result) return 'unavailable';
    return result.cachedVersion !== null && result.cachedVersion !== model.version ? 'stale' : 'absent';
  }

  private afterMiss(reason: MissReason, result: LookupResult | undefined, model: LoadedModel): void {
    if (reason === 'unavailable' || this.options.rewarm === false) return;
    const cooldown = this.options.rewarmCooldownMs ?? 1000;
    if (this.rewarming || performance.now() - this.lastRewarmAt < cooldown) return;
    // Meta names the current version but the key is gone: only a forced rewrite restores it.
    void this.rewarm(result?.cachedVersion === model.version);
  }
}
