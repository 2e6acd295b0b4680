// Adapter from the orchestration stage's query API (src/orchestration/queries.ts) to the API's DagService, adding
// what the dashboard's grid needs: the latest try of every task of each listed run.
import { NotFoundError } from '../errors.js';
import { getRun, listDags, listRuns, pauseDag, triggerDag, unpauseDag } from '../orchestration/queries.js';
import type { RunSummary as OrchestrationRun } from '../orchestration/queries.js';
import { triesOfRuns } from '../orchestration/run-store.js';
import type { OrchestrationRuntime } from '../orchestration/runtime.js';
import type { DagService, DagSummary, RunDetail, RunSummary, TaskSummary } from './deps.js';
import { logFields } from '../orchestration/log-fields.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function runView(r: OrchestrationRun, tasks: TaskSummary[]): RunSummary {
  return {
    runId: String(r.id),
    dagId: r.dagId,
    state: r.state,
    trigger: r.trigger,
    queuedAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.endedAt,
    durationMs: r.durationMs,
    tasks,
  };
}

export class OrchestrationDagService implements DagService {
  constructor(private readonly rt: OrchestrationRuntime) {}

  async listDags(): Promise<DagSummary[]> {
    const dags = await listDags(this.rt);
    const lastSuccess = await this.rt.db.query<{ dag_id: string; ended_at: Date }>(
      `SELECT dag_id, max(ended_at) AS ended_at FROM dag_runs WHERE state = 'success' GROUP BY dag_id`,
    );
    const successAt = new Map(lastSuccess.map((r) => [r.dag_id, iso(r.ended_at)]));
    return dags.map((d) => ({
      dagId: d.id,
      description: d.description ?? '',
      schedule: d.scheduleText,
      paused: d.paused,
      tasks: d.tasks.map((t) => t.id),
      lastRun: d.lastRun ? runView(d.lastRun, []) : null,
      nextRunAt: d.nextRunAt,
      lastSuccessAt: successAt.get(d.id) ?? null,
    }));
  }

  async listRuns(dagId: string, limit: number): Promise<RunSummary[]> {
    const runs = await listRuns(this.rt, dagId, { limit });
    const tries =
      runs.length === 0
        ? []
        : await triesOfRuns(
            this.rt.db,
            runs.map((r) => r.id),
          );
    // Rows come ordered by run and id: the last one seen per (run, task) is the latest try.
    const latest = new Map<string, TaskSummary>();
    for (const t of tries) {
      latest.set(`${t.run_id}/${t.task_id}`, {
        taskId: t.task_id,
        state: t.state,
        startedAt: iso(t.started_at),
        finishedAt: iso(t.ended_at),
        attempts: t.try_number,
      });
    }
    return runs.map((r) =>
      runView(
        r,
        [...latest.entries()].filter(([k]) => k.startsWith(`${r.id}/`)).map(([, v]) => v),
      ),
    );
  }

  async getRun(runId: string): Promise<RunDetail | undefined> {
    if (!/^\d{1,15}$/.test(runId)) return undefined;
    try {
      const run = await getRun(this.rt, Number(runId), { logs: true });
      return {
        ...runView(run, []),
        tasks: run.tasks.map((t) => ({
          taskId: t.taskId,
          state: t.state,
          startedAt: t.startedAt,
          finishedAt: t.endedAt,
          attempts: t.tryNumber,
          error: t.error,
          logs: (t.logs ?? []).map((l) => ({
            at: l.time,
            level: l.level,
            message: l.message,
            fields: logFields(l.line),
          })),
        })),
      };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async setPaused(dagId: string, paused: boolean): Promise<DagSummary> {
    await (paused ? pauseDag(this.rt, dagId) : unpauseDag(this.rt, dagId));
    const dag = (await this.listDags()).find((d) => d.dagId === dagId);
    if (!dag) throw new NotFoundError(`no DAG ${JSON.stringify(dagId)}`);
    return dag;
  }

  /** A manual run; when one is already active the new run is recorded as `skipped` (Airflow's max_active_runs=1). */
  async trigger(dagId: string): Promise<{ runId: string; outcome: string }> {
    const created = await triggerDag(this.rt, dagId);
    const runId = 'runId' in created ? created.runId : 'activeRunId' in created ? created.activeRunId : null;
    return { runId: runId === null ? '' : String(runId), outcome: created.outcome };
  }
}
