// `orderflow scheduler`: owns the schedules (one BullMQ job scheduler per DAG, deduplicated by DAG id across
// processes) and the run bookkeeping (each tick makes a run, or a skipped run while one is active; the sweeper
// repairs runs whose workers vanished), plus the landed-file trigger. Any number may run; each tick counts once.
import { Worker } from 'bullmq';
import { quitRedis, settlesWithin } from '../base/bounded.js';
import { outageLog, reportOutage } from '../base/outage-log.js';
import type { Schedule } from './dag.js';
import { startFileTrigger, type FileTrigger } from './file-trigger.js';
import { createRun, type CreateRunResult } from './runs.js';
import { TICK_QUEUE, type OrchestrationRuntime, type TickJobData } from './runtime.js';
import { startSweeper } from './sweeper.js';

export interface TickEvent {
  dagId: string;
  /** When the tick was due (ms since the epoch). */
  plannedAt: number;
  /** When this scheduler began handling it. */
  handledAt: number;
  outcome: CreateRunResult['outcome'];
}

export interface StartSchedulerOptions {
  /** Start an event run of `dagId` as soon as a file lands under `dir`. @defaultValue no file trigger */
  fileTrigger?: { dir: string; dagId: string };
  /** Called after each tick (benchmarks, tests). */
  onTick?: (tick: TickEvent) => void;
  /** How often to check that the DAGs' job schedulers still exist in Redis. @defaultValue 5000 */
  scheduleGuardMs?: number;
  /** Run the sweeper in this process. @defaultValue true */
  sweeper?: boolean;
}

export interface SchedulerHandle {
  close(): Promise<void>;
}

export function repeatOptions(schedule: Schedule): { every: number } | { pattern: string } {
  return 'everyMs' in schedule ? { every: schedule.everyMs } : { pattern: schedule.cron };
}

/** A job scheduler's job ids are "repeat:<scheduler id>:<planned ms>"; the worker's job carries no other copy. */
export function plannedTime(jobId: string | undefined, fallback: number): number {
  const match = /:(\d+)$/.exec(jobId ?? '');
  return match ? Number(match[1]) : fallback;
}

/** How often the scheduler checks that its job schedulers still exist in Redis. */
const SCHEDULE_GUARD_MS = 5000;

/**
 * Re-creates the job scheduler of any DAG whose scheduler is missing from Redis (a FLUSHALL, or a Redis
 * restarted without persistence): without this, schedules would stop until the scheduler restarts.
 */
export async function restoreMissingSchedules(rt: OrchestrationRuntime): Promise<string[]> {
  const restored: string[] = [];
  for (const dag of rt.registry.all()) {
    if (await rt.ticks.getJobScheduler(dag.id)) continue;
    await rt.ticks.upsertJobScheduler(dag.id, repeatOptions(dag.schedule), {
      name: 'tick',
      data: { dagId: dag.id },
      opts: { removeOnComplete: true, removeOnFail: 100 },
    });
    restored.push(dag.id);
  }
  return restored;
}

/** Creates or updates the job scheduler of every DAG; safe to call from several processes at once. */
export async function upsertSchedules(rt: OrchestrationRuntime): Promise<void> {
  for (const dag of rt.registry.all()) {
    await rt.ticks.upsertJobScheduler(dag.id, repeatOptions(dag.schedule), {
      name: 'tick',
      data: { dagId: dag.id },
      opts: { removeOnComplete: true, removeOnFail: 100 },
    });
  }
}

type Log = OrchestrationRuntime['logger'];

/** The worker of the tick queue: each schedule tick creates the DAG's run (skipped while one is active). */
async function startTickWorker(
  rt: OrchestrationRuntime,
  options: StartSchedulerOptions,
  log: Log,
  connection: ReturnType<OrchestrationRuntime['connection']>,
  storeOutage: ReturnType<typeof outageLog>,
): Promise<Worker<TickJobData>> {
  const ticks = new Worker<TickJobData>(
    TICK_QUEUE,
    async (job) => {
      const handledAt = rt.clock.now();
      const plannedAt = plannedTime(job.id, job.timestamp + job.delay);
      const { dagId } = job.data;
      if (!rt.registry.ids().includes(dagId)) {
        log.warn({ dagId }, 'tick of a DAG this version does not define: removing its schedule');
        await rt.ticks.removeJobScheduler(dagId);
        return;
      }
      const result = await createRun(rt, {
        dagId,
        trigger: 'schedule',
        runKey: `schedule:${plannedAt}`,
        plannedAt: new Date(plannedAt),
        ifActive: 'skip',
      });
      storeOutage.recovered();
      options.onTick?.({ dagId, plannedAt, handledAt, outcome: result.outcome });
      return result;
    },
    { connection, prefix: rt.prefix, concurrency: Math.max(4, rt.registry.ids().length * 2) },
  );
  ticks.on('error', (err) => reportOutage(err, log) || log.error({ err }, 'tick worker error (continuing)'));
  ticks.on(
    'failed',
    (job, err) =>
      reportOutage(err, log) || log.error({ dagId: job?.data.dagId, err: err.message }, 'tick failed'),
  );
  await ticks.waitUntilReady();
  return ticks;
}

/** With options.fileTrigger: files landing in its folder start event runs of its DAG. */
async function startFileRuns(
  rt: OrchestrationRuntime,
  options: StartSchedulerOptions,
  log: Log,
): Promise<FileTrigger | undefined> {
  if (!options.fileTrigger) return undefined;
  const { dir, dagId } = options.fileTrigger;
  rt.registry.get(dagId);
  return startFileTrigger({
    dir,
    intervalMs: rt.settings.watchIntervalMs,
    clock: rt.clock,
    logger: log,
    onLanded: async (key, landed) => {
      const result = await createRun(rt, { dagId, trigger: 'event', runKey: key, ifActive: 'defer' });
      log.info({ dagId, files: landed.slice(0, 10), outcome: result.outcome }, 'files landed');
    },
  });
}

/** Every `ms` (by rt.clock), restores schedules missing from Redis (a flush), until `stop` aborts. */
function guardSchedules(rt: OrchestrationRuntime, log: Log, ms: number, stop: AbortSignal): void {
  // One check at a time: the loop sleeps again only once a check has ended (while Redis is down, overlapping
  // checks would pile up, and each would restore and say so).
  void (async () => {
    for (;;) {
      await rt.clock.sleep(ms, stop);
      if (stop.aborted) return;
      await restoreMissingSchedules(rt)
        .then((restored) => {
          if (restored.length)
            log.warn({ dags: restored }, 'schedules were missing from Redis (flushed?): restored them');
        })
        .catch(
          (err: unknown) =>
            reportOutage(err, log) ||
            log.warn({ err }, 'could not check the schedules in Redis (continuing)'),
        );
    }
  })();
}

export async function startScheduler(
  rt: OrchestrationRuntime,
  options: StartSchedulerOptions = {},
): Promise<SchedulerHandle> {
  const log = rt.logger.child({ component: 'scheduler' });
  const storeOutage = outageLog('PostgreSQL', rt.logger);
  await upsertSchedules(rt);
  const connection = rt.connection();
  const ticks = await startTickWorker(rt, options, log, connection, storeOutage);
  const sweeper = options.sweeper === false ? undefined : startSweeper(rt);
  const files = await startFileRuns(rt, options, log);
  const stop = new AbortController();
  guardSchedules(rt, log, options.scheduleGuardMs ?? SCHEDULE_GUARD_MS, stop.signal);
  log.info({ dags: rt.registry.ids() }, 'scheduler started');
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        // A check in flight is not awaited: it may be waiting on an unreachable Redis.
        stop.abort();
        await files?.close();
        await sweeper?.close();
        // Bounded: BullMQ's close() may never return while Redis is unreachable (upstream issue #4656).
        if (!(await settlesWithin(ticks.close(), 1_000))) {
          log.warn('the tick queue did not close in time (Redis unreachable?); leaving it');
          await settlesWithin(ticks.close(true), 300);
        }
        await quitRedis(connection);
        log.info('scheduler stopped');
      })()),
  };
}
