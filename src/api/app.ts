// createApp(deps, config): the Fastify app of the API and dashboard, without listening (server.ts does that), so
// tests drive it with inject() or a real port alike.
//
//   const app = await createApp(deps, config);
//   await app.listen({ port: 8080, host: '127.0.0.1' });
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import type { Redis } from '../redis.js';
import { registerAuthRoutes, requireAuth, type AuthOptions } from './auth.js';
import type { AppDeps } from './deps.js';
import { installErrorHandler } from './http-errors.js';
import { ApiMetrics } from './metrics.js';
import type { RouteContext } from './routes/context.js';
import { dagRoutes } from './routes/dags.js';
import { dataRoutes } from './routes/data.js';
import { predictionRoutes } from './routes/predictions.js';
import { statusRoutes } from './routes/status.js';
import { webRoutes } from './routes/web.js';
import { DebugRequestLog } from './request-log.js';

export interface AppOptions {
  /** Fastify's logger option: a pino instance or false. @defaultValue false */
  logger?: FastifyServerOptions['loggerInstance'] | false;
  /** @defaultValue 12 hours */
  sessionTtlMs?: number;
  /** @defaultValue { max: 10, windowMs: 60_000 } */
  loginRateLimit?: AuthOptions['loginRateLimit'];
  /** Keep login rate-limit counters in Redis, shared by every API process. @defaultValue in memory */
  rateLimitRedis?: { redis: Redis; nameSpace: string };
  /** Include Node process metrics (heap, event loop lag, …) in /metrics. @defaultValue true */
  processMetrics?: boolean;
}

export type AppConfig = Pick<Config, 'apiToken' | 'publicPredictions'>;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export async function createApp(
  deps: AppDeps,
  config: AppConfig,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  // Unknown fields are rejected, not silently dropped (Fastify's default removes them).
  const base = { bodyLimit: 1 << 20, ajv: { customOptions: { removeAdditional: false } } } as const;
  const app = options.logger
    ? Fastify({
        ...base,
        loggerInstance: options.logger,
        logController: new DebugRequestLog(),
      })
    : Fastify({ ...base, logger: false });
  installErrorHandler(app);
  // A callback hook, not an async one: this runs on every request, including the hot prediction path.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    done(null, payload);
  });

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    ...(options.rateLimitRedis ?? {}),
  });

  const authOptions: AuthOptions = {
    apiToken: config.apiToken,
    sessionTtlMs: options.sessionTtlMs ?? 12 * 3600_000,
    loginRateLimit: options.loginRateLimit ?? { max: 10, windowMs: 60_000 },
  };
  const guard = requireAuth(deps.auth, authOptions);
  const context: RouteContext = {
    deps,
    metrics: new ApiMetrics(deps, { processMetrics: options.processMetrics }),
    authenticated: [guard],
    predictionReads: config.publicPredictions ? [] : [guard],
  };

  registerAuthRoutes(app, deps.auth, authOptions);
  predictionRoutes(app, context);
  dagRoutes(app, context);
  dataRoutes(app, context);
  statusRoutes(app, context);
  await webRoutes(app);
  return app;
}
