// Adapters from the cache stage (src/cache) to the API's interfaces: the cached Predictor (Redis → model) as the
// PredictionService and `cacheStats` as the CacheStatsService.
import type { Config } from '../base/config.js';
import type { CellAddress } from '../base/cell.js';
import { RedisPredictionCache } from '../cache/redis-cache.js';
import { cacheStats } from '../cache/stats.js';
import type { Predictor } from '../cache/predictor.js';
import type { Redis } from '../redis/redis.js';
import type {
  BatchOutcome,
  CacheStats,
  CacheStatsService,
  PredictionAnswer,
  PredictionService,
} from './deps.js';
import { explainModel, type Explanation } from '../ml/lineage.js';
import { loadModelVersion } from '../ml/predictor.js';
import { outcomeError } from './model-services.js';

type Cached = Awaited<ReturnType<Predictor['predict']>>;

const toAnswer = (p: Cached): PredictionAnswer => ({
  day_of_week: p.day,
  hour_of_day: p.hour,
  category: p.category,
  prediction: p.prediction,
  ...(p.interval ? { interval: p.interval } : {}),
  source: p.source,
  model_version: p.modelVersion,
  ...(p.missReason ? { miss_reason: p.missReason } : {}),
});

export class CachedPredictionService implements PredictionService {
  constructor(private readonly predictor: Predictor) {}

  async predict(cell: CellAddress): Promise<PredictionAnswer> {
    return toAnswer(await this.predictor.predict(cell.day, cell.hour, cell.category));
  }

  async predictMany(cells: readonly CellAddress[]): Promise<BatchOutcome[]> {
    const results = await this.predictor.predictMany(cells);
    return results.map((r) =>
      'error' in r ? { ok: false, error: outcomeError(r.error) } : { ok: true, ...toAnswer(r) },
    );
  }

  async categories(): Promise<readonly string[]> {
    return (await this.predictor.models.current())?.categories ?? [];
  }

  async explain(modelVersion: string): Promise<Explanation> {
    const current = await this.predictor.models.current();
    const model =
      current?.version === modelVersion
        ? current
        : await loadModelVersion(this.predictor.models.modelsDir, modelVersion);
    return explainModel(model);
  }
}

export class RedisCacheStatsService implements CacheStatsService {
  constructor(
    private readonly config: Pick<Config, 'redisKeyPrefix' | 'paths'>,
    private readonly redis: Redis,
    /** GETs timed per call: the dashboard polls this every few seconds. @defaultValue 20 */
    private readonly samples = 20,
  ) {}

  stats(): Promise<CacheStats> {
    return cacheStats({ config: this.config, redis: this.redis }, { samples: this.samples });
  }

  clear(): Promise<number> {
    return new RedisPredictionCache(this.redis, this.config).clear();
  }
}
