// The data stage's views: aggregate totals (with filters) and the ingestion ledger.
import type { FastifyInstance } from 'fastify';
import { summarize, type AggregateFilters } from '../aggregates.js';
import { NotFoundError } from '../../errors.js';
import type { RouteContext } from './context.js';

export function dataRoutes(app: FastifyInstance, { deps, authenticated }: RouteContext): void {
  app.get<{ Querystring: AggregateFilters }>(
    '/api/aggregates',
    {
      preHandler: authenticated,
      schema: {
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

  app.get('/api/ingestion', { preHandler: authenticated }, async () => deps.ingestion.ledger());

  // A rejected or duplicate file is read again by the next incremental run (its content may be fine now,
  // or the operator wants a second look after changing a setting).
  app.post<{ Body: { path: string } }>(
    '/api/ingestion/files/retry',
    {
      preHandler: authenticated,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: { path: { type: 'string', minLength: 1, maxLength: 4096 } },
        },
      },
    },
    async (request) => {
      if (!(await deps.ingestion.retryFile(request.body.path))) {
        throw new NotFoundError(`no rejected or duplicate file ${JSON.stringify(request.body.path)}`);
      }
      return { path: request.body.path, retry: true };
    },
  );
}
