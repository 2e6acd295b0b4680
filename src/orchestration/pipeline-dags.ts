// The three DAGs of the pipeline, bound to their stages: incremental processing every 4 s, model training every
// 20 s, the prediction cache refresh every 20 s (the Airflow originals), each one task. Data-aware triggers chain
// them: committed new data starts training at once, a newly registered model version starts the cache refresh.
// The stages are injected (`PipelineStages`) so tests can slow or fail them while keeping the real DAGs.
import { UnrecoverableError } from 'bullmq';
import type { Config } from '../config.js';
import { InputError, toError } from '../errors.js';
import { refreshCache } from '../cache/refresh.js';
import { scoreNewIncrements } from '../ml/increment-accuracy.js';
import { trainModels } from '../ml/train.js';
import { resolveTrainingInputs } from '../ml/training-inputs.js';
import { runIncremental } from '../processing/incremental.js';
import type { Redis } from '../redis.js';
import type { Db } from '../store/db.js';
import type { DagDefinition, Schedule, TaskContext } from './dag.js';

export const INCREMENTAL_DAG = 'incremental_processing_dag';
export const TRAINING_DAG = 'ml_training_dag';
export const CACHE_DAG = 'redis_cache_dag';
export type PipelineDagId = typeof INCREMENTAL_DAG | typeof TRAINING_DAG | typeof CACHE_DAG;

/** The DAG a landed file under DATA_DIR/incremental/raw starts. */
export const FILE_TRIGGERED_DAG: PipelineDagId = INCREMENTAL_DAG;

/** What each stage reports back to the DAG: whether it produced something downstream DAGs should act on. */
export interface PipelineStages {
  /** `key` names the new data (e.g. the ledger generation) when new data was committed, else null. */
  incremental(ctx: TaskContext): Promise<{ newDataKey: string | null; summary: unknown }>;
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
  return {
    incremental: async (ctx) => {
      const result = await runIncremental({ config, logger: ctx.logger, db, redis });
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
    },
    train: async (ctx) => {
      try {
        await resolveTrainingInputs(config.paths);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        // Expected until the first data is aggregated: not a warning.
        ctx.logger.info(err.message);
        return { newVersion: null, summary: { status: 'no-input' } };
      }
      // `force`: a manual run asked to retrain although the data did not change.
      const result = await trainModels({ db, paths: config.paths }, { force: ctx.params?.force === true });
      const { candidates: _candidates, ...summary } = result;
      ctx.logger[result.status === 'trained' ? 'info' : 'debug'](
        { status: result.status, version: result.version, algorithm: result.algorithm },
        `training: ${result.status}${result.decision ? ` (${result.decision.reason})` : ''}`,
      );
      return { newVersion: result.status === 'trained' ? result.version : null, summary };
    },
    refreshCache: async (ctx) => {
      const result = await refreshCache({ config, logger: ctx.logger, redis });
      ctx.logger[result.status === 'refreshed' ? 'info' : 'debug'](
        { ...result },
        `cache refresh: ${result.status}`,
      );
      return { summary: result };
    },
  };
}

export interface PipelineDagOptions {
  /** Other schedules (tests, slower deployments). @defaultValue the Airflow originals: 4 s, 20 s, 20 s */
  schedules?: Partial<Record<PipelineDagId, Schedule>>;
}

export function pipelineDags(stages: PipelineStages, options: PipelineDagOptions = {}): DagDefinition[] {
  const schedule = (id: PipelineDagId, everyMs: number): Schedule => options.schedules?.[id] ?? { everyMs };
  return [
    {
      id: INCREMENTAL_DAG,
      description: 'Fold newly landed order files into the aggregate (exactly once)',
      schedule: schedule(INCREMENTAL_DAG, 4_000),
      tasks: [
        {
          id: 'process_increment',
          // LockedError (a manual `orderflow incremental` holds the lock) and transient errors (store,
          // Redis, file system) are worth a retry with backoff (0.5 s, then 1 s).
          retries: 2,
          retryDelayMs: 500,
          timeoutMs: 10 * 60_000,
          run: async (ctx) => {
            const { newDataKey, summary } = await stages.incremental(ctx).catch((err: unknown) => {
              // Bad input cannot be fixed by retrying; store, Redis and file system errors can.
              throw err instanceof InputError ? new UnrecoverableError(err.message) : err;
            });
            if (newDataKey) await ctx.triggerDag(TRAINING_DAG, `data:${newDataKey}`);
            return summary;
          },
        },
      ],
    },
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
