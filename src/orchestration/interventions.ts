// What an operator does to a run after the fact, as in Airflow: clear tasks (run them again, with everything
// downstream of them) and mark a task success or failed. Both make the ended run active again and let the normal
// rules (runs.ts advanceRun) carry it on, so a cleared task runs on the workers like any other and the run ends
// success or failed as its tasks do. Earlier tries stay in the history; the new ones continue their numbering.
//
// Order of effects for a clear: (1) the run must have ended; (2) the BullMQ jobs of the cleared tasks are removed
// (a job id is per run and task, and BullMQ ignores an add whose id it still keeps); (3) one transaction reopens
// the run and records a `cleared` try per task; (4) advanceRun enqueues the cleared tasks whose upstream succeeded.
import { LockedError, NotFoundError, UsageError } from '../base/errors.js';
import { validateDag } from './dag.js';
import { insertEndedTry, latestTries, reopenRun, runById, type TaskTryRow } from './run-store.js';
import { advanceRun, taskJobId } from './runs.js';
import type { OrchestrationRuntime } from './runtime.js';

export interface ClearRequest {
  /** Tasks to clear; all the run's tasks when omitted. */
  tasks?: readonly string[];
  /** Only the tasks that failed (or were not run because an upstream failed). @defaultValue false */
  onlyFailed?: boolean;
  /** Also clear every task downstream of the chosen ones. @defaultValue true */
  downstream?: boolean;
  /** Who asked (kept in the cleared tries). */
  actor: string;
}

export interface InterventionResult {
  runId: number;
  dagId: string;
  /** The tasks cleared (or marked), in the DAG's order. */
  tasks: string[];
}

const ACTIVE = new Set(['queued', 'running']);
const FAILED = new Set(['failed', 'upstream_failed']);

async function endedRun(rt: OrchestrationRuntime, runId: number) {
  const run = await runById(rt.db, runId);
  if (!run) throw new NotFoundError(`no DAG run ${runId}`);
  if (ACTIVE.has(run.state)) throw new LockedError(`run ${runId} is ${run.state}: wait until it has ended`);
  if (run.state === 'skipped')
    throw new UsageError(`run ${runId} was skipped: it has no tasks; trigger a new run`);
  return { run, tasks: validateDag(rt.registry.get(run.dag_id)) };
}

/** The chosen tasks and (unless `downstream` is false) everything that depends on them, in the DAG's order. */
function withDownstream(
  tasks: ReturnType<typeof validateDag>,
  chosen: Set<string>,
  downstream: boolean,
): string[] {
  if (downstream) {
    for (const t of tasks) if ((t.dependsOn ?? []).some((d) => chosen.has(d))) chosen.add(t.id);
  }
  return tasks.map((t) => t.id).filter((id) => chosen.has(id));
}

async function reopen(
  rt: OrchestrationRuntime,
  runId: number,
  dagId: string,
  note: string,
  fn: (tx: typeof rt.db) => Promise<void>,
) {
  try {
    await rt.db.transaction(async (tx) => {
      if (!(await reopenRun(tx, runId, note)))
        throw new LockedError(`run ${runId} is active again: try once it has ended`);
      await fn(tx);
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505') {
      throw new LockedError(`another run of ${dagId} is active: wait until it has ended, then try again`, {
        cause: error,
      });
    }
    throw error;
  }
  await advanceRun(rt, runId);
}

async function clearTries(
  tx: OrchestrationRuntime['db'],
  runId: number,
  tasks: readonly string[],
  latest: Map<string, TaskTryRow>,
  note: string,
): Promise<void> {
  for (const taskId of tasks) {
    const previous = latest.get(taskId);
    if (!previous) continue; // never ran: nothing to clear, advanceRun will run it
    await insertEndedTry(tx, { runId, taskId, tryNumber: previous.try_number + 1, state: 'cleared', note });
  }
}

export async function clearTasks(
  rt: OrchestrationRuntime,
  runId: number,
  request: ClearRequest,
): Promise<InterventionResult> {
  const { run, tasks } = await endedRun(rt, runId);
  const latest = new Map((await latestTries(rt.db, runId)).map((t) => [t.task_id, t]));
  const known = tasks.map((t) => t.id);
  for (const id of request.tasks ?? []) {
    if (!known.includes(id))
      throw new NotFoundError(
        `DAG ${run.dag_id} has no task ${JSON.stringify(id)}; its tasks: ${known.join(', ')}`,
        known,
      );
  }
  let chosen = new Set(request.tasks ?? known);
  if (request.onlyFailed)
    chosen = new Set([...chosen].filter((id) => FAILED.has(latest.get(id)?.state ?? '')));
  const cleared = withDownstream(tasks, chosen, request.downstream ?? true);
  if (cleared.length === 0) throw new UsageError(`run ${runId}: no task to clear (nothing failed?)`);
  for (const taskId of cleared) await rt.tasks.remove(taskJobId(runId, taskId));
  const note = `cleared by ${request.actor}`;
  await reopen(rt, runId, run.dag_id, note, (tx) => clearTries(tx, runId, cleared, latest, note));
  rt.logger.info({ runId, dagId: run.dag_id, tasks: cleared, actor: request.actor }, 'tasks cleared');
  return { runId, dagId: run.dag_id, tasks: cleared };
}

/**
 * Records the task as `state` by `actor`. Marking success also clears the tasks that were not run because this one
 * had failed, so they run now; the run then ends as its tasks say.
 */
export async function markTask(
  rt: OrchestrationRuntime,
  runId: number,
  taskId: string,
  state: 'success' | 'failed',
  actor: string,
): Promise<InterventionResult> {
  const { run, tasks } = await endedRun(rt, runId);
  const known = tasks.map((t) => t.id);
  if (!known.includes(taskId))
    throw new NotFoundError(
      `DAG ${run.dag_id} has no task ${JSON.stringify(taskId)}; its tasks: ${known.join(', ')}`,
      known,
    );
  const latest = new Map((await latestTries(rt.db, runId)).map((t) => [t.task_id, t]));
  const blocked =
    state === 'success'
      ? withDownstream(tasks, new Set([taskId]), true).filter(
          (id) => id !== taskId && latest.get(id)?.state === 'upstream_failed',
        )
      : [];
  for (const id of blocked) await rt.tasks.remove(taskJobId(runId, id));
  const note = `marked ${state} by ${actor}`;
  await reopen(rt, runId, run.dag_id, note, async (tx) => {
    const tryNumber = (latest.get(taskId)?.try_number ?? 0) + 1;
    await insertEndedTry(tx, { runId, taskId, tryNumber, state, note });
    await clearTries(tx, runId, blocked, latest, `cleared: ${taskId} ${note}`);
  });
  rt.logger.info({ runId, dagId: run.dag_id, taskId, state, actor }, 'task marked');
  return { runId, dagId: run.dag_id, tasks: [taskId, ...blocked] };
}
