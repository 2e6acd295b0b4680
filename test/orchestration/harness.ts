// Set-up shared by the orchestration tests: a runtime over a fresh PostgreSQL database and its own Redis key
// prefix (so tests sharing one redis-server never see each other's queues), small test DAGs whose tasks the
// test controls, and polling helpers over the run history.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/base/clock.js';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { DagRegistry, type DagDefinition, type TaskDefinition } from '../../src/orchestration/dag.js';
import type { IncrementalStages } from '../../src/orchestration/pipeline-dags.js';
import type { RunRow, TaskTryRow } from '../../src/orchestration/run-store.js';
import {
  createRuntime,
  type EngineSettings,
  type OrchestrationRuntime,
} from '../../src/orchestration/runtime.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

/** Short enough that stalled jobs and lost tasks are noticed within a couple of seconds. */
export const FAST_SETTINGS: Partial<EngineSettings> = {
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
  maxStalledCount: 2,
  sweepIntervalMs: 300,
  watchIntervalMs: 100,
  lostTaskGraceMs: 2_000,
  shutdownGraceMs: 5_000,
};

export interface Env {
  config: Config;
  db: Db;
  database: TestDatabase;
  dir: TempDir;
  /** Environment variables that point another process (or the CLI) at the same store, Redis and prefix. */
  vars: Record<string, string>;
  /** A runtime over `dags`; pass a ManualClock (test/helpers/clock.ts) to drive its loops' time. */
  runtime(dags: DagDefinition[], settings?: Partial<EngineSettings>, clock?: Clock): OrchestrationRuntime;
  close(): Promise<void>;
}

export async function openEnv(redisUrl: string): Promise<Env> {
  const database = await createTestDatabase();
  const dir = await tempDir();
  const vars = {
    DATA_DIR: dir.path,
    REDIS_URL: redisUrl,
    DATABASE_URL: database.url,
    REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
    LOG_LEVEL: 'silent',
  };
  const config = loadConfig(vars);
  const logger = createLogger('silent');
  const db = await openStore(config, logger);
  const runtimes: OrchestrationRuntime[] = [];
  return {
    config,
    db,
    database,
    dir,
    vars,
    runtime: (dags, settings = FAST_SETTINGS, clock) => {
      const rt = createRuntime({ config, logger, db, registry: new DagRegistry(dags), settings, clock });
      runtimes.push(rt);
      return rt;
    },
    close: async () => {
      for (const rt of runtimes.reverse()) await rt.close();
      await db.close();
      await database.drop();
      await dir.remove();
    },
  };
}

/** A one-DAG definition; `everyMs` defaults to an hour so only triggers start runs. */
export function testDag(id: string, tasks: TaskDefinition[], everyMs = 3_600_000): DagDefinition {
  return { id, schedule: { everyMs }, tasks };
}

export async function runsOf(db: Db, dagId: string): Promise<RunRow[]> {
  return db.query<RunRow>('SELECT * FROM dag_runs WHERE dag_id = $1 ORDER BY id', [dagId]);
}

export async function triesOf(db: Db, runId: number): Promise<TaskTryRow[]> {
  return db.query<TaskTryRow>('SELECT * FROM dag_task_instances WHERE run_id = $1 ORDER BY id', [runId]);
}

/** Waits until the run has ended and returns it. */
export async function waitForRunEnd(db: Db, runId: number, timeoutMs = 10_000): Promise<RunRow> {
  return waitFor(
    `run ${runId} to end`,
    async () => {
      const [run] = await db.query<RunRow>('SELECT * FROM dag_runs WHERE id = $1', [runId]);
      return run && run.state !== 'queued' && run.state !== 'running' ? run : undefined;
    },
    timeoutMs,
  );
}

/**
 * Stand-in incremental stages whose whole work is `commit` (the real DAG's four tasks run; discover plans no
 * parts, so the aggregate task has no child jobs).
 */
export function commitOnlyIncremental(commit: IncrementalStages['commit']): IncrementalStages {
  return {
    discover: async () => ({ plan: null, children: [] }),
    readPart: async () => {
      throw new Error('no parts are planned');
    },
    commit,
    updateTracking: async () => null,
  };
}
