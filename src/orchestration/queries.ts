// The query API over DAGs and their run history, shared by the CLI (`orderflow dags …`) and the HTTP API, so
// neither writes SQL of its own. Every function validates the DAG id (NotFoundError listing the known ids).
import { NotFoundError } from '../base/errors.js';
import {
  describeSchedule,
  validateDag,
  type RunState,
  type RunTrigger,
  type Schedule,
  type TaskState,
} from './dag.js';
import {
  activeRun,
  dagStates,
  lastRuns,
  logLines,
  runById,
  runsOfDag,
  runsOfDagPage,
  setPaused,
  triesOfRuns,
  type RunRow,
  type TaskTryRow,
} from './run-store.js';
import { createRun, type CreateRunResult } from './runs.js';
import type { OrchestrationRuntime } from './runtime.js';
import { logFields } from './log-fields.js';
import { partsOfDagRuns, type PartRecord } from '../ingest/ledger/staged-parts.js';
import {
  processingTotals,
  processingView,
  type ProcessingTotals,
  type ProcessingView,
  type TaskNode,
} from './processing-view.js';

export interface RunSummary {
  id: number;
  dagId: string;
  trigger: RunTrigger;
  state: RunState;
  plannedAt: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  note: string | null;
  /** Parameters the run was triggered with (null: none). */
  params: Record<string, unknown> | null;
}

export interface DagSummary {
  id: string;
  description: string | null;
  schedule: Schedule;
  /** "every 4s" or "cron 0 * * * *". */
  scheduleText: string;
  paused: boolean;
  /** In dependency order. */
  tasks: { id: string; dependsOn: string[] }[];
  /** The newest run that was not skipped. */
  lastRun: RunSummary | null;
  /** When the newest successful run ended. */
  lastSuccessAt: string | null;
  activeRunId: number | null;
  /** When the next scheduled tick is due; null when no scheduler has registered the schedule yet. */
  nextRunAt: string | null;
}

export interface LogLine {
  time: string;
  level: string;
  message: string;
  line: Record<string, unknown>;
  /** What the task logged beside its message (log-fields.ts): files and counts, the DAG triggered, metrics. */
  fields: Record<string, unknown>;
}

export interface TaskInstanceView {
  id: number;
  taskId: string;
  tryNumber: number;
  state: TaskState;
  queuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  worker: string | null;
  error: string | null;
  result: unknown;
  logs?: LogLine[];
}

export interface RunDetail extends RunSummary {
  /** Every try of every task, in the order they were created. */
  tasks: TaskInstanceView[];
  /** The parts of an incremental run, their workers and the critical path (processing-view.ts); null: no parts. */
  processing: ProcessingView | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function runSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    dagId: row.dag_id,
    trigger: row.trigger,
    state: row.state,
    plannedAt: row.planned_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    durationMs: row.duration_ms,
    note: row.note,
    params: row.params ?? null,
  };
}

function taskView(row: TaskTryRow): TaskInstanceView {
  return {
    id: row.id,
    taskId: row.task_id,
    tryNumber: row.try_number,
    state: row.state,
    queuedAt: row.queued_at.toISOString(),
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    durationMs: row.duration_ms,
    worker: row.worker,
    error: row.error,
    result: row.result,
  };
}

export async function listDags(rt: OrchestrationRuntime): Promise<DagSummary[]> {
  const states = await dagStates(rt.db);
  const last = new Map((await lastRuns(rt.db)).map((r) => [r.dag_id, r]));
  const lastSuccess = new Map((await lastRuns(rt.db, 'success')).map((r) => [r.dag_id, r]));
  const summaries: DagSummary[] = [];
  for (const dag of rt.registry.all()) {
    const scheduler = await rt.ticks.getJobScheduler(dag.id);
    const active = await activeRun(rt.db, dag.id);
    const lastRow = last.get(dag.id);
    summaries.push({
      id: dag.id,
      description: dag.description ?? null,
      schedule: dag.schedule,
      scheduleText: describeSchedule(dag.schedule),
      paused: states.get(dag.id)?.paused ?? false,
      tasks: validateDag(dag).map((t) => ({ id: t.id, dependsOn: [...(t.dependsOn ?? [])] })),
      lastRun: lastRow ? runSummary(lastRow) : null,
      lastSuccessAt: iso(lastSuccess.get(dag.id)?.ended_at ?? null),
      activeRunId: active?.id ?? null,
      nextRunAt: scheduler?.next ? new Date(scheduler.next).toISOString() : null,
    });
  }
  return summaries;
}

/** A run in a DAG's run list: its summary and the totals of its parts (null: it read no parts). */
export interface RunListEntry extends RunSummary {
  processing: ProcessingTotals | null;
}

/** The newest runs of a DAG first (skipped ones included). @defaultValue limit 20, offset 0, any state/trigger */
export async function listRuns(
  rt: OrchestrationRuntime,
  dagId: string,
  options: { limit?: number; offset?: number; state?: RunState; trigger?: RunTrigger } = {},
): Promise<RunListEntry[]> {
  rt.registry.get(dagId);
  const limit = options.limit ?? 20;
  const rows =
    !options.offset && !options.state && !options.trigger
      ? await runsOfDag(rt.db, dagId, limit)
      : await runsOfDagPage(rt.db, dagId, { ...options, limit, offset: options.offset ?? 0 });
  const processing = await processingOfRuns(
    rt,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...runSummary(r), processing: processing.get(r.id) ?? null }));
}

/** The latest try of each task of each run (no log lines), by run id: the grid of the dashboard. */
export async function latestTriesOfRuns(
  rt: Pick<OrchestrationRuntime, 'db'>,
  runIds: readonly number[],
): Promise<Map<number, TaskInstanceView[]>> {
  const byRun = new Map<number, Map<string, TaskInstanceView>>();
  if (runIds.length === 0) return new Map();
  // Rows come ordered by run and id: the last one seen per (run, task) is the latest try.
  for (const row of await triesOfRuns(rt.db, runIds)) {
    const run = byRun.get(Number(row.run_id)) ?? new Map<string, TaskInstanceView>();
    run.set(row.task_id, taskView(row));
    byRun.set(Number(row.run_id), run);
  }
  return new Map([...byRun].map(([id, tasks]) => [id, [...tasks.values()]]));
}

/** The totals of the parts of each run that has parts (incremental runs that read something), by run id. */
async function processingOfRuns(
  rt: Pick<OrchestrationRuntime, 'db'>,
  runIds: readonly number[],
): Promise<Map<number, ProcessingTotals>> {
  const byRun = new Map<number, PartRecord[]>();
  for (const p of await partsOfDagRuns(rt.db, runIds))
    if (p.dagRunId !== null) byRun.set(p.dagRunId, [...(byRun.get(p.dagRunId) ?? []), p]);
  return new Map([...byRun].map(([id, parts]) => [id, processingTotals(parts)]));
}

/** The DAG's tasks as the processing view walks them; none for a DAG no longer defined. */
function taskNodes(rt: Pick<OrchestrationRuntime, 'registry'>, dagId: string): TaskNode[] {
  if (!rt.registry.ids().includes(dagId)) return [];
  return validateDag(rt.registry.get(dagId)).map((t) => ({
    id: t.id,
    dependsOn: t.dependsOn ?? [],
    fanOut: t.fanOut !== undefined,
  }));
}

/** One run with every task try, its processing view and (optionally only for one task) their log lines. */
export async function getRun(
  rt: Pick<OrchestrationRuntime, 'db' | 'registry'>,
  runId: number,
  options: { taskId?: string; logs?: boolean } = {},
): Promise<RunDetail> {
  const row = await runById(rt.db, runId);
  if (!row) throw new NotFoundError(`no DAG run ${runId}`);
  let tries = (await triesOfRuns(rt.db, [runId])).map(taskView);
  const processing = processingView(await partsOfDagRuns(rt.db, [runId]), taskNodes(rt, row.dag_id), tries);
  if (options.taskId !== undefined) {
    const known = [...new Set(tries.map((t) => t.taskId))];
    if (!known.includes(options.taskId)) {
      throw new NotFoundError(
        `run ${runId} has no task ${JSON.stringify(options.taskId)}; its tasks: ${known.join(', ') || '(none)'}`,
        known,
      );
    }
    tries = tries.filter((t) => t.taskId === options.taskId);
  }
  if (options.logs ?? true) {
    const lines = await logLines(
      rt.db,
      tries.map((t) => t.id),
    );
    for (const t of tries) {
      t.logs = lines
        .filter((l) => l.task_instance_id === t.id)
        .map((l) => ({
          time: l.logged_at.toISOString(),
          level: l.level,
          message: l.message,
          line: l.line,
          fields: logFields(l.line),
        }));
    }
  }
  return { ...runSummary(row), tasks: tries, processing };
}

/** Pausing stops scheduled and event runs (an active run finishes); it is stored, so every process sees it. */
export async function pauseDag(rt: OrchestrationRuntime, dagId: string): Promise<void> {
  rt.registry.get(dagId);
  await setPaused(rt.db, dagId, true);
}

export async function unpauseDag(rt: OrchestrationRuntime, dagId: string): Promise<void> {
  rt.registry.get(dagId);
  await setPaused(rt.db, dagId, false);
}

/** A manual run now (also when paused); a run already active makes this one `skipped`. */
export async function triggerDag(
  rt: OrchestrationRuntime,
  dagId: string,
  params?: Record<string, unknown>,
): Promise<CreateRunResult> {
  return createRun(rt, { dagId, trigger: 'manual', ifActive: 'skip', params });
}
