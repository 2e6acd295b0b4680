// Models, cache statistics, health and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { toError } from '../../errors.js';
import type { ApiMetrics } from '../metrics.js';
import type { RouteContext } from './context.js';

export function statusRoutes(app: FastifyInstance, { deps, metrics, authenticated }: RouteContext): void {
  app.get('/api/models', { preHandler: authenticated }, async () => {
    const versions = await deps.models.versions();
    return { current: versions.find((v) => v.current)?.version ?? null, versions };
  });

  app.get('/api/cache/stats', { preHandler: authenticated }, async () => {
    const stats = await deps.cache.stats();
    return { ...stats, served: await servedLatency(metrics) };
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const check = async (fn: () => Promise<void>): Promise<{ ok: boolean; error?: string }> => {
      try {
        await fn();
        return { ok: true };
      } catch (error) {
        return { ok: false, error: toError(error).message };
      }
    };
    const [redis, store] = await Promise.all([check(deps.health.redis), check(deps.health.store)]);
    const ready = redis.ok && store.ok;
    // Which Redis is primary and the last failover, when the server knows (not while Redis is unreachable).
    const topology = redis.ok ? await deps.health.redisTopology?.().catch(() => undefined) : undefined;
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unavailable', redis: { ...redis, ...topology }, store });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

/** Latency quantiles (bucket upper bounds) of the predictions this process served, from its histogram. */
async function servedLatency(metrics: ApiMetrics): Promise<Record<string, number | null>> {
  const { values } = await metrics.predictionLatency.get();
  const quantile = (source: string, q: number): number | null => {
    // Cumulative bucket counts for this source, in order of their upper bound `le`.
    const buckets = values
      .filter((v) => v.metricName?.endsWith('_bucket') && v.labels.source === source)
      .map((v) => ({ le: Number((v.labels as Record<string, string | number>).le), count: v.value }))
      .sort((a, b) => a.le - b.le);
    const count = buckets.at(-1)?.count ?? 0;
    if (count === 0) return null;
    const hit = buckets.find((b) => b.count >= q * count);
    return hit === undefined || !Number.isFinite(hit.le) ? null : hit.le * 1000;
  };
  return {
    cacheP50Ms: quantile('cache', 0.5),
    cacheP99Ms: quantile('cache', 0.99),
    modelP50Ms: quantile('model', 0.5),
    modelP99Ms: quantile('model', 0.99),
  };
}
