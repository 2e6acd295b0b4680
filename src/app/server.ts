// startServer: the API and dashboard listening on a port, with their real dependencies (metadata store, Redis,
// model, and whatever stage services the caller passes). Used by `orderflow serve` and by `orderflow up`, which
// runs the scheduler in the same process and hands its DAG service in. close() releases everything it acquired,
// in reverse order, once.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { connectRedis, redisKey, type Redis } from '../redis/redis.js';
import { readTopology } from '../redis/redis-topology.js';
import type { Db } from '../store/db.js';
import { openStore } from '../store/open.js';
import { followRegistry } from './follow-registry.js';
import { createApp, type AppOptions } from '../api/app.js';
import { CsvAggregateSource } from '../api/aggregates.js';
import { syncLocalOutput } from '../ingest/output/increment-output.js';
import { DbAuthStore, DbUserDirectory, ensureAdmin, ADMIN_USER } from '../auth/auth-store.js';
import type {
  AppDeps,
  CacheStatsService,
  DagService,
  IngestService,
  PredictionService,
} from '../api/deps.js';
import { Predictor } from '../cache/predictor.js';
import { refreshCache } from '../cache/refresh.js';
import { toError } from '../base/errors.js';
import { DagRegistry } from '../orchestration/dag.js';
import { pipelineDags, pipelineStages } from '../orchestration/pipeline-dags.js';
import { createRuntime, type OrchestrationRuntime } from '../orchestration/runtime.js';
import { CachedPredictionService, RedisCacheStatsService } from '../api/cache-services.js';
import { OrchestrationDagService } from '../api/dag-services.js';
import { LedgerIngestService } from '../api/ingest-service.js';
import { RegistryModelService } from '../api/model-services.js';
import { DbAuditLog } from '../auth/audit.js';

export interface ServerRuntime {
  config: Config;
  logger: Logger;
  /** Where the one-time generated admin password is shown. @defaultValue standard error */
  announce?: (line: string) => void;
  /** An open metadata store to share; otherwise one is opened (serving the embedded store) and closed on close(). */
  db?: Db;
  /**
   * The DAG runtime of this process (`orderflow up`): the API reads and triggers through it instead of opening
   * queues of its own.
   */
  orchestration?: OrchestrationRuntime;
  /** Stage services provided by the caller; each missing one gets the default adapter or a 503 stand-in. */
  services?: Partial<{
    dags: DagService;
    predictions: PredictionService;
    ingest: IngestService;
    cache: CacheStatsService;
  }>;
  /** Builds services that need the server's Redis and store (e.g. the cache predictor). */
  buildServices?: (shared: {
    db: Db;
    redis: Redis;
  }) => Promise<ServerRuntime['services']> | ServerRuntime['services'];
  app?: AppOptions;
}

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  close(): Promise<void>;
}

type Releasers = (() => Promise<void>)[];
type Services = NonNullable<ServerRuntime['services']>;

/** The model's predictions through the Redis cache, on a connection of their own. */
async function cachedPredictions(runtime: ServerRuntime, releasers: Releasers): Promise<PredictionService> {
  const { config, logger } = runtime;
  // Concurrent requests' lookups share one write to Redis (auto-pipelining): fewer syscalls per request.
  const lookups = await connectRedis(config, { failFast: true });
  lookups.options.enableAutoPipelining = true;
  releasers.push(async () => void lookups.disconnect());
  const predictor = await Predictor.create({
    config,
    logger,
    redis: lookups,
    localCacheMs: config.localCacheMs,
  });
  releasers.push(() => predictor.close());
  return new CachedPredictionService(predictor);
}

/**
 * The DAG definitions and queues without a scheduler or worker: runs triggered here are executed by the workers
 * of `orderflow up` / `orderflow worker`, and the history is read from the shared store.
 */
function queueOnlyDags(runtime: ServerRuntime, db: Db, redis: Redis, releasers: Releasers): DagService {
  const { config, logger } = runtime;
  const registry = new DagRegistry(pipelineDags(pipelineStages({ config, db, redis })));
  const orchestration = createRuntime({ config, logger, db, registry });
  releasers.push(() => orchestration.close());
  return new OrchestrationDagService(orchestration);
}

function appDeps(
  runtime: ServerRuntime,
  shared: { db: Db; redis: Redis; built: Services },
  services: { predictions: PredictionService; dags: DagService },
): AppDeps {
  const { config, logger } = runtime;
  const { db, redis, built } = shared;
  return {
    ...services,
    ingest: built.ingest ?? new LedgerIngestService(config, db, redis),
    cache: built.cache ?? new RedisCacheStatsService(config, redis),
    models: new RegistryModelService(db, config.paths.modelsDir, () =>
      refreshCache({ config, logger, redis }).then(
        (r) => r.status,
        (err: unknown) => (
          logger.warn({ err: toError(err).message }, 'cache refresh after a model move failed'),
          null
        ),
      ),
    ),
    aggregates: new CsvAggregateSource(config.paths, () => syncLocalOutput(config, db)),
    health: {
      redis: async () => void (await redis.ping()),
      redisTopology: () => readTopology(redis, config),
      store: async () => void (await db.query('SELECT 1')),
    },
    auth: new DbAuthStore(db),
    users: new DbUserDirectory(db),
    audit: new DbAuditLog(db),
  };
}

/** Opens the metadata store (serving the embedded one) unless the caller shares one. */
async function storeFor(runtime: ServerRuntime, releasers: Releasers): Promise<Db> {
  if (runtime.db) return runtime.db;
  const opened = await openStore(runtime.config, runtime.logger, { serve: true });
  releasers.push(() => opened.close());
  return opened;
}

async function announceAdmin(runtime: ServerRuntime, db: Db): Promise<void> {
  const setup = await ensureAdmin(db, runtime.config.adminPassword);
  if (setup.generatedPassword) {
    (runtime.announce ?? ((line) => process.stderr.write(line + '\n')))(
      `orderflow: generated the dashboard password for user "${ADMIN_USER}" (shown once, stored hashed): ` +
        setup.generatedPassword,
    );
  }
}

async function buildApp(runtime: ServerRuntime, releasers: Releasers): Promise<FastifyInstance> {
  const { config, logger } = runtime;
  const db = await storeFor(runtime, releasers);
  const redis = await connectRedis(config, { failFast: true });
  releasers.push(async () => void redis.disconnect());
  await announceAdmin(runtime, db);
  // This machine may not be the one that trained the model or committed the data it serves.
  const follower = followRegistry({ config, db, logger });
  releasers.push(() => follower.close());

  const built: Services = { ...(await runtime.buildServices?.({ db, redis })), ...runtime.services };
  const predictions = built.predictions ?? (await cachedPredictions(runtime, releasers));
  const dags =
    built.dags ??
    (runtime.orchestration
      ? new OrchestrationDagService(runtime.orchestration)
      : queueOnlyDags(runtime, db, redis, releasers));
  const deps = appDeps(runtime, { db, redis, built }, { predictions, dags });
  const app = await createApp(deps, config, {
    logger,
    rateLimitRedis: { redis, nameSpace: redisKey(config, 'login-rate:') },
    ...runtime.app,
  });
  releasers.push(() => app.close());
  return app;
}

export async function startServer(
  runtime: ServerRuntime,
  listen: { port?: number; host?: string } = {},
): Promise<RunningServer> {
  const { config, logger } = runtime;
  const releasers: Releasers = [];
  const release = async (): Promise<void> => {
    for (const fn of releasers.reverse())
      await fn().catch((err: unknown) => logger.warn({ err }, 'close failed'));
  };
  try {
    const app = await buildApp(runtime, releasers);
    const host = listen.host ?? config.host;
    await app.listen({ port: listen.port ?? config.port, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : (listen.port ?? config.port);
    const shownHost = host.includes(':') ? `[${host}]` : host;
    let closing: Promise<void> | undefined;
    return { app, port, url: `http://${shownHost}:${port}`, close: () => (closing ??= release()) };
  } catch (error) {
    await release();
    throw error;
  }
}
