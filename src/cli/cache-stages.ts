// What the cache commands run, imported lazily by cache-commands.ts (ioredis is not loaded for other commands).
export { cacheStats } from '../cache/stats.js';
export { cachedPredictionRecord, Predictor } from '../cache/predictor.js';
export { RedisPredictionCache } from '../cache/redis-cache.js';
export { refreshCache } from '../cache/refresh.js';
export { connectRedis } from '../redis/redis.js';
