// Moving the current model version from the API (what `orderflow models promote|rollback|history` do): the log
// of promotions and rejections, a promotion of any registered version, a rollback to the version current before.
// Each move refreshes the prediction cache at once (one atomic replace) and answers what the refresh did.
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';

// The promotion log and increment scores are the ml stage's records (promotions.ts, increment-accuracy.ts),
// documented as objects here; their fields are described by the stage's types.
const anyObject = { type: 'object', additionalProperties: true } as const;
const listOf = (key: string) =>
  ({
    type: 'object',
    required: [key],
    properties: { [key]: { type: 'array', items: anyObject } },
  }) as const;

const versionParams = {
  type: 'object',
  required: ['version'],
  properties: { version: { type: 'string', pattern: '^v[0-9]{1,9}$' } },
} as const;

export function modelRoutes(app: FastifyInstance, { deps, authenticated, operator }: RouteContext): void {
  const models = deps.models;
  if (models.promotions) {
    const promotions = models.promotions.bind(models);
    const schema = {
      summary: 'Every promotion, rejection, manual promotion and rollback, newest first',
      response: { 200: listOf('events') },
    };
    app.get('/api/models/promotions', { onRequest: authenticated, schema }, async () => ({
      events: await promotions(),
    }));
  }
  if (models.increments) {
    const increments = models.increments.bind(models);
    const schema = {
      summary: 'Each committed increment scored against the model serving when it arrived',
      response: { 200: listOf('increments') },
    };
    app.get('/api/models/increments', { onRequest: authenticated, schema }, async () => ({
      increments: await increments(),
    }));
  }
  if (models.promote) {
    const promote = models.promote.bind(models);
    app.post<{ Params: { version: string } }>(
      '/api/models/:version/promote',
      {
        onRequest: operator,
        config: { audit: 'models.promote' },
        schema: {
          summary: 'Make a registered version current; the cache follows at once',
          params: versionParams,
        },
      },
      async (request) => promote(request.params.version),
    );
  }
  if (models.rollback) {
    const rollback = models.rollback.bind(models);
    app.post(
      '/api/models/rollback',
      {
        onRequest: operator,
        config: { audit: 'models.rollback' },
        schema: {
          summary: 'Return to the version current before; the cache follows at once',
          response: { 200: anyObject },
        },
      },
      async () => rollback(),
    );
  }
}
