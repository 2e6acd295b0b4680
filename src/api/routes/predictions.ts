// Prediction reads: one cell (GET) or many (POST …/batch), answered by the cache → model predictor.
import type { FastifyInstance } from 'fastify';
import type { PredictionCell } from '../deps.js';
import type { RouteContext } from './context.js';

const cellProperties = {
  day: { type: 'integer', minimum: 0, maximum: 6 },
  hour: { type: 'integer', minimum: 0, maximum: 23 },
  category: { type: 'string', minLength: 1, maxLength: 200 },
} as const;

export const MAX_BATCH = 1000;

export function predictionRoutes(
  app: FastifyInstance,
  { deps, metrics, predictionReads }: RouteContext,
): void {
  app.get<{ Params: PredictionCell; Querystring: { explain?: boolean } }>(
    '/api/predictions/:day/:hour/:category',
    {
      preHandler: predictionReads,
      schema: {
        params: { type: 'object', required: ['day', 'hour', 'category'], properties: cellProperties },
        querystring: { type: 'object', properties: { explain: { type: 'boolean' } } },
      },
    },
    async (request) => {
      const started = performance.now();
      const answer = await deps.predictions.predict(request.params);
      metrics.observePrediction(answer.source, (performance.now() - started) / 1000);
      if (request.query.explain && deps.predictions.explain)
        return { ...answer, explain: await deps.predictions.explain(answer.model_version) };
      return answer;
    },
  );

  app.post<{ Body: { cells: PredictionCell[] } }>(
    '/api/predictions/batch',
    {
      preHandler: predictionReads,
      schema: {
        body: {
          type: 'object',
          required: ['cells'],
          additionalProperties: false,
          properties: {
            cells: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_BATCH,
              items: {
                type: 'object',
                required: ['day', 'hour', 'category'],
                additionalProperties: false,
                properties: cellProperties,
              },
            },
          },
        },
      },
    },
    async (request) => {
      const started = performance.now();
      const results = await deps.predictions.predictMany(request.body.cells);
      const perCell = (performance.now() - started) / 1000 / results.length;
      for (const r of results) if (r.ok) metrics.observePrediction(r.source, perCell);
      return { results, ok: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
    },
  );

  app.get('/api/categories', { preHandler: predictionReads }, async () => ({
    categories: await deps.predictions.categories(),
  }));
}
