// A DagService kept in memory for the HTTP contract tests: three DAGs whose triggered runs go queued → running →
// success in a few hundred milliseconds, with task logs. The real scheduler is tested in test/orchestration.
import { NotFoundError } from '../../src/errors.js';
import type { DagService, DagSummary, RunDetail, RunFilter } from '../../src/api/deps.js';

const DAGS = [
  { dagId: 'incremental_processing_dag', schedule: 'every 5m', tasks: ['detect', 'aggregate', 'track'] },
  { dagId: 'ml_training_dag', schedule: 'every 1h', tasks: ['check_data', 'train', 'register'] },
  { dagId: 'redis_cache_dag', schedule: 'every 10m', tasks: ['refresh_cache'] },
];

export class MemoryDagService implements DagService {
  private readonly paused = new Map<string, boolean>();
  private readonly runs: RunDetail[] = [];
  private seq = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly stepMs = 150) {}

  private dag(id: string) {
    const dag = DAGS.find((d) => d.dagId === id);
    if (!dag) {
      throw new NotFoundError(
        `no DAG ${JSON.stringify(id)}`,
        DAGS.map((d) => d.dagId),
      );
    }
    return dag;
  }

  private summary(id: string): DagSummary {
    const dag = this.dag(id);
    const runs = this.runs.filter((r) => r.dagId === id);
    return {
      dagId: id,
      description: `${id} (test)`,
      schedule: dag.schedule,
      paused: this.paused.get(id) ?? false,
      tasks: dag.tasks,
      dependsOn: Object.fromEntries(dag.tasks.map((t, i) => [t, i === 0 ? [] : [dag.tasks[i - 1]]])),
      lastRun: runs.at(-1) ?? null,
      nextRunAt: new Date(Date.now() + 60_000).toISOString(),
      lastSuccessAt: runs.filter((r) => r.state === 'success').at(-1)?.finishedAt ?? null,
    };
  }

  async listDags(): Promise<DagSummary[]> {
    return DAGS.map((d) => this.summary(d.dagId));
  }

  async listRuns(dagId: string, limit: number, filter: RunFilter = {}) {
    this.dag(dagId);
    const offset = filter.offset ?? 0;
    return this.runs
      .filter((r) => r.dagId === dagId && (!filter.state || r.state === filter.state))
      .filter((r) => !filter.trigger || r.trigger === filter.trigger)
      .reverse()
      .slice(offset, offset + limit);
  }

  async getRun(runId: string) {
    return this.runs.find((r) => r.runId === runId);
  }

  async setPaused(dagId: string, paused: boolean) {
    this.dag(dagId);
    this.paused.set(dagId, paused);
    return this.summary(dagId);
  }

  async trigger(dagId: string) {
    const dag = this.dag(dagId);
    const now = new Date().toISOString();
    const run: RunDetail = {
      runId: String(++this.seq),
      dagId,
      state: 'queued',
      trigger: 'manual',
      queuedAt: now,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      params: null,
      tasks: dag.tasks.map((taskId) => ({
        taskId,
        state: 'queued',
        startedAt: null,
        finishedAt: null,
        logs: [],
      })),
    };
    this.runs.push(run);
    this.later(() => {
      run.state = 'running';
      run.startedAt = new Date().toISOString();
      for (const t of run.tasks) {
        t.state = 'running';
        t.startedAt = run.startedAt;
        t.logs.push({ at: run.startedAt, level: 'info', message: `${t.taskId} started` });
      }
      this.later(() => {
        const end = new Date().toISOString();
        for (const t of run.tasks) {
          t.state = 'success';
          t.finishedAt = end;
          t.logs.push({ at: end, level: 'info', message: `${t.taskId} finished: 42 rows` });
        }
        run.state = 'success';
        run.finishedAt = end;
        run.durationMs = Date.parse(end) - Date.parse(run.startedAt ?? end);
      });
    });
    return { runId: run.runId };
  }

  /** Clearing reruns the tasks at once (success); marking sets the state. Enough for the HTTP contract tests. */
  async clear(runId: string, options: { tasks?: string[] }) {
    const run = this.runs.find((r) => r.runId === runId);
    if (!run) throw new NotFoundError(`no DAG run ${runId}`);
    const tasks = options.tasks ?? run.tasks.map((t) => t.taskId);
    for (const t of run.tasks) if (tasks.includes(t.taskId)) t.state = 'success';
    return { runId, dagId: run.dagId, tasks };
  }

  async mark(runId: string, taskId: string, state: 'success' | 'failed') {
    const run = this.runs.find((r) => r.runId === runId);
    if (!run) throw new NotFoundError(`no DAG run ${runId}`);
    for (const t of run.tasks) if (t.taskId === taskId) t.state = state;
    return { runId, dagId: run.dagId, tasks: [taskId] };
  }

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.stepMs);
    this.timers.add(t);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
  }
}
