// The API's DagService on the orchestration stage's query API (src/orchestration/queries.ts, interventions.ts):
// the same types the CLI prints, plus what the dashboard's grid needs, the latest try of every task of each
// listed run. No SQL here: the run tables belong to orchestration/run-store.ts.
import { NotFoundError } from '../base/errors.js';
import { clearTasks, markTask, type InterventionResult } from '../orchestration/interventions.js';
import {
  getRun,
  latestTriesOfRuns,
  listDags,
  listRuns,
  pauseDag,
  triggerDag,
  unpauseDag,
  type DagSummary,
  type RunDetail,
} from '../orchestration/queries.js';
import type { CreateRunResult } from '../orchestration/runs.js';
import type { OrchestrationRuntime } from '../orchestration/runtime.js';
import type { ClearOptions, DagService, RunFilter, RunWithTasks } from './deps.js';

export class OrchestrationDagService implements DagService {
  constructor(private readonly rt: OrchestrationRuntime) {}

  listDags(): Promise<DagSummary[]> {
    return listDags(this.rt);
  }

  async listRuns(dagId: string, limit: number, filter: RunFilter = {}): Promise<RunWithTasks[]> {
    const runs = await listRuns(this.rt, dagId, { limit, ...filter });
    const latest = await latestTriesOfRuns(
      this.rt,
      runs.map((r) => r.id),
    );
    return runs.map((r) => ({ ...r, tasks: latest.get(r.id) ?? [] }));
  }

  async getRun(runId: number): Promise<RunDetail | undefined> {
    try {
      return await getRun(this.rt, runId, { logs: true });
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async setPaused(dagId: string, paused: boolean): Promise<DagSummary> {
    await (paused ? pauseDag(this.rt, dagId) : unpauseDag(this.rt, dagId));
    const dag = (await this.listDags()).find((d) => d.id === dagId);
    if (!dag) throw new NotFoundError(`no DAG ${JSON.stringify(dagId)}`);
    return dag;
  }

  /** A manual run; when one is already active the new run is recorded as `skipped` (Airflow's max_active_runs=1). */
  trigger(dagId: string, params?: Record<string, unknown>): Promise<CreateRunResult> {
    return triggerDag(this.rt, dagId, params);
  }

  clear(runId: number, options: ClearOptions, actor: string): Promise<InterventionResult> {
    return clearTasks(this.rt, runId, { ...options, actor });
  }

  mark(
    runId: number,
    taskId: string,
    state: 'success' | 'failed',
    actor: string,
  ): Promise<InterventionResult> {
    return markTask(this.rt, runId, taskId, state, actor);
  }
}
