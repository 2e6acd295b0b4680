// The three DAGs of the pipeline, bound to their stages: incremental processing every 4 s, model training every
// 20 s, the prediction cache refresh every 20 s (the Airflow originals). The incremental DAG is four tasks —
// discover_files → aggregate (one child job per file or byte range, on any worker) → commit → update_tracking —
// the others one each. Data-aware triggers chain them: committed new data starts training at once, a newly
// registered model version starts the cache refresh. The stages are injected (`PipelineStages`) so tests can
// slow or fail them while keeping the real DAGs.
import { UnrecoverableError } from 'bullmq';
import type { Config } from '../base/config.js';
import { InputError, toError } from '../base/errors.js';
import { refreshCache } from '../cache/refresh.js';
import { scoreNewIncrements } from '../ml/increment-accuracy.js';
import { syncModels } from '../ml/model-sync.js';
import { trainModels } from '../ml/train.js';
import { resolveTrainingInputs } from '../ml/training-inputs.js';
import type { IncrementPlan } from '../ingest/increment-plan.js';
import type { PartPlan } from '../ingest/files.js';
import { openLanding } from '../ingest/landing/landing.js';
import type { LandingArea } from '../ingest/files.js';
import { syncLocalOutput } from '../ingest/output/increment-output.js';
import {
  commitIncrement,
  discoverIncrement,
  readIncrementPart,
  updateIncrementTracking,
  type PartReport,
} from '../ingest/incremental.js';
import type { Redis } from '../redis/redis.js';
import type { Db } from '../store/db.js';
import { LeaseLostError } from '../base/errors.js';
import type { ChildContext, DagDefinition, Schedule, TaskContext } from './dag.js';
import { runById } from './run-store.js';

export const INCREMENTAL_DAG = 'incremental_processing_dag';
export const TRAINING_DAG = 'ml_training_dag';
export const CACHE_DAG = 'redis_cache_dag';
export type PipelineDagId = typeof INCREMENTAL_DAG | typeof TRAINING_DAG | typeof CACHE_DAG;

/** The incremental DAG's tasks. */
const DISCOVER_TASK = 'discover_files';
const AGGREGATE_TASK = 'aggregate';
const COMMIT_TASK = 'commit';
const TRACKING_TASK = 'update_tracking';

/**
 * The DAG a landed file under DATA_DIR/incremental/raw starts.
 * @alias a name for the file trigger's role, not a second DAG (so knip does not report it as a duplicate)
 */
export const FILE_TRIGGERED_DAG: PipelineDagId = INCREMENTAL_DAG;

/** The incremental DAG's steps (ingest/incremental.ts), one per task. */
export interface IncrementalStages {
  /** Takes the lease and plans the run; `children` are the inputs of the aggregate task's child jobs. */
  discover(ctx: TaskContext): Promise<{ plan: unknown; children: unknown[] }>;
  /** One child job of the aggregate task: reads one part and stages it. */
  readPart(ctx: ChildContext): Promise<unknown>;
  /** `newDataKey` names the new data (e.g. the ledger generation) when new data was committed, else null. */
  commit(ctx: TaskContext, plan: unknown): Promise<{ newDataKey: string | null; summary: unknown }>;
  updateTracking(ctx: TaskContext, newData: boolean): Promise<unknown>;
}

/** What each stage reports back to the DAG: whether it produced something downstream DAGs should act on. */
export interface PipelineStages {
  incremental: IncrementalStages;
  /** The newly registered model version, or null when nothing new was trained. */
  train(ctx: TaskContext): Promise<{ newVersion: string | null; summary: unknown }>;
  refreshCache(ctx: TaskContext): Promise<{ summary: unknown }>;
}

export interface PipelineDeps {
  config: Config;
  db: Db;
  /** A plain (not BullMQ) connection for the stages' own keys. */
  redis: Redis;
}

/** The real stages. */
export function pipelineStages(deps: PipelineDeps): PipelineStages {
  const { config, db, redis } = deps;
  const syncModelsLogged = async (ctx: TaskContext) => {
    const synced = await syncModels(db, config.paths.modelsDir);
    if (synced.changed)
      ctx.logger.info(
        { version: synced.version },
        `model ${synced.version} (current in the registry) copied here`,
      );
  };
  return {
    incremental: incrementalStages(deps),
    train: async (ctx) => {
      // The incremental commit, and the last training, may have run on another machine: train on what the ledger
      // holds now, against the registry's current model.
      if (await syncLocalOutput(config, db))
        ctx.logger.info('incremental output brought up to the ledger on this machine before training');
      await syncModelsLogged(ctx);
      try {
        await resolveTrainingInputs(config.paths);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        // Expected until the first data is aggregated: not a warning.
        ctx.logger.info(err.message);
        return { newVersion: null, summary: { status: 'no-input' } };
      }
      // `force`: a manual run asked to retrain although the data did not change.
      // Each new generation refits the current model's algorithm (about a second from landing to serving); a
      // manual run chooses among every candidate by K-fold again.
      const result = await trainModels(
        { db, paths: config.paths },
        { force: ctx.params?.force === true, refitOnly: ctx.trigger !== 'manual' },
      );
      const { candidates: _candidates, ...summary } = result;
      ctx.logger[result.status === 'trained' ? 'info' : 'debug'](
        { status: result.status, version: result.version, algorithm: result.algorithm },
        `training: ${result.status}${result.decision ? ` (${result.decision.reason})` : ''}`,
      );
      return { newVersion: result.status === 'trained' ? result.version : null, summary };
    },
    refreshCache: async (ctx) => {
      // The model may have been trained on another machine.
      await syncModelsLogged(ctx);
      const result = await refreshCache({ config, logger: ctx.logger, redis });
      ctx.logger[result.status === 'refreshed' ? 'info' : 'debug'](
        { ...result },
        `cache refresh: ${result.status}`,
      );
      return { summary: result };
    },
  };
}

/** A child job's input: the run's token and the part to read. */
interface PartInput {
  token: number;
  part: PartPlan;
}

/** The commit task: commits the run's increment, says what it skipped, scores the new increments. */
async function commitStage(deps: PipelineDeps, landing: LandingArea, ctx: TaskContext, plan: IncrementPlan) {
  const { config, db, redis } = deps;
  const result = await commitIncrement({ config, logger: ctx.logger, db, redis, landing }, plan);
  // Every 4 s: said at info only when something was committed (always kept in the task's log).
  const level = result.status === 'committed' ? 'info' : 'debug';
  ctx.logger[level]({ ...result }, `incremental: ${result.status}`);
  // A rejected file is a verdict on that file, not a failure of the run: the others committed.
  const rejected = result.skipped.filter((f) => f.status === 'rejected');
  const duplicates = result.skipped.filter((f) => f.status === 'duplicate');
  if (rejected.length > 0) ctx.logger.warn({ files: rejected }, `${rejected.length} file(s) rejected`);
  if (duplicates.length > 0)
    ctx.logger.warn({ files: duplicates }, `${duplicates.length} duplicate file(s) not counted`);
  // Before training sees the new data: score each new increment against the model serving now.
  if (result.status === 'committed') {
    try {
      for (const s of await scoreNewIncrements({ db, modelsDir: config.paths.modelsDir }))
        ctx.logger.info(
          { ...s },
          `increment ${s.path}: RMSE ${s.rmse.toFixed(3)}, noise floor ${s.noiseFloor.toFixed(3)}`,
        );
    } catch (err) {
      // The commit stands; unscored increments are scored by the next committing run.
      ctx.logger.warn({ err: toError(err).message }, 'scoring the new increments failed');
    }
  }
  return {
    newDataKey: result.status === 'committed' ? `generation-${result.generation}` : null,
    summary: result,
  };
}

function incrementalStages(deps: PipelineDeps): IncrementalStages {
  const { config, db, redis } = deps;
  // One landing area per process (for a bucket, one S3 client), not one per task and per child job.
  let opened: Promise<LandingArea> | undefined;
  const landing = (): Promise<LandingArea> => (opened ??= openLanding(config));
  return {
    discover: async (ctx) => {
      const { plan, lock } = await discoverIncrement(
        { config, logger: ctx.logger, db, redis, landing: await landing() },
        {
          dagRunId: ctx.runId,
          // A run that failed between its tasks leaves its lease behind, and so does an earlier try of this task
          // whose worker died: no need to wait for either lease to expire.
          holderEnded: async (runId) => {
            if (runId === ctx.runId) return true;
            const run = await runById(db, runId);
            return !run || (run.state !== 'queued' && run.state !== 'running');
          },
        },
      );
      // The lease now belongs to the run: the commit task, on whichever worker, fences and releases it.
      lock.detach();
      const level = plan.parts.length > 0 || plan.removed.length > 0 ? 'info' : 'debug';
      ctx.logger[level](
        {
          token: plan.token,
          parts: plan.parts.length,
          removed: plan.removed.length,
          waiting: plan.waiting.length,
        },
        `planned ${plan.parts.length} part(s) of ${new Set(plan.parts.map((p) => p.path)).size} file(s)`,
      );
      return { plan, children: plan.parts.map((part): PartInput => ({ token: plan.token, part })) };
    },
    readPart: async (ctx) => {
      const { token, part } = ctx.input as PartInput;
      const report = await readIncrementPart(
        { config, db, landing: await landing() },
        token,
        part,
        ctx.worker,
      );
      ctx.logger.debug(
        { ...report },
        `read ${part.path} part ${part.index + 1}/${part.count}: ${report.outcome}`,
      );
      return report;
    },
    commit: async (ctx, plan) => commitStage(deps, await landing(), ctx, plan as IncrementPlan),
    updateTracking: async (ctx, newData) => {
      // The output files are not written here: whichever process reads them brings its machine's copy up to the
      // ledger first (training, the API's aggregates, `orderflow incremental`), so the run's serial part stays a
      // few small statements however many machines read in parallel.
      return updateIncrementTracking({ config, logger: ctx.logger, db, redis }, newData);
    },
  };
}

/** What the aggregate task records: how many parts ended how, and on which workers. */
function summarizeParts(reports: readonly unknown[]) {
  const parts = reports as PartReport[];
  const count = (outcome: PartReport['outcome']) => parts.filter((p) => p.outcome === outcome).length;
  const workers: Record<string, number> = {};
  for (const p of parts) workers[p.worker] = (workers[p.worker] ?? 0) + 1;
  return {
    parts: parts.length,
    read: count('read'),
    rejected: count('rejected'),
    changed: count('changed'),
    abandoned: count('abandoned'),
    bytes: parts.reduce((n, p) => n + (p.bytes ?? 0), 0),
    workers,
  };
}

/** Bad input and a lost lease cannot be fixed by retrying; store, Redis and file system errors can. */
function unrecoverable(err: unknown): unknown {
  return err instanceof InputError || err instanceof LeaseLostError
    ? new UnrecoverableError(toError(err).message)
    : err;
}

export interface PipelineDagOptions {
  /** Other schedules (tests, slower deployments). @defaultValue the Airflow originals: 4 s, 20 s, 20 s */
  schedules?: Partial<Record<PipelineDagId, Schedule>>;
}

type ScheduleOf = (id: PipelineDagId, everyMs: number) => Schedule;

/** The incremental DAG: discover → aggregate (one child job per part) → commit → update_tracking. */
function incrementalDag(stages: PipelineStages, schedule: ScheduleOf): DagDefinition {
  return {
    id: INCREMENTAL_DAG,
    description: 'Fold newly landed order files into the aggregate (exactly once)',
    schedule: schedule(INCREMENTAL_DAG, 4_000),
    tasks: [
      {
        id: DISCOVER_TASK,
        // LockedError (a manual `orderflow incremental` holds the lease) and transient errors (store, file
        // system, S3) are worth a retry with backoff (0.5 s, then 1 s).
        retries: 2,
        retryDelayMs: 500,
        timeoutMs: 10 * 60_000,
        run: async (ctx) =>
          stages.incremental.discover(ctx).catch((err: unknown) => Promise.reject(unrecoverable(err))),
      },
      {
        id: AGGREGATE_TASK,
        dependsOn: [DISCOVER_TASK],
        timeoutMs: 30 * 60_000,
        fanOut: {
          children: (upstream) =>
            (upstream[DISCOVER_TASK] as { children?: unknown[] } | null)?.children ?? [],
          runChild: (ctx) => stages.incremental.readPart(ctx),
          retries: 2,
          retryDelayMs: 500,
        },
        run: async (ctx) => summarizeParts(ctx.children ?? []),
      },
      {
        id: COMMIT_TASK,
        dependsOn: [DISCOVER_TASK, AGGREGATE_TASK],
        retries: 2,
        retryDelayMs: 500,
        timeoutMs: 10 * 60_000,
        run: async (ctx) => {
          const plan = (ctx.upstream[DISCOVER_TASK] as { plan: unknown }).plan;
          const { newDataKey, summary } = await stages.incremental
            .commit(ctx, plan)
            .catch((err: unknown) => Promise.reject(unrecoverable(err)));
          // update_tracking starts training once the run is complete (a worker running one task at a time
          // would otherwise take the training job before this run's last task).
          return { ...(summary as object), newDataKey };
        },
      },
      {
        id: TRACKING_TASK,
        dependsOn: [COMMIT_TASK],
        retries: 1,
        retryDelayMs: 500,
        run: async (ctx) => {
          const committed = ctx.upstream[COMMIT_TASK] as { newDataKey?: string | null } | null;
          const newDataKey = committed?.newDataKey ?? null;
          const result = await stages.incremental.updateTracking(ctx, newDataKey !== null);
          if (newDataKey) await ctx.triggerDag(TRAINING_DAG, `data:${newDataKey}`);
          return result;
        },
      },
    ],
  };
}

export function pipelineDags(stages: PipelineStages, options: PipelineDagOptions = {}): DagDefinition[] {
  const schedule: ScheduleOf = (id, everyMs) => options.schedules?.[id] ?? { everyMs };
  return [
    incrementalDag(stages, schedule),
    {
      id: TRAINING_DAG,
      description: 'Train the candidate models on the aggregate and register the best as a new version',
      schedule: schedule(TRAINING_DAG, 20_000),
      tasks: [
        {
          id: 'train_models',
          retries: 1,
          retryDelayMs: 2_000,
          timeoutMs: 30 * 60_000,
          run: async (ctx) => {
            const { newVersion, summary } = await stages.train(ctx);
            if (newVersion) await ctx.triggerDag(CACHE_DAG, `model:${newVersion}`);
            return summary;
          },
        },
      ],
    },
    {
      id: CACHE_DAG,
      description: 'Write every prediction of the current model into Redis',
      schedule: schedule(CACHE_DAG, 20_000),
      tasks: [
        {
          id: 'refresh_cache',
          retries: 2,
          retryDelayMs: 1_000,
          timeoutMs: 10 * 60_000,
          run: async (ctx) => (await stages.refreshCache(ctx)).summary,
        },
      ],
    },
  ];
}

/** The ids, for callers that need no stages (CLI help, API validation). */
export const PIPELINE_DAG_IDS: readonly PipelineDagId[] = [INCREMENTAL_DAG, TRAINING_DAG, CACHE_DAG];
