// What the scheduler, the workers and the query API share: config, logger, the metadata store, the DAGs and the
// two BullMQ queues (scheduler ticks, task jobs), all under REDIS_KEY_PREFIX so a prefix isolates everything.
import { FlowProducer, Queue } from 'bullmq';
import { systemClock, type Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { quitRedis, settlesWithin } from '../base/bounded.js';
import { outageLog, reportOutage } from '../base/outage-log.js';
import type { Logger } from '../base/log.js';
import { createRedis, redisKey, type Redis } from '../redis/redis.js';
import type { Db } from '../store/db.js';
import type { DagRegistry } from './dag.js';

export const TICK_QUEUE = 'orderflow-dag-ticks';
export const TASK_QUEUE = 'orderflow-dag-tasks';

/** Timings of the engine; the defaults suit production, tests shorten them. */
export interface EngineSettings {
  /**
   * How long a worker's lock on a task job lasts without renewal (BullMQ lockDuration; renewed every half of
   * it). With stalledIntervalMs it bounds how soon a killed worker's task is retried: about the sum, 10 s
   * (a task must not block its worker's event loop this long, or it is taken for dead). @defaultValue 8000
   */
  lockDurationMs: number;
  /** How often workers look for jobs whose worker died (BullMQ stalledInterval). @defaultValue 2000 */
  stalledIntervalMs: number;
  /** Times a task job may stall (its worker died) and be re-run before it fails. @defaultValue 2 */
  maxStalledCount: number;
  /** How often the scheduler's sweeper repairs and times out runs. @defaultValue 5000 */
  sweepIntervalMs: number;
  /** Poll interval of the landed-file trigger (≤ 1 s). @defaultValue 500 */
  watchIntervalMs: number;
  /** A queued task whose job is missing this long is enqueued again; a running one is failed. @defaultValue 10000 */
  lostTaskGraceMs: number;
  /**
   * How long a stopping worker waits for running tasks before leaving them to stalled-job handling; short, so
   * SIGTERM ends a process within 10 s whatever it is doing. @defaultValue 5000
   */
  shutdownGraceMs: number;
}

const DEFAULT_SETTINGS: EngineSettings = {
  lockDurationMs: 8_000,
  stalledIntervalMs: 2_000,
  maxStalledCount: 2,
  sweepIntervalMs: 5_000,
  watchIntervalMs: 200,
  lostTaskGraceMs: 10_000,
  shutdownGraceMs: 5_000,
};

export interface TaskJobData {
  runId: number;
  dagId: string;
  taskId: string;
  /** Set on the child jobs of a fan-out task: the child's position and input (dag.ts FanOut). */
  child?: number;
  input?: unknown;
}

export interface TickJobData {
  dagId: string;
}

export interface OrchestrationRuntime {
  config: Config;
  logger: Logger;
  db: Db;
  registry: DagRegistry;
  settings: EngineSettings;
  /** The time the scheduler's loops and the sweeper go by (BullMQ's own schedule runs on Redis time). */
  clock: Clock;
  /** BullMQ key prefix: REDIS_KEY_PREFIX + "bull". */
  prefix: string;
  tasks: Queue<TaskJobData>;
  ticks: Queue<TickJobData>;
  /** Adds a fan-out task's job together with its child jobs (dag.ts FanOut). */
  flows: FlowProducer;
  /** A new BullMQ-ready Redis connection (closed by the caller). */
  connection(): Redis;
  /** Closes the queues and their connection; the Db stays open (its opener closes it). Idempotent. */
  close(): Promise<void>;
}

export interface RuntimeDeps {
  config: Config;
  logger: Logger;
  db: Db;
  registry: DagRegistry;
  settings?: Partial<EngineSettings>;
  /** @defaultValue systemClock */
  clock?: Clock;
}

export function createRuntime(deps: RuntimeDeps): OrchestrationRuntime {
  const { config } = deps;
  const prefix = redisKey(config, 'bull');
  // Every BullMQ connection reports to the process's Redis outage log: one line when Redis goes away, one
  // when it is back, instead of one per connection and retry.
  const redisOutage = outageLog('Redis', deps.logger);
  const connection = (): Redis => {
    const redis = createRedis(config, { forBullmq: true });
    redis.on('error', (err: Error) => redisOutage.failure(err));
    redis.on('ready', () => redisOutage.recovered());
    return redis;
  };
  const shared = connection();
  const tasks = new Queue<TaskJobData>(TASK_QUEUE, { connection: shared, prefix });
  const ticks = new Queue<TickJobData>(TICK_QUEUE, { connection: shared, prefix });
  const flows = new FlowProducer({ connection: shared, prefix });
  tasks.on('error', (err) => reportOutage(err, deps.logger) || deps.logger.warn({ err }, 'task queue error'));
  ticks.on('error', (err) => reportOutage(err, deps.logger) || deps.logger.warn({ err }, 'tick queue error'));
  flows.on(
    'error',
    (err) => reportOutage(err, deps.logger) || deps.logger.warn({ err }, 'flow producer error'),
  );
  let closing: Promise<void> | undefined;
  return {
    config,
    logger: deps.logger,
    db: deps.db,
    registry: deps.registry,
    settings: { ...DEFAULT_SETTINGS, ...deps.settings },
    clock: deps.clock ?? systemClock,
    prefix,
    tasks,
    ticks,
    flows,
    connection,
    close: () =>
      (closing ??= (async () => {
        // Each bounded: a queue's close() waits on Redis, which may be the thing that is down.
        await settlesWithin(Promise.all([tasks.close(), ticks.close(), flows.close()]), 1_000);
        await quitRedis(shared);
      })()),
  };
}
