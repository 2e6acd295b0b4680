// `orderflow worker`: runs task jobs from the task queue. Each try is recorded (start, end, error, result, log
// lines); a try longer than the task's timeout fails; retries use BullMQ's attempts with exponential backoff; a
// worker killed mid-task leaves a locked job that BullMQ's stalled-job check hands to another worker.
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { toError } from '../base/errors.js';
import { quitRedis, settlesWithin } from '../base/bounded.js';
import { reportOutage } from '../base/outage-log.js';
import { TASK_DEFAULTS, type TaskDefinition } from './dag.js';
import { createRun, markChildrenRunning } from './runs.js';
import { failTry, startTry, succeedTry } from './runs.js';
import { TASK_QUEUE, type OrchestrationRuntime, type TaskJobData } from './runtime.js';
import { createTaskLogger } from './task-logger.js';

export interface StartWorkerOptions {
  /** Tasks run at the same time by this worker. @defaultValue 1 */
  concurrency?: number;
  /** Recorded with each try. @defaultValue hostname:pid */
  name?: string;
}

export interface WorkerHandle {
  name: string;
  /**
   * Stops taking jobs, waits up to shutdownGraceMs for running tasks, then leaves them to another worker (the
   * stalled-job check). Bounded even when Redis is unreachable: BullMQ's own close() may never return then.
   */
  close(): Promise<void>;
}

/** Thrown into a task's promise race when its timeout passes. */
class TaskTimeoutError extends Error {
  constructor(taskId: string, ms: number) {
    super(`task ${taskId} timed out after ${ms} ms`);
    this.name = 'TaskTimeoutError';
  }
}

export async function startWorker(
  rt: OrchestrationRuntime,
  options: StartWorkerOptions = {},
): Promise<WorkerHandle> {
  const name = options.name ?? `${os.hostname()}:${process.pid}`;
  const log = rt.logger.child({ worker: name });
  const connection = rt.connection();
  const shutdown = new AbortController();
  let running = 0;
  const run = async (job: Job<TaskJobData>): Promise<unknown> => {
    running++;
    try {
      return job.data.child === undefined
        ? await runTaskJob(rt, job, name, shutdown.signal)
        : await runChildJob(rt, job, name, shutdown.signal);
    } finally {
      running--;
    }
  };
  const worker = new Worker<TaskJobData>(TASK_QUEUE, run, {
    connection,
    prefix: rt.prefix,
    concurrency: options.concurrency ?? 1,
    lockDuration: rt.settings.lockDurationMs,
    stalledInterval: rt.settings.stalledIntervalMs,
    maxStalledCount: rt.settings.maxStalledCount,
  });
  worker.on('error', (err) => reportOutage(err, log) || log.error({ err }, 'worker error (continuing)'));
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, err: err.message }, 'task try failed'));
  await worker.waitUntilReady();
  log.info({ concurrency: options.concurrency ?? 1 }, 'worker started');
  let closing: Promise<void> | undefined;
  return {
    name,
    close: () =>
      (closing ??= (async () => {
        // With no task running there is nothing to wait for: a close() that does not return soon is BullMQ
        // waiting on a Redis that is down.
        const graceMs = running > 0 ? rt.settings.shutdownGraceMs : CLOSE_BOUND_MS;
        if (!(await settlesWithin(worker.close(), graceMs))) {
          if (running > 0)
            log.warn({ running }, 'running tasks did not end in time; leaving them to another worker');
          else log.warn('the task queue did not close in time (Redis unreachable?); leaving it');
          shutdown.abort();
          await settlesWithin(worker.close(true), 500);
        }
        await quitRedis(connection);
        log.info('worker stopped');
      })()),
  };
}

/** How long a close that needs only Redis may take before it is abandoned. */
const CLOSE_BOUND_MS = 1_000;

/** The job's task definition; an unknown DAG or task (another version's job) cannot be fixed by a retry. */
function taskOf(rt: OrchestrationRuntime, data: TaskJobData): TaskDefinition {
  try {
    return rt.registry.task(data.dagId, data.taskId);
  } catch (err) {
    throw new UnrecoverableError(toError(err).message);
  }
}

/**
 * Runs `work` with a signal that aborts when the worker shuts down or `timeoutMs` passes; on the timeout the
 * returned promise rejects with TaskTimeoutError at once (the work is asked to stop, not waited for).
 */
async function withDeadline<T>(
  label: string,
  timeoutMs: number,
  shutdown: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onShutdown = (): void => controller.abort(shutdown.reason);
  shutdown.addEventListener('abort', onShutdown);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new TaskTimeoutError(label, timeoutMs);
          controller.abort(err);
          reject(err);
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    shutdown.removeEventListener('abort', onShutdown);
  }
}

type TaskContext = Parameters<TaskDefinition['run']>[0];

/** What a task's run() is given: who it is, its logger, the deadline's signal, upstream and child values. */
function taskContext(
  rt: OrchestrationRuntime,
  data: TaskJobData,
  started: NonNullable<Awaited<ReturnType<typeof startTry>>>,
  logger: TaskContext['logger'],
  children: TaskContext['children'],
  signal: AbortSignal,
): TaskContext {
  return {
    dagId: data.dagId,
    runId: data.runId,
    taskId: data.taskId,
    tryNumber: started.tryNumber,
    trigger: started.trigger,
    logger,
    signal,
    upstream: started.upstream,
    params: started.params,
    children,
    triggerDag: async (dagId, key) => {
      const outcome = await createRun(rt, { dagId, trigger: 'event', runKey: key, ifActive: 'defer' });
      // The key says why (e.g. generation-7: new data committed); the outcome whether a run was made.
      logger.info({ triggeredDag: dagId, because: key, ...outcome }, `triggered ${dagId}`);
    },
  };
}

async function runTaskJob(
  rt: OrchestrationRuntime,
  job: Job<TaskJobData>,
  workerName: string,
  shutdown: AbortSignal,
): Promise<unknown> {
  const data = job.data;
  const task = taskOf(rt, data);
  const started = await startTry(rt, data, workerName);
  if (!started) return { skipped: true };
  const children = task.fanOut ? await childValues(job) : { values: [], failures: [] };
  const taskLog = createTaskLogger(rt.db, rt.logger, started.tryId, {
    dag: data.dagId,
    run: data.runId,
    task: data.taskId,
    try: started.tryNumber,
  });
  try {
    taskLog.logger.debug({ worker: workerName }, 'task started');
    if (children.failures.length > 0) {
      // Each child already had its retries; running the parent again would not run them again.
      throw new UnrecoverableError(
        `${children.failures.length} of ${children.failures.length + children.values.length} child jobs failed: ${children.failures[0]}`,
      );
    }
    const result = await withDeadline(
      data.taskId,
      task.timeoutMs ?? TASK_DEFAULTS.timeoutMs,
      shutdown,
      (signal) => task.run(taskContext(rt, data, started, taskLog.logger, children.values, signal)),
    );
    taskLog.logger.debug('task succeeded');
    await taskLog.close();
    await succeedTry(rt, data, started.tryId, result);
    return result ?? null;
  } catch (error) {
    const err = toError(error);
    const attempts = job.opts.attempts ?? 1;
    const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts;
    taskLog.logger.error(
      { err },
      final ? 'task failed' : `task failed; retry ${job.attemptsMade + 1} of ${attempts - 1} follows`,
    );
    await taskLog.close();
    await failTry(rt, data, started.tryId, err, final);
    throw err;
  }
}

/** The values of a fan-out job's children in child order, and the errors of those that failed for good. */
async function childValues(job: Job<TaskJobData>): Promise<{ values: unknown[]; failures: string[] }> {
  const indexOf = (key: string): number => Number(/\.c(\d+)$/.exec(key)?.[1] ?? -1);
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(await job.getChildrenValues())) values[indexOf(key)] = value;
  const failures = Object.values(await job.getIgnoredChildrenFailures());
  return { values: values.filter((v) => v !== undefined), failures };
}

/**
 * Where the log lines of a child's try start in its fan-out task's log: past the task's own lines, 1,000 lines
 * for each try of each child (a child says a few), so children on different workers never take each other's.
 */
function childLogSeq(child: number, tryNumber: number): number {
  return 1_000_000_000 + (child % 100_000) * 10_000 + (Math.min(tryNumber, 10) - 1) * 1_000;
}

/** One child of a fan-out task: its tries are BullMQ's (retries with backoff, stalled-job recovery). */
async function runChildJob(
  rt: OrchestrationRuntime,
  job: Job<TaskJobData>,
  workerName: string,
  shutdown: AbortSignal,
): Promise<unknown> {
  const data = job.data;
  const task = taskOf(rt, data);
  const fanOut = task.fanOut;
  if (!fanOut) throw new UnrecoverableError(`task ${data.taskId} of ${data.dagId} has no child jobs`);
  const tryId = await markChildrenRunning(rt, data);
  if (tryId === null) throw new UnrecoverableError(`run ${data.runId} has no try of ${data.taskId}`);
  const taskLog = createTaskLogger(
    rt.db,
    rt.logger,
    tryId,
    { dag: data.dagId, run: data.runId, task: data.taskId, child: data.child },
    { firstSeq: childLogSeq(data.child!, job.attemptsStarted) },
  );
  const label = `${data.taskId} child ${data.child}`;
  try {
    const value = await withDeadline(label, task.timeoutMs ?? TASK_DEFAULTS.timeoutMs, shutdown, (signal) =>
      fanOut.runChild({
        dagId: data.dagId,
        runId: data.runId,
        taskId: data.taskId,
        index: data.child!,
        input: data.input,
        tryNumber: job.attemptsStarted,
        worker: workerName,
        logger: taskLog.logger,
        signal,
      }),
    );
    return value ?? null;
  } catch (error) {
    taskLog.logger.warn(
      { err: toError(error), child: data.child, try: job.attemptsStarted },
      'child job failed',
    );
    throw error;
  } finally {
    await taskLog.close();
  }
}
