// The scheduler's repair loop: every active run is moved on (in case a process died between two steps), task
// jobs that vanished are enqueued again (queued) or failed (running), jobs BullMQ gave up on (stalled too often)
// fail their try, tries far past their timeout fail, and history older than the retention window is deleted.
import { TASK_DEFAULTS } from './dag.js';
import { deleteRunsBefore, endTry, latestTries, activeRuns } from './run-store.js';
import { abandonTry, advanceRun, enqueueTask, taskJobId } from './runs.js';
import type { OrchestrationRuntime } from './runtime.js';
import type { Clock } from '../base/clock.js';
import { outageLog, reportOutage } from '../base/outage-log.js';
import { deletePartsBefore } from '../ingest/ledger/staged-parts.js';

const RETENTION_EVERY_MS = 3_600_000;

export interface SweepResult {
  requeued: number;
  failed: number;
  deletedRuns: number;
}

export async function sweep(
  rt: OrchestrationRuntime,
  options: { retention?: boolean; clock?: Clock } = {},
): Promise<SweepResult> {
  const result: SweepResult = { requeued: 0, failed: 0, deletedRuns: 0 };
  const now = (options.clock ?? rt.clock).now();
  for (const run of await activeRuns(rt.db)) {
    await advanceRun(rt, run.id);
    if (!rt.registry.ids().includes(run.dag_id)) continue;
    for (const t of await latestTries(rt.db, run.id)) {
      if (t.state !== 'queued' && t.state !== 'running' && t.state !== 'up_for_retry') continue;
      const task = rt.registry.get(run.dag_id).tasks.find((x) => x.id === t.task_id);
      if (!task) continue;
      const job = await rt.tasks.getJob(taskJobId(run.id, t.task_id));
      const state = job ? await job.getState() : 'missing';
      const since = (t.started_at ?? t.queued_at).getTime();
      const age = now - since;
      if (state === 'missing' || state === 'unknown') {
        if (age < rt.settings.lostTaskGraceMs) continue;
        if (t.state === 'queued') {
          await enqueueTask(rt, { runId: run.id, dagId: run.dag_id, taskId: t.task_id }, task);
          result.requeued++;
        } else {
          await abandonTry(rt, run.id, t.id, 'the task job was lost from the queue');
          result.failed++;
        }
      } else if (state === 'failed') {
        await abandonTry(rt, run.id, t.id, job?.failedReason || 'the task job failed');
        result.failed++;
      } else if (state === 'completed' && t.state === 'running') {
        await endTry(rt.db, t.id, 'success', { result: job?.returnvalue ?? null });
        await advanceRun(rt, run.id);
      } else if (t.state === 'running') {
        // A worker stuck past the timeout (event loop blocked, lock still renewed) must not hold the run forever.
        const limit =
          (task.timeoutMs ?? TASK_DEFAULTS.timeoutMs) +
          2 * rt.settings.lockDurationMs +
          rt.settings.lostTaskGraceMs;
        if (age > limit) {
          await abandonTry(
            rt,
            run.id,
            t.id,
            `no answer from the worker ${Math.round(age / 1000)} s after the try started`,
          );
          result.failed++;
        }
      }
    }
  }
  if (options.retention) {
    const cutoff = new Date(now - rt.config.runRetentionDays * 86_400_000);
    result.deletedRuns = await deleteRunsBefore(rt.db, cutoff);
    // The incremental runs' part records (the processing view) go with their runs.
    await deletePartsBefore(rt.db, cutoff);
  }
  return result;
}

/** Runs `sweep` every sweepIntervalMs of rt.clock (retention hourly); errors are logged and the loop goes on. */
export function startSweeper(rt: OrchestrationRuntime): { close(): Promise<void> } {
  const { clock } = rt;
  const stop = new AbortController();
  let lastRetention = 0;
  const tick = async (): Promise<void> => {
    const retention = clock.now() - lastRetention >= RETENTION_EVERY_MS;
    try {
      const r = await sweep(rt, { retention });
      if (retention) lastRetention = clock.now();
      outageLog('PostgreSQL', rt.logger).recovered();
      if (r.requeued + r.failed + r.deletedRuns > 0) rt.logger.info(r, 'sweeper repaired runs');
    } catch (err) {
      if (!reportOutage(err, rt.logger)) rt.logger.error({ err }, 'sweeper failed (will try again)');
    }
  };
  // One sweep at a time: the loop awaits each before sleeping again.
  const running = (async () => {
    while (!stop.signal.aborted) {
      await tick();
      await clock.sleep(rt.settings.sweepIntervalMs, stop.signal);
    }
  })();
  return {
    close: async () => {
      stop.abort();
      await running;
    },
  };
}
