// Prediction reads: one cell (GET) or many (POST …/batch), answered by the cache → model predictor.
import type { FastifyInstance } from 'fastify';
import type { CellAddress } from '../../base/cell.js';
import { batchAnswer, predictionAnswer } from '../schemas.js';
import type { RouteContext } from './context.js';

const cellProperties = {
  day: { type: 'integer', minimum: 0, maximum: 6 },
  hour: { type: 'integer', minimum: 0, maximum: 23 },
  category: { type: 'string', minLength: 1, maxLength: 200 },
} as const;

const MAX_BATCH = 1000;

const predictSchema = {
  summary: 'Predicted items for one (day, hour, category) cell: Redis cache first, the model on a miss',
  params: { type: 'object', required: ['day', 'hour', 'category'], properties: cellProperties },
  response: { 200: predictionAnswer },
  querystring: { type: 'object', properties: { explain: { type: 'boolean' } } },
} as const;

const batchSchema = {
  summary: 'Predictions for up to 1000 cells; a failed cell does not fail the others',
  response: { 200: batchAnswer },
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
} as const;

const categoriesAnswer = {
  type: 'object',
  required: ['categories'],
  properties: { categories: { type: 'array', items: { type: 'string' } } },
} as const;

const categoriesSchema = {
  summary: 'Category names of the current model',
  response: { 200: categoriesAnswer },
};

export function predictionRoutes(
  app: FastifyInstance,
  { deps, metrics, predictionReads }: RouteContext,
): void {
  app.get<{ Params: CellAddress; Querystring: { explain?: boolean } }>(
    '/api/predictions/:day/:hour/:category',
    { onRequest: predictionReads, schema: predictSchema },
    async (request) => {
      const started = performance.now();
      const answer = await deps.predictions.predict(request.params);
      metrics.observePrediction(answer.source, (performance.now() - started) / 1000);
      if (request.query.explain && deps.predictions.explain)
        return { ...answer, explain: await deps.predictions.explain(answer.model_version) };
      return answer;
    },
  );

  app.post<{ Body: { cells: CellAddress[] } }>(
    '/api/predictions/batch',
    // A POST only because a list of cells does not fit a URL: it changes nothing, so it is not audited.
    { onRequest: predictionReads, config: { audit: false }, schema: batchSchema },
    async (request) => {
      const started = performance.now();
      const results = await deps.predictions.predictMany(request.body.cells);
      const perCell = (performance.now() - started) / 1000 / results.length;
      for (const r of results) if (r.ok) metrics.observePrediction(r.source, perCell);
      return { results, ok: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
    },
  );

  app.get('/api/categories', { onRequest: predictionReads, schema: categoriesSchema }, async () => ({
    categories: await deps.predictions.categories(),
  }));
}
