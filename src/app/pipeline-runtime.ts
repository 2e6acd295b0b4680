// Opens everything a pipeline process needs, in order, and closes it in reverse: the metadata store, a Redis
// connection for the stages, the three pipeline DAGs and the BullMQ queues. Used by the CLI and by `up`.
// Each time the stages' connection reconnects (a Redis failover) the cache and tracking keys are checked on the
// new primary (app/failover-repair.ts).
import type { Config } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { startFailoverRepair, type RepairResult } from './failover-repair.js';
import { createRedis } from '../redis/redis.js';
import { openStore } from '../store/open.js';
import { DagRegistry, type DagDefinition } from '../orchestration/dag.js';
import { pipelineDags, pipelineStages, type PipelineDagOptions } from '../orchestration/pipeline-dags.js';
import { createRuntime, type EngineSettings, type OrchestrationRuntime } from '../orchestration/runtime.js';

export interface OpenPipelineOptions extends PipelineDagOptions {
  /** Serve an embedded store to other processes (long-running processes). @defaultValue false */
  serve?: boolean;
  settings?: Partial<EngineSettings>;
  /** Other DAGs instead of the pipeline's (test entry scripts). */
  dags?: DagDefinition[];
  /** Told the outcome of the checks after each Redis reconnect (tests, benchmarks). */
  onRedisRepaired?: (result: Partial<RepairResult> & { failover: boolean }) => void;
}

/** A runtime whose close() also closes the store and the stages' Redis connection. */
export async function openPipelineRuntime(
  config: Config,
  logger: Logger,
  options: OpenPipelineOptions = {},
): Promise<OrchestrationRuntime> {
  const db = await openStore(config, logger, { serve: options.serve ?? false });
  const redis = createRedis(config);
  const repair = startFailoverRepair({ config, logger, db, redis }, options.onRedisRepaired);
  // Connected now rather than at the first stage's command, so a failover before that is noticed too; while
  // Redis is down the connection keeps retrying in the background and the stages report their own errors.
  redis.connect().catch(() => {});
  try {
    const dags = options.dags ?? pipelineDags(pipelineStages({ config, db, redis }), options);
    const runtime = createRuntime({
      config,
      logger,
      db,
      registry: new DagRegistry(dags),
      settings: options.settings,
    });
    let closing: Promise<void> | undefined;
    return {
      ...runtime,
      close: () =>
        (closing ??= (async () => {
          await runtime.close();
          repair.close();
          redis.disconnect();
          await db.close();
        })()),
    };
  } catch (err) {
    repair.close();
    redis.disconnect();
    await db.close();
    throw err;
  }
}
