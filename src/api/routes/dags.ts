// DAGs and their runs (the Airflow UI's data): list, run history, one run with task logs, pause/unpause/trigger.
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../base/errors.js';
import type { RunFilter } from '../deps.js';
import { createRunResult, dagSummary, runDetail, runIdSchema, runWithTasks } from '../schemas.js';
import type { RouteContext } from './context.js';

const dagParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,100}$' } },
} as const;

const listDagsSchema = {
  summary: 'Every DAG with its schedule, paused flag, last and next run',
  response: {
    200: {
      type: 'object',
      required: ['dags'],
      properties: { dags: { type: 'array', items: dagSummary } },
    },
  },
} as const;

const listRunsSchema = {
  summary: 'Runs of a DAG, newest first, with the latest try of each task',
  params: dagParams,
  response: {
    200: {
      type: 'object',
      required: ['runs'],
      properties: { runs: { type: 'array', items: runWithTasks } },
    },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 25 },
      offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
      state: { type: 'string', enum: ['queued', 'running', 'success', 'failed', 'skipped'] },
      trigger: { type: 'string', enum: ['schedule', 'manual', 'event'] },
    },
  },
} as const;

const getRunSchema = {
  summary: 'One run with every task try and its log lines',
  params: {
    type: 'object',
    required: ['id'],
    properties: { id: runIdSchema },
  },
  response: { 200: runDetail },
} as const;

const pauseSchema = (action: 'pause' | 'unpause') =>
  ({
    summary: action === 'pause' ? 'Pause a DAG (an active run finishes)' : 'Unpause a DAG',
    params: dagParams,
    response: { 200: { type: 'object', required: ['dag'], properties: { dag: dagSummary } } },
  }) as const;

const triggerSchema = {
  summary: 'Start a manual run now (skipped when a run is active), optionally with parameters',
  params: dagParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      params: {
        type: 'object',
        maxProperties: 20,
        description: 'what the tasks see, e.g. { "force": true } retrains ml_training_dag on unchanged data',
      },
    },
  },
  response: { 202: createRunResult },
} as const;

/** The DAG list, a DAG's runs and one run (any logged-in user). */
function dagReadRoutes(app: FastifyInstance, { deps, authenticated }: RouteContext): void {
  app.get('/api/dags', { onRequest: authenticated, schema: listDagsSchema }, async () => ({
    dags: await deps.dags.listDags(),
  }));

  app.get<{ Params: { id: string }; Querystring: { limit: number } & RunFilter }>(
    '/api/dags/:id/runs',
    { onRequest: authenticated, schema: listRunsSchema },
    async (request) => {
      const { limit, ...filter } = request.query;
      return { runs: await deps.dags.listRuns(request.params.id, limit, filter) };
    },
  );

  app.get<{ Params: { id: number } }>(
    '/api/runs/:id',
    { onRequest: authenticated, schema: getRunSchema },
    async (request) => {
      const run = await deps.dags.getRun(request.params.id);
      if (!run) throw new NotFoundError(`no DAG run ${request.params.id}`);
      return run;
    },
  );
}

export function dagRoutes(app: FastifyInstance, context: RouteContext): void {
  const { deps, operator } = context;
  dagReadRoutes(app, context);

  for (const action of ['pause', 'unpause'] as const) {
    app.post<{ Params: { id: string } }>(
      `/api/dags/:id/${action}`,
      { onRequest: operator, schema: pauseSchema(action) },
      async (request) => ({ dag: await deps.dags.setPaused(request.params.id, action === 'pause') }),
    );
  }

  app.post<{ Params: { id: string }; Body: { params?: Record<string, unknown> } | undefined }>(
    '/api/dags/:id/trigger',
    { onRequest: operator, schema: triggerSchema },
    async (request, reply) => {
      const params = request.body?.params;
      if (params) request.auditDetail = { params };
      return reply.code(202).send(await deps.dags.trigger(request.params.id, params));
    },
  );
}
