// Models, cache statistics, health and Prometheus metrics.
// /readyz tells anyone whether the API is ready, and only a logged-in caller why not (error texts name hosts);
// /metrics needs ORDERFLOW_METRICS_TOKEN (or a login) when that is set.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toError } from '../../base/errors.js';
import { sameSecret } from '../auth.js';
import { sendError } from '../http-errors.js';
import type { ApiMetrics } from '../metrics.js';
import { cacheStatsAnswer, modelsAnswer, readyAnswer } from '../schemas.js';
import type { RouteContext } from './context.js';

const modelsSchema = { summary: 'Model versions with every candidate', response: { 200: modelsAnswer } };

const cacheSchema = {
  summary: 'Prediction cache: keys, hits, versions, age, lookup latency',
  response: { 200: cacheStatsAnswer },
};

const cacheClearSchema = {
  summary: 'Remove every cached prediction (admin); the model answers until the next refresh',
  response: {
    200: { type: 'object', required: ['removed'], properties: { removed: { type: 'integer' } } },
  },
} as const;

const healthSchema = {
  summary: 'The process is up',
  response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
};

const readySchema = {
  summary: 'Redis and the metadata store answer (details for a logged-in caller only)',
  response: { 200: readyAnswer, 503: readyAnswer },
};

const metricsSchema = {
  summary: 'Prometheus metrics (needs ORDERFLOW_METRICS_TOKEN as a bearer token when that is set)',
  response: { 200: { type: 'string', description: 'Prometheus text format' } },
};

/** The model versions, the cache's statistics and (admin) clearing the cache. */
function modelAndCacheRoutes(
  app: FastifyInstance,
  { deps, metrics, authenticated, admin }: RouteContext,
): void {
  app.get('/api/models', { onRequest: authenticated, schema: modelsSchema }, async () => {
    const versions = await deps.models.versions();
    return { current: versions.find((v) => v.current)?.version ?? null, versions };
  });

  app.get('/api/cache/stats', { onRequest: authenticated, schema: cacheSchema }, async () => {
    const stats = await deps.cache.stats();
    return { ...stats, served: await servedLatency(metrics) };
  });

  const cache = deps.cache;
  if (cache.clear) {
    const clear = cache.clear.bind(cache);
    app.post(
      '/api/cache/clear',
      { onRequest: admin, config: { audit: 'cache.clear' }, schema: cacheClearSchema },
      async () => ({ removed: await clear() }),
    );
  }
}

async function check(fn: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
  try {
    await fn();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: toError(error).message };
  }
}

export function statusRoutes(app: FastifyInstance, context: RouteContext): void {
  const { deps, metrics, metricsToken, identify } = context;
  // While the store is down nobody can be identified: the answer is then the anonymous one.
  const loggedIn = async (request: FastifyRequest): Promise<boolean> =>
    (await identify(request).catch(() => undefined)) !== undefined;

  modelAndCacheRoutes(app, context);

  app.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: readySchema }, async (request, reply) => {
    const [redis, store] = await Promise.all([check(deps.health.redis), check(deps.health.store)]);
    const ready = redis.ok && store.ok;
    const status = ready ? 'ready' : 'unavailable';
    // Details (error texts, which Redis is primary, the last failover) only for a logged-in caller.
    const topology = redis.ok ? await deps.health.redisTopology?.().catch(() => undefined) : undefined;
    const body = (await loggedIn(request)) ? { status, redis: { ...redis, ...topology }, store } : { status };
    return reply.code(ready ? 200 : 503).send(body);
  });

  app.get('/metrics', { schema: metricsSchema }, async (request, reply) => {
    if (metricsToken !== undefined) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!sameSecret(token, metricsToken) && !(await loggedIn(request)))
        return sendError(reply, 401, 'UNAUTHORIZED', 'send Authorization: Bearer <ORDERFLOW_METRICS_TOKEN>');
    }
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
