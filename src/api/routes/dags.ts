// DAGs and their runs (the Airflow UI's data): list, run history, one run with task logs, pause/unpause/trigger.
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import type { RouteContext } from './context.js';

const dagParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,100}$' } },
} as const;

export function dagRoutes(app: FastifyInstance, { deps, authenticated }: RouteContext): void {
  app.get('/api/dags', { preHandler: authenticated }, async () => ({ dags: await deps.dags.listDags() }));

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    '/api/dags/:id/runs',
    {
      preHandler: authenticated,
      schema: {
        params: dagParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 25 } },
        },
      },
    },
    async (request) => ({ runs: await deps.dags.listRuns(request.params.id, request.query.limit) }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/runs/:id',
    {
      preHandler: authenticated,
      schema: {
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$' } },
        },
      },
    },
    async (request) => {
      const run = await deps.dags.getRun(request.params.id);
      if (!run) throw new NotFoundError(`no DAG run ${JSON.stringify(request.params.id)}`);
      return run;
    },
  );

  for (const action of ['pause', 'unpause'] as const) {
    app.post<{ Params: { id: string } }>(
      `/api/dags/:id/${action}`,
      { preHandler: authenticated, schema: { params: dagParams } },
      async (request) => ({ dag: await deps.dags.setPaused(request.params.id, action === 'pause') }),
    );
  }

  app.post<{ Params: { id: string } }>(
    '/api/dags/:id/trigger',
    { preHandler: authenticated, schema: { params: dagParams } },
    async (request, reply) => reply.code(202).send(await deps.dags.trigger(request.params.id)),
  );
}
