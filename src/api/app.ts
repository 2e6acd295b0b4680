// createApp(deps, config): the Fastify app of the API and dashboard, without listening (server.ts does that), so
// tests drive it with inject() or a real port alike.
//
//   const app = await createApp(deps, config);
//   await app.listen({ port: 8080, host: '127.0.0.1' });
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../base/config.js';
import type { Redis } from '../redis/redis.js';
import { installAuditHook } from './audit-hook.js';
import { identify, registerAuthRoutes, requireRole, type AuthOptions } from './auth.js';
import type { AppDeps } from './deps.js';
import { installErrorHandler } from './http-errors.js';
import { ApiMetrics } from './metrics.js';
import { installOpenApi } from './openapi.js';
import { fallbackStore } from './rate-limit-store.js';
import type { RouteContext } from './routes/context.js';
import { dagRoutes } from './routes/dags.js';
import { dataRoutes } from './routes/data.js';
import { modelRoutes } from './routes/models.js';
import { predictionRoutes } from './routes/predictions.js';
import { runActionRoutes } from './routes/run-actions.js';
import { statusRoutes } from './routes/status.js';
import { userRoutes } from './routes/users.js';
import { webRoutes } from './routes/web.js';
import { DebugRequestLog } from './request-log.js';

export interface AppOptions {
  /** Fastify's logger option: a pino instance or false. @defaultValue false */
  logger?: FastifyServerOptions['loggerInstance'] | false;
  /** @defaultValue 12 hours */
  sessionTtlMs?: number;
  /** @defaultValue { max: 10, windowMs: 60_000 } */
  loginRateLimit?: AuthOptions['loginRateLimit'];
  /**
   * Keep login rate-limit counters in Redis, shared by every API process, falling back to memory while Redis is
   * down. @defaultValue in memory
   */
  rateLimitRedis?: { redis: Redis; nameSpace: string };
  /** Include Node process metrics (heap, event loop lag, …) in /metrics. @defaultValue true */
  processMetrics?: boolean;
}

export type AppConfig = Pick<Config, 'apiToken' | 'publicPredictions'> &
  Partial<Pick<Config, 'metricsToken' | 'trustProxy'>>;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

/** TRUST_PROXY as Fastify takes it: a hop count becomes "trust the first n proxies". */
function trustProxyOption(
  value: boolean | number | string,
): boolean | string | ((a: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}

export async function createApp(
  deps: AppDeps,
  config: AppConfig,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  // Unknown fields are rejected, not silently dropped (Fastify's default removes them).
  const base = {
    bodyLimit: 1 << 20,
    ajv: { customOptions: { removeAdditional: false } },
    trustProxy: trustProxyOption(config.trustProxy ?? false),
  } as const;
  const app = options.logger
    ? Fastify({
        ...base,
        loggerInstance: options.logger,
        logController: new DebugRequestLog(),
      })
    : Fastify({ ...base, logger: false });
  installErrorHandler(app);
  await installOpenApi(app);
  installAuditHook(app, deps.audit);
  // A callback hook, not an async one: this runs on every request, including the hot prediction path.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    done(null, payload);
  });

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    ...(options.rateLimitRedis
      ? { store: fallbackStore({ ...options.rateLimitRedis, logger: app.log }) }
      : {}),
  });

  const authOptions: AuthOptions = {
    apiToken: config.apiToken,
    sessionTtlMs: options.sessionTtlMs ?? 12 * 3600_000,
    loginRateLimit: options.loginRateLimit ?? { max: 10, windowMs: 60_000 },
  };
  const viewer = requireRole(deps.auth, authOptions, 'viewer');
  const context: RouteContext = {
    deps,
    metrics: new ApiMetrics(deps, { processMetrics: options.processMetrics }),
    authenticated: [viewer],
    operator: [requireRole(deps.auth, authOptions, 'operator')],
    admin: [requireRole(deps.auth, authOptions, 'admin')],
    predictionReads: config.publicPredictions ? [] : [viewer],
    metricsToken: config.metricsToken,
    identify: (request) => identify(request, deps.auth, authOptions),
  };

  registerAuthRoutes(app, deps.auth, authOptions);
  predictionRoutes(app, context);
  dagRoutes(app, context);
  runActionRoutes(app, context);
  dataRoutes(app, context);
  statusRoutes(app, context);
  userRoutes(app, context);
  modelRoutes(app, context);
  await webRoutes(app);
  return app;
}
