// Moving the current model version from the API (what `orderflow models promote|rollback|history` do): the log
// of promotions and rejections, a promotion of any registered version, a rollback to the version current before.
// Each move refreshes the prediction cache at once (one atomic replace) and answers what the refresh did.
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';

const versionParams = {
  type: 'object',
  required: ['version'],
  properties: { version: { type: 'string', pattern: '^v[0-9]{1,9}$' } },
} as const;

export function modelRoutes(app: FastifyInstance, { deps, authenticated }: RouteContext): void {
  const models = deps.models;
  if (models.promotions) {
    const promotions = models.promotions.bind(models);
    app.get('/api/models/promotions', { preHandler: authenticated }, async () => ({
      events: await promotions(),
    }));
  }
  if (models.increments) {
    const increments = models.increments.bind(models);
    app.get('/api/models/increments', { preHandler: authenticated }, async () => ({
      increments: await increments(),
    }));
  }
  if (models.promote) {
    const promote = models.promote.bind(models);
    app.post<{ Params: { version: string } }>(
      '/api/models/:version/promote',
      { preHandler: authenticated, schema: { params: versionParams } },
      async (request) => promote(request.params.version),
    );
  }
  if (models.rollback) {
    const rollback = models.rollback.bind(models);
    app.post('/api/models/rollback', { preHandler: authenticated }, async () => rollback());
  }
}
