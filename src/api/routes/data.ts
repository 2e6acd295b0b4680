// The data stage's views: aggregate totals (with filters) and the ingestion ledger.
import type { FastifyInstance } from 'fastify';
import { summarize, type AggregateFilters } from '../aggregates.js';
import { aggregateSummary, ingestionLedger } from '../schemas.js';
import type { RouteContext } from './context.js';

export function dataRoutes(app: FastifyInstance, { deps, authenticated }: RouteContext): void {
  app.get<{ Querystring: AggregateFilters }>(
    '/api/aggregates',
    {
      onRequest: authenticated,
      schema: {
        summary: 'Items by day × hour (heatmap), top categories and matching rows of the current aggregate',
        response: { 200: aggregateSummary },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            day: { type: 'integer', minimum: 0, maximum: 6 },
            hour: { type: 'integer', minimum: 0, maximum: 23 },
            category: { type: 'string', minLength: 1, maxLength: 200 },
            top: { type: 'integer', minimum: 1, maximum: 500, default: 10 },
            limit: { type: 'integer', minimum: 0, maximum: 50000, default: 0 },
          },
        },
      },
    },
    async (request) => {
      const { file, rows } = await deps.aggregates.rows();
      return summarize(file, rows, request.query);
    },
  );

  app.get(
    '/api/ingestion',
    {
      onRequest: authenticated,
      schema: {
        summary: 'The ingestion ledger: batches, files, runs, pending files, Redis tracking',
        response: { 200: ingestionLedger },
      },
    },
    async () => deps.ingestion.ledger(),
  );
}
