// One API server per test file on real services: its own redis-server, PostgreSQL database and DATA_DIR with a
// small aggregate and a trained model. `stop()` closes everything it started, in reverse order.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { trainModels } from '../../src/ml/train.js';
import { openStore } from '../../src/store/open.js';
import { startServer, type RunningServer, type ServerRuntime } from '../../src/app/server.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { MemoryDagService } from './memory-dags.js';
import type { DagService } from '../../src/api/deps.js';
import { OrchestrationDagService } from '../../src/api/dag-services.js';
import { DagRegistry } from '../../src/orchestration/dag.js';
import { pipelineDags, pipelineStages } from '../../src/orchestration/pipeline-dags.js';
import { createRuntime } from '../../src/orchestration/runtime.js';
import { startWorker, type StartWorkerOptions } from '../../src/orchestration/worker.js';
import { createRedis } from '../../src/redis/redis.js';

export const API_TOKEN = 'test-token-0123456789abcdef';
export const ADMIN_PASSWORD = 'correct horse battery';
export const CATEGORIES = ['fresh fruits', 'fresh vegetables', 'packaged cheese', 'yogurt'];

export interface Harness {
  server: RunningServer;
  config: Config;
  url: string;
  dags: MemoryDagService;
  announced: string[];
  /** The private redis-server (to stop and restart it in outage tests). */
  redis: RedisServer;
  stop(): Promise<void>;
}

/** A small aggregate where items peak at noon on day 0 and fruits sell most. */
export function aggregateCsv(): string {
  const lines = ['day_of_week,hour_of_day,category,items_count'];
  for (let d = 0; d < 7; d++)
    for (let h = 6; h < 22; h++)
      CATEGORIES.forEach((c, k) => {
        const items = Math.round((40 - Math.abs(h - 12) * 3) * (4 - k) * (d === 0 ? 2 : 1));
        if (items > 0) lines.push(`${d},${h},${c},${items}`);
      });
  return lines.join('\n') + '\n';
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** `pipeline`: the real pipeline DAGs with a BullMQ worker in this process (as `orderflow up` runs them). */
  dags?: 'memory' | 'pipeline';
  train?: boolean;
  app?: ServerRuntime['app'];
  /** The workers of `pipeline`, each a BullMQ worker in this process. @defaultValue one, named hostname:pid */
  workers?: StartWorkerOptions[];
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const fn of stops.reverse()) await fn();
  };
  try {
    const redis = await startRedis();
    stops.push(() => redis.stop());
    const database = await createTestDatabase();
    stops.push(() => database.drop());
    const dir = await tempDir('orderflow-api-');
    stops.push(() => dir.remove());
    const config = loadConfig({
      DATA_DIR: dir.path,
      REDIS_URL: redis.url,
      DATABASE_URL: database.url,
      ORDERFLOW_API_TOKEN: API_TOKEN,
      ORDERFLOW_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOG_LEVEL: 'silent',
      ...options.env,
    });
    const logger = createLogger('silent');
    await mkdir(config.paths.processedDir, { recursive: true });
    await writeFile(config.paths.processedCsv, aggregateCsv());
    const db = await openStore(config, logger);
    stops.push(() => db.close());
    if (options.train ?? true) await trainModels({ db, paths: config.paths }, { seed: 1 });
    const dags = new MemoryDagService();
    stops.push(async () => dags.close());
    let dagService: DagService = dags;
    if (options.dags === 'pipeline') {
      const redisClient = createRedis(config);
      stops.push(async () => redisClient.disconnect());
      const registry = new DagRegistry(pipelineDags(pipelineStages({ config, db, redis: redisClient })));
      // Short intervals so closing the worker does not wait on BullMQ's default 30 s timers.
      const settings = { lockDurationMs: 2_000, stalledIntervalMs: 1_000, shutdownGraceMs: 2_000 };
      const rt = createRuntime({ config, logger, db, registry, settings });
      stops.push(() => rt.close());
      for (const workerOptions of options.workers ?? [{}]) {
        const worker = await startWorker(rt, workerOptions);
        stops.push(() => worker.close());
      }
      dagService = new OrchestrationDagService(rt);
    }
    const announced: string[] = [];
    const server = await startServer(
      {
        config,
        logger,
        db,
        announce: (l) => announced.push(l),
        services: { dags: dagService },
        app: options.app,
      },
      { port: 0, host: '127.0.0.1' },
    );
    stops.push(() => server.close());
    return { server, config, url: server.url, dags, announced, redis, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const dataFile = (config: Config, ...parts: string[]): string => path.join(config.dataDir, ...parts);
