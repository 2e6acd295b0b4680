// The data stage's views: aggregate totals (with filters) and the ingest ledger.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { summarize, type AggregateFilters } from '../aggregates.js';
import { NotFoundError } from '../../base/errors.js';
import { aggregateSummary, fileRetryAnswer, ingestLedger } from '../schemas.js';
import type { ReprocessRequest } from '../deps.js';
import { reprocessPlanRecord } from '../../ingest/reprocess.js';
import type { RouteContext } from './context.js';

const INCREMENTAL_DAG = 'incremental_processing_dag';
const names = {
  type: 'array',
  minItems: 1,
  maxItems: 1000,
  items: { type: 'string', minLength: 1, maxLength: 500 },
};
const reprocessAnswer = {
  type: 'object',
  required: ['files', 'cells', 'cacheKeys', 'applied'],
  properties: {
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'batch', 'status', 'badRows'],
        properties: {
          path: { type: 'string' },
          batch: { type: 'string' },
          status: { type: 'string', enum: ['same', 'changed', 'missing'] },
          badRows: { type: 'integer' },
        },
      },
    },
    cells: {
      type: 'array',
      items: {
        type: 'object',
        required: ['day_of_week', 'hour_of_day', 'category', 'before', 'after'],
        properties: {
          day_of_week: { type: 'integer' },
          hour_of_day: { type: 'integer' },
          category: { type: 'string' },
          before: { type: 'number' },
          after: { type: 'number' },
        },
      },
    },
    cacheKeys: { type: ['integer', 'null'] },
    applied: { type: 'boolean' },
    run: { type: 'object', description: 'the incremental run started to read the files again (apply only)' },
  },
} as const;

const reprocessSchema = {
  summary:
    'Re-read committed batches or files: a dry run lists the cells and cache keys that would change; apply ' +
    'makes the next incremental run (started at once) read them again',
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { batches: names, files: names, apply: { type: 'boolean', default: false } },
  },
  response: { 200: reprocessAnswer },
} as const;

const aggregatesSchema = {
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
} as const;

const ledgerSchema = {
  summary: 'The ingest ledger: batches, files, runs, pending files, Redis tracking',
  response: { 200: ingestLedger },
} as const;

const retrySchema = {
  summary: 'Read a rejected or duplicate file again in the next incremental run',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1, maxLength: 4096 } },
  },
  response: { 200: fileRetryAnswer },
} as const;

// The stage was once called "ingestion" in these routes: a client of an earlier release is sent on to the same
// route under the stage's one name (308 keeps the method and the body).
function movedToIngestRoutes(app: FastifyInstance): void {
  const movedToIngest = async (request: FastifyRequest, reply: FastifyReply) =>
    reply.redirect(request.url.replace('/api/ingestion', '/api/ingest'), 308);
  app.all('/api/ingestion', { schema: { hide: true } }, movedToIngest);
  app.all('/api/ingestion/*', { schema: { hide: true } }, movedToIngest);
}

export function dataRoutes(app: FastifyInstance, { deps, authenticated, operator }: RouteContext): void {
  app.post<{ Body: ReprocessRequest & { apply?: boolean } }>(
    '/api/ingest/reprocess',
    { onRequest: operator, config: { audit: 'ingest.reprocess' }, schema: reprocessSchema },
    async (request) => {
      const { apply = false, ...chosen } = request.body;
      const plan = await deps.ingest.reprocess(chosen, apply);
      request.auditDetail = { apply, ...chosen, cells: plan.cells.length, cacheKeys: plan.cacheKeys };
      if (!plan.applied) return reprocessPlanRecord(plan);
      return { ...reprocessPlanRecord(plan), run: await deps.dags.trigger(INCREMENTAL_DAG) };
    },
  );

  app.get<{ Querystring: AggregateFilters }>(
    '/api/aggregates',
    { onRequest: authenticated, schema: aggregatesSchema },
    async (request) => {
      const { file, rows } = await deps.aggregates.rows();
      return summarize(file, rows, request.query);
    },
  );

  app.get('/api/ingest', { onRequest: authenticated, schema: ledgerSchema }, async () =>
    deps.ingest.ledger(),
  );

  // A rejected or duplicate file is read again by the next incremental run (its content may be fine now,
  // or the operator wants a second look after changing a setting).
  app.post<{ Body: { path: string } }>(
    '/api/ingest/files/retry',
    { onRequest: operator, config: { audit: 'ingest.files.retry' }, schema: retrySchema },
    async (request) => {
      if (!(await deps.ingest.retryFile(request.body.path))) {
        throw new NotFoundError(`no rejected or duplicate file ${JSON.stringify(request.body.path)}`);
      }
      return { path: request.body.path, retry: true };
    },
  );

  movedToIngestRoutes(app);
}
