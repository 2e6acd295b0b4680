// A DagService kept in memory for the HTTP contract tests: three DAGs whose triggered runs go queued → running →
// success in a few hundred milliseconds, with task logs, in the orchestration stage's types. The real scheduler is
// tested in test/orchestration.
import { NotFoundError } from '../../src/base/errors.js';
import type {
  DagService,
  DagSummary,
  RunDetail,
  RunFilter,
  RunWithTasks,
  TaskInstanceView,
} from '../../src/api/deps.js';

const DAGS = [
  { id: 'incremental_processing_dag', everyMs: 300_000, tasks: ['detect', 'aggregate', 'track'] },
  { id: 'ml_training_dag', everyMs: 3_600_000, tasks: ['check_data', 'train', 'register'] },
  { id: 'redis_cache_dag', everyMs: 600_000, tasks: ['refresh_cache'] },
];

const line = (message: string) => {
  const time = new Date().toISOString();
  return { time, level: 'info', message, line: { msg: message, time }, fields: {} };
};

export class MemoryDagService implements DagService {
  private readonly paused = new Map<string, boolean>();
  private readonly runs: RunDetail[] = [];
  private seq = 0;
  private trySeq = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly stepMs = 150) {}

  private dag(id: string) {
    const dag = DAGS.find((d) => d.id === id);
    if (!dag) {
      throw new NotFoundError(
        `no DAG ${JSON.stringify(id)}`,
        DAGS.map((d) => d.id),
      );
    }
    return dag;
  }

  private summary(id: string): DagSummary {
    const dag = this.dag(id);
    const runs = this.runs.filter((r) => r.dagId === id);
    const last = runs.at(-1);
    const lastRun = last ? (({ tasks: _tasks, processing: _processing, ...summary }) => summary)(last) : null;
    return {
      id,
      description: `${id} (test)`,
      schedule: { everyMs: dag.everyMs },
      scheduleText: `every ${dag.everyMs / 1000}s`,
      paused: this.paused.get(id) ?? false,
      tasks: dag.tasks.map((t, i) => ({ id: t, dependsOn: i === 0 ? [] : [dag.tasks[i - 1]] })),
      lastRun,
      lastSuccessAt: runs.filter((r) => r.state === 'success').at(-1)?.endedAt ?? null,
      activeRunId: runs.find((r) => r.state === 'queued' || r.state === 'running')?.id ?? null,
      nextRunAt: new Date(Date.now() + 60_000).toISOString(),
    };
  }

  async listDags(): Promise<DagSummary[]> {
    return DAGS.map((d) => this.summary(d.id));
  }

  async listRuns(dagId: string, limit: number, filter: RunFilter = {}): Promise<RunWithTasks[]> {
    this.dag(dagId);
    const offset = filter.offset ?? 0;
    return this.runs
      .filter((r) => r.dagId === dagId && (!filter.state || r.state === filter.state))
      .filter((r) => !filter.trigger || r.trigger === filter.trigger)
      .reverse()
      .slice(offset, offset + limit)
      .map(({ processing: _processing, ...r }) => ({
        ...r,
        processing: null,
        tasks: r.tasks.map(({ logs: _logs, ...t }) => t),
      }));
  }

  async getRun(runId: number) {
    return this.runs.find((r) => r.id === runId);
  }

  async setPaused(dagId: string, paused: boolean) {
    this.dag(dagId);
    this.paused.set(dagId, paused);
    return this.summary(dagId);
  }

  private task(taskId: string): TaskInstanceView {
    return {
      id: ++this.trySeq,
      taskId,
      tryNumber: 1,
      state: 'queued',
      queuedAt: new Date().toISOString(),
      startedAt: null,
      endedAt: null,
      durationMs: null,
      worker: null,
      error: null,
      result: null,
      logs: [],
    };
  }

  async trigger(dagId: string, params?: Record<string, unknown>) {
    const dag = this.dag(dagId);
    const now = new Date().toISOString();
    const run: RunDetail = {
      id: ++this.seq,
      dagId,
      state: 'queued',
      trigger: 'manual',
      plannedAt: now,
      createdAt: now,
      startedAt: null,
      endedAt: null,
      durationMs: null,
      note: null,
      params: params ?? null,
      tasks: dag.tasks.map((t) => this.task(t)),
      processing: null,
    };
    this.runs.push(run);
    this.later(() => {
      run.state = 'running';
      run.startedAt = new Date().toISOString();
      for (const t of run.tasks) {
        t.state = 'running';
        t.startedAt = run.startedAt;
        t.logs?.push(line(`${t.taskId} started`));
      }
      this.later(() => {
        const end = new Date().toISOString();
        for (const t of run.tasks) {
          t.state = 'success';
          t.endedAt = end;
          t.logs?.push(line(`${t.taskId} finished: 42 rows`));
        }
        run.state = 'success';
        run.endedAt = end;
        run.durationMs = Date.parse(end) - Date.parse(run.startedAt ?? end);
      });
    });
    return { outcome: 'created' as const, runId: run.id };
  }

  private run(runId: number): RunDetail {
    const run = this.runs.find((r) => r.id === runId);
    if (!run) throw new NotFoundError(`no DAG run ${runId}`);
    return run;
  }

  /** Clearing reruns the tasks at once (success); marking sets the state. Enough for the HTTP contract tests. */
  async clear(runId: number, options: { tasks?: string[] }) {
    const run = this.run(runId);
    const tasks = options.tasks ?? run.tasks.map((t) => t.taskId);
    for (const t of run.tasks) if (tasks.includes(t.taskId)) t.state = 'success';
    return { runId, dagId: run.dagId, tasks };
  }

  async mark(runId: number, taskId: string, state: 'success' | 'failed') {
    const run = this.run(runId);
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
