// The API described by itself: an OpenAPI 3 document generated from the route schemas (@fastify/swagger) at
// /openapi.json, interactive docs at /docs (@fastify/swagger-ui). Must be installed before any route, because
// both the defaults below and the generator collect routes as they are added.
//
// Every /api route gets, unless it says otherwise: a tag from its path, the error envelope for 4xx/5xx, and the
// security schemes (session cookie or bearer token) when its guard needs a role.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { errorEnvelope } from './schemas.js';

/** Guards carry the role they require, so the document can say which routes need a login. */
export interface RoleGuard {
  requiredRole?: string;
}

const TAGS: Record<string, string> = {
  predictions: 'predictions',
  categories: 'predictions',
  dags: 'dags',
  runs: 'dags',
  aggregates: 'data',
  ingest: 'data',
  models: 'models',
  cache: 'cache',
  login: 'auth',
  logout: 'auth',
  session: 'auth',
  users: 'users',
  tokens: 'users',
  audit: 'audit',
};

function requiredRole(route: RouteOptions): string | undefined {
  const handlers = [route.onRequest ?? []].flat() as (RoleGuard & object)[];
  return handlers.map((h) => h.requiredRole).find((r) => r !== undefined);
}

function withDefaults(route: RouteOptions): void {
  if (!route.url.startsWith('/api/') && !['/healthz', '/readyz', '/metrics'].includes(route.url)) return;
  const schema = (route.schema ??= {}) as Record<string, unknown>;
  const segment = route.url.split('/')[2] ?? '';
  schema.tags ??= [route.url.startsWith('/api/') ? (TAGS[segment] ?? segment) : 'health'];
  const response = (schema.response ??= {}) as Record<string, unknown>;
  response['4xx'] ??= { $ref: 'ErrorEnvelope#' };
  response['5xx'] ??= { $ref: 'ErrorEnvelope#' };
  const role = requiredRole(route);
  if (role !== undefined) {
    schema.security ??= [{ session: [] }, { bearer: [] }];
    schema.description ??= `Needs the role ${role} (or higher).`;
  }
}

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  // Answers are serialized as they are; the response schemas document them (see schemas.ts for why).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addSchema(errorEnvelope);
  app.addHook('onRoute', withDefaults);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'orderflow API',
        version: '1',
        description:
          'Demand predictions, DAG runs, the ingest ledger, models and the prediction cache. Every 4xx/5xx ' +
          'answer is `{ "error": { "code", "message", "details" } }`. Roles: viewer (read), operator (trigger, ' +
          'pause, rerun, reprocess), admin (also users and cache clear).',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'orderflow_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: false });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
