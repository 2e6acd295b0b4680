// Operator actions on a run, as in Airflow: clear (rerun) tasks with what depends on them, or the whole run, and
// mark a task success or failed. Each is audited (audit-hook.ts) with the run and task as its target.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ClearOptions } from '../deps.js';
import { runIdSchema } from '../schemas.js';
import type { RouteContext } from './context.js';

const runId = runIdSchema;
const taskId = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,100}$' } as const;
const answer = {
  type: 'object',
  required: ['runId', 'dagId', 'tasks'],
  properties: {
    runId: { type: 'integer' },
    dagId: { type: 'string' },
    tasks: { type: 'array', items: { type: 'string' }, description: 'the tasks cleared or marked' },
  },
} as const;

const actor = (request: FastifyRequest): string => request.principal?.username ?? 'unknown';

const clearRunSchema = {
  summary:
    'Run tasks of an ended run again (all, the failed ones, or the listed ones) with what depends on them',
  params: { type: 'object', required: ['id'], properties: { id: runId } },
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tasks: { type: 'array', items: taskId, minItems: 1, maxItems: 100 },
      onlyFailed: { type: 'boolean', default: false },
      downstream: { type: 'boolean', default: true },
    },
  },
  response: { 202: answer },
} as const;

const clearTaskSchema = {
  summary: 'Run one task of an ended run again, and (unless downstream is false) every task after it',
  params: { type: 'object', required: ['id', 'task'], properties: { id: runId, task: taskId } },
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { downstream: { type: 'boolean', default: true } },
  },
  response: { 202: answer },
} as const;

const markTaskSchema = {
  summary: 'Record a task of an ended run as success or failed (success also runs what it had blocked)',
  params: { type: 'object', required: ['id', 'task'], properties: { id: runId, task: taskId } },
  body: {
    type: 'object',
    required: ['state'],
    additionalProperties: false,
    properties: { state: { type: 'string', enum: ['success', 'failed'] } },
  },
  response: { 200: answer },
} as const;

export function runActionRoutes(app: FastifyInstance, { deps, operator }: RouteContext): void {
  app.post<{ Params: { id: number }; Body: ClearOptions | undefined }>(
    '/api/runs/:id/clear',
    { onRequest: operator, config: { audit: 'runs.clear' }, schema: clearRunSchema },
    async (request, reply) => {
      const result = await deps.dags.clear(request.params.id, request.body ?? {}, actor(request));
      request.auditDetail = { tasks: result.tasks };
      return reply.code(202).send(result);
    },
  );

  app.post<{ Params: { id: number; task: string }; Body: { downstream?: boolean } | undefined }>(
    '/api/runs/:id/tasks/:task/clear',
    { onRequest: operator, config: { audit: 'tasks.clear' }, schema: clearTaskSchema },
    async (request, reply) => {
      const { id, task } = request.params;
      const options = { tasks: [task], downstream: request.body?.downstream ?? true };
      const result = await deps.dags.clear(id, options, actor(request));
      request.auditDetail = { tasks: result.tasks };
      return reply.code(202).send(result);
    },
  );

  app.post<{ Params: { id: number; task: string }; Body: { state: 'success' | 'failed' } }>(
    '/api/runs/:id/tasks/:task/mark',
    { onRequest: operator, config: { audit: 'tasks.mark' }, schema: markTaskSchema },
    async (request) => {
      const { id, task } = request.params;
      request.auditDetail = { state: request.body.state };
      return deps.dags.mark(id, task, request.body.state, actor(request));
    },
  );
}
