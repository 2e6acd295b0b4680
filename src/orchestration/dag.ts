// DAGs defined in code: an id, a schedule, and tasks with dependencies, retries and a timeout. The engine is
// generic: it only sees these definitions (the pipeline's three DAGs are bound in pipeline-dags.ts).
import { NotFoundError } from '../base/errors.js';
import type { Logger } from '../base/log.js';

/** Every `everyMs` milliseconds, or a cron pattern (5 or 6 fields, as BullMQ's job schedulers accept). */
export type Schedule = { everyMs: number } | { cron: string };

export type RunTrigger = 'schedule' | 'manual' | 'event';
export type RunState = 'queued' | 'running' | 'success' | 'failed' | 'skipped';
/** `cleared`: an operator asked to run the task again (interventions.ts); it counts as not run yet. */
export type TaskState =
  'queued' | 'running' | 'success' | 'failed' | 'up_for_retry' | 'upstream_failed' | 'cleared';

export interface TaskContext {
  dagId: string;
  runId: number;
  taskId: string;
  /** 1 for the first try. */
  tryNumber: number;
  trigger: RunTrigger;
  /** Lines logged here are stored with the task instance (`orderflow dags logs`). */
  logger: Logger;
  /** Aborted when the task's timeout passes or the worker shuts down; long tasks should stop early. */
  signal: AbortSignal;
  /** Results (JSON) of the tasks this one depends on, by task id. */
  upstream: Record<string, unknown>;
  /** Parameters the run was triggered with (`dags trigger --param force=true`); empty for scheduled runs. */
  params?: Readonly<Record<string, unknown>>;
  /** A fan-out task's child values (JSON), in the order of its children; empty for other tasks. */
  children?: readonly unknown[];
  /**
   * Starts an event run of another DAG at once (or right after its active run, if one is active).
   * `key` makes the trigger idempotent: a second trigger with the same key makes no second run.
   */
  triggerDag(dagId: string, key?: string): Promise<void>;
}

/** What one child job of a fan-out task sees. */
export interface ChildContext {
  dagId: string;
  runId: number;
  taskId: string;
  /** Position among the task's children. */
  index: number;
  /** The input `FanOut.children` planned for it. */
  input: unknown;
  /** 1 for the first try; a retry (failure, or its worker died) counts up. */
  tryNumber: number;
  /** host:pid of the worker running it. */
  worker: string;
  /** Lines logged here are stored with the fan-out task's try. */
  logger: Logger;
  signal: AbortSignal;
}

/**
 * A task whose work is split into child jobs that any worker on any machine may run (a BullMQ flow: the task's
 * own job waits for its children). `run` is called once every child ended, with their values in `children`;
 * a child that failed all its tries fails the task.
 */
export interface FanOut {
  /** Inputs of the children, from the upstream results: the same upstream must give the same children. */
  children(upstream: Record<string, unknown>): unknown[];
  runChild(ctx: ChildContext): Promise<unknown>;
  /** Tries of a child after its first failure. @defaultValue 2 */
  retries?: number;
  /** @defaultValue 500 */
  retryDelayMs?: number;
}

export interface TaskDefinition {
  id: string;
  /** Ids of tasks of the same DAG that must succeed first. @defaultValue [] */
  dependsOn?: readonly string[];
  /** Tries after the first failure. @defaultValue 0 */
  retries?: number;
  /** Delay before the first retry; doubles on each further retry (exponential backoff). @defaultValue 1000 */
  retryDelayMs?: number;
  /** A try running longer than this fails (and is retried if tries are left). @defaultValue 600000 */
  timeoutMs?: number;
  /** The work; its resolved value (JSON) is stored with the task instance and passed downstream. */
  run(ctx: TaskContext): Promise<unknown>;
  /** Splits the task into child jobs run before `run` (see FanOut). */
  fanOut?: FanOut;
}

export interface DagDefinition {
  id: string;
  description?: string;
  schedule: Schedule;
  tasks: readonly TaskDefinition[];
}

export const TASK_DEFAULTS = { retries: 0, retryDelayMs: 1000, timeoutMs: 600_000 } as const;

/** Checks ids are unique, dependencies exist and there is no cycle; returns the tasks in dependency order. */
export function validateDag(dag: DagDefinition): TaskDefinition[] {
  if (!/^[A-Za-z0-9_-]+$/.test(dag.id))
    throw new Error(`DAG id ${JSON.stringify(dag.id)}: use [A-Za-z0-9_-]`);
  if ('everyMs' in dag.schedule && !(dag.schedule.everyMs >= 100)) {
    throw new Error(`DAG ${dag.id}: schedule.everyMs must be at least 100`);
  }
  const byId = new Map<string, TaskDefinition>();
  for (const task of dag.tasks) {
    if (!/^[A-Za-z0-9_-]+$/.test(task.id)) {
      throw new Error(`DAG ${dag.id}: task id ${JSON.stringify(task.id)}: use [A-Za-z0-9_-]`);
    }
    if (byId.has(task.id)) throw new Error(`DAG ${dag.id}: two tasks named ${task.id}`);
    byId.set(task.id, task);
  }
  if (byId.size === 0) throw new Error(`DAG ${dag.id}: no tasks`);
  const ordered: TaskDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (task: TaskDefinition, path: string[]): void => {
    if (state.get(task.id) === 'done') return;
    if (state.get(task.id) === 'visiting') {
      throw new Error(`DAG ${dag.id}: dependency cycle ${[...path, task.id].join(' → ')}`);
    }
    state.set(task.id, 'visiting');
    for (const dep of task.dependsOn ?? []) {
      const upstream = byId.get(dep);
      if (!upstream) throw new Error(`DAG ${dag.id}: task ${task.id} depends on unknown task ${dep}`);
      visit(upstream, [...path, task.id]);
    }
    state.set(task.id, 'done');
    ordered.push(task);
  };
  for (const task of dag.tasks) visit(task, []);
  return ordered;
}

/** The DAGs a process knows, by id. Lookups of unknown ids fail with the known ids as suggestions. */
export class DagRegistry {
  private readonly dags = new Map<string, DagDefinition>();

  constructor(dags: readonly DagDefinition[]) {
    for (const dag of dags) {
      validateDag(dag);
      if (this.dags.has(dag.id)) throw new Error(`two DAGs named ${dag.id}`);
      this.dags.set(dag.id, dag);
    }
  }

  ids(): string[] {
    return [...this.dags.keys()];
  }

  all(): DagDefinition[] {
    return [...this.dags.values()];
  }

  /** The DAG, or NotFoundError (exit code 2) listing the known ids. */
  get(dagId: string): DagDefinition {
    const dag = this.dags.get(dagId);
    if (!dag) {
      throw new NotFoundError(
        `unknown DAG ${JSON.stringify(dagId)}; known DAGs: ${this.ids().join(', ')}`,
        this.ids(),
      );
    }
    return dag;
  }

  task(dagId: string, taskId: string): TaskDefinition {
    const task = this.get(dagId).tasks.find((t) => t.id === taskId);
    if (!task) throw new NotFoundError(`DAG ${dagId} has no task ${JSON.stringify(taskId)}`);
    return task;
  }
}

export function describeSchedule(schedule: Schedule): string {
  return 'everyMs' in schedule ? `every ${formatMs(schedule.everyMs)}` : `cron ${schedule.cron}`;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
