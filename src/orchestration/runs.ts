// The rules of a DAG run: creating one (at most one active per DAG, idempotent per key), moving it forward as its
// tasks end (dependents enqueued in order, the run ended once all succeed or one fails for good), and what a task
// try records when it starts and ends. Every step is a short transaction on the run row, so schedulers, workers
// and the sweeper on any machine can call them concurrently and repeatedly.
import { randomUUID } from 'node:crypto';
import { toError } from '../base/errors.js';
import type { Db } from '../store/db.js';
import { TASK_DEFAULTS, type RunTrigger, type TaskDefinition } from './dag.js';
import {
  activeRun,
  endRun,
  endTry,
  insertRun,
  insertTry,
  latestTries,
  isPaused,
  markTryRunning,
  setTryWorker,
  runById,
  runByKey,
  setPendingEvent,
  setRunRunning,
  takePendingEvent,
} from './run-store.js';
import type { OrchestrationRuntime, TaskJobData } from './runtime.js';

export interface CreateRunRequest {
  dagId: string;
  trigger: RunTrigger;
  /** Idempotency key: a second request with the same key makes no second run. @defaultValue a random key */
  runKey?: string;
  /** When the run was due. @defaultValue now */
  plannedAt?: Date;
  /**
   * What to do while a run of the DAG is active: `skip` records a skipped run (ticks, manual triggers);
   * `defer` remembers one pending event run that starts when the active run ends (data-aware triggers).
   * @defaultValue 'skip'
   */
  ifActive?: 'skip' | 'defer';
  /** Parameters the run's tasks see (TaskContext.params). @defaultValue none */
  params?: Record<string, unknown>;
}

export type CreateRunResult =
  | { outcome: 'created'; runId: number }
  | { outcome: 'skipped'; runId: number; activeRunId: number }
  | { outcome: 'deferred'; activeRunId: number }
  | { outcome: 'duplicate'; runId: number }
  | { outcome: 'paused' };

/** The BullMQ job id of a task of a run (custom ids may not contain ':'). */
export function taskJobId(runId: number, taskId: string): string {
  return `run${runId}.${taskId}`;
}

export async function createRun(
  rt: OrchestrationRuntime,
  request: CreateRunRequest,
): Promise<CreateRunResult> {
  const dag = rt.registry.get(request.dagId);
  const runKey = request.runKey ?? `${request.trigger}:${randomUUID()}`;
  const plannedAt = request.plannedAt ?? new Date();
  // Manual triggers run even when the DAG is paused: the user asked for this one run explicitly.
  if (request.trigger !== 'manual' && (await isPaused(rt.db, dag.id))) return { outcome: 'paused' };
  // The active run may end between our insert and our look-up: then try again.
  for (let attempt = 0; attempt < 5; attempt++) {
    const base = { dagId: dag.id, runKey, trigger: request.trigger, plannedAt, params: request.params };
    const runId = await insertRun(rt.db, { ...base, state: 'queued' });
    if (runId !== null) {
      rt.logger.debug({ dagId: dag.id, runId, trigger: request.trigger }, 'DAG run created');
      await advanceRun(rt, runId);
      return { outcome: 'created', runId };
    }
    const existing = await runByKey(rt.db, dag.id, runKey);
    if (existing) return { outcome: 'duplicate', runId: existing.id };
    const active = await activeRun(rt.db, dag.id);
    if (!active) continue;
    if (request.ifActive === 'defer') {
      await setPendingEvent(rt.db, dag.id);
      // If the active run ended before the flag was set, nobody will take it: start the run ourselves.
      if (await activeRun(rt.db, dag.id)) return { outcome: 'deferred', activeRunId: active.id };
      if (!(await takePendingEvent(rt.db, dag.id))) return { outcome: 'deferred', activeRunId: active.id };
      continue;
    }
    const note = `run ${active.id} was still ${active.state}`;
    const skippedId = await insertRun(rt.db, { ...base, state: 'skipped', note });
    if (skippedId === null) continue;
    rt.logger.debug({ dagId: dag.id, runId: skippedId, activeRunId: active.id }, 'DAG run skipped');
    return { outcome: 'skipped', runId: skippedId, activeRunId: active.id };
  }
  throw new Error(`DAG ${dag.id}: could not create a run (the active run kept changing)`);
}

/** What one advance decided under the run's lock, carried out after the transaction. */
interface AdvancePlan {
  toEnqueue: TaskDefinition[];
  ended?: { dagId: string; state: 'success' | 'failed' };
  dagId: string;
}

type DagOf = ReturnType<OrchestrationRuntime['registry']['get']>;
type Tries = Awaited<ReturnType<typeof latestTries>>;

/** A task failed for good: the tasks not yet run are upstream_failed, and the run ends failed. */
async function failRun(
  tx: Db,
  runId: number,
  dag: DagOf,
  tries: Tries,
  latest: Map<string, Tries[number]>,
  plan: AdvancePlan,
): Promise<void> {
  const nextTry = (taskId: string): number => (tries.find((t) => t.task_id === taskId)?.try_number ?? 0) + 1;
  const failed = [...latest.values()].filter((t) => t.state === 'failed' || t.state === 'upstream_failed');
  for (const task of dag.tasks) {
    if (!latest.has(task.id)) {
      await insertTry(tx, {
        runId,
        taskId: task.id,
        tryNumber: nextTry(task.id),
        state: 'upstream_failed',
      });
    }
  }
  const note = `task ${failed.map((t) => t.task_id).join(', ')} failed`;
  if (await endRun(tx, runId, 'failed', note)) plan.ended = { dagId: dag.id, state: 'failed' };
}

/** Under the run's lock: end it (failed or success), or queue the tasks whose dependencies all succeeded. */
async function planAdvance(
  rt: OrchestrationRuntime,
  tx: Db,
  runId: number,
  plan: AdvancePlan,
): Promise<void> {
  const run = await runById(tx, runId, { lock: true });
  if (!run || (run.state !== 'queued' && run.state !== 'running')) return;
  plan.dagId = run.dag_id;
  if (!rt.registry.ids().includes(run.dag_id)) {
    if (await endRun(tx, runId, 'failed', `DAG ${run.dag_id} is not defined in this version`)) {
      plan.ended = { dagId: run.dag_id, state: 'failed' };
    }
    return;
  }
  const dag = rt.registry.get(run.dag_id);
  const tries = await latestTries(tx, runId);
  // A cleared task counts as not run yet; its next try continues the numbering (interventions.ts).
  const latest = new Map(tries.filter((t) => t.state !== 'cleared').map((t) => [t.task_id, t]));
  const nextTry = (taskId: string): number => (tries.find((t) => t.task_id === taskId)?.try_number ?? 0) + 1;
  const anyFailed = [...latest.values()].some((t) => t.state === 'failed' || t.state === 'upstream_failed');
  const inFlight = [...latest.values()].some((t) => ['queued', 'running', 'up_for_retry'].includes(t.state));
  if (anyFailed) {
    if (!inFlight) await failRun(tx, runId, dag, tries, latest, plan);
    return;
  }
  if (dag.tasks.every((t) => latest.get(t.id)?.state === 'success')) {
    if (await endRun(tx, runId, 'success')) plan.ended = { dagId: dag.id, state: 'success' };
    return;
  }
  for (const task of dag.tasks) {
    if (latest.has(task.id)) continue;
    if ((task.dependsOn ?? []).every((dep) => latest.get(dep)?.state === 'success')) {
      await insertTry(tx, { runId, taskId: task.id, tryNumber: nextTry(task.id), state: 'queued' });
      plan.toEnqueue.push(task);
    }
  }
}

/**
 * Moves a run forward: enqueues tasks whose dependencies all succeeded, ends the run when every task succeeded
 * or when a task failed for good and nothing is still in flight. Safe to call any number of times.
 */
export async function advanceRun(rt: OrchestrationRuntime, runId: number): Promise<void> {
  const plan: AdvancePlan = { toEnqueue: [], dagId: '' };
  await rt.db.transaction((tx) => planAdvance(rt, tx, runId, plan));
  for (const task of plan.toEnqueue)
    await enqueueTask(rt, { runId, dagId: plan.dagId, taskId: task.id }, task);
  const { ended } = plan;
  if (ended) {
    // Runs end every few seconds: a success is detail, a failure is news.
    rt.logger[ended.state === 'success' ? 'debug' : 'warn'](
      { dagId: ended.dagId, runId, state: ended.state },
      'DAG run ended',
    );
    if (await takePendingEvent(rt.db, ended.dagId)) {
      await createRun(rt, {
        dagId: ended.dagId,
        trigger: 'event',
        runKey: `event:after-run-${runId}`,
        ifActive: 'defer',
      });
    }
  }
}

/** The BullMQ job id of child `index` of a fan-out task. */
function childJobId(runId: number, taskId: string, index: number): string {
  return `${taskJobId(runId, taskId)}.c${index}`;
}

/** The worker a fan-out task's try shows while its children run (its own job has not started yet). */
const CHILDREN_WORKER = '(child jobs)';

const KEEP = {
  removeOnComplete: { age: 24 * 3600, count: 2000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
} as const;

/**
 * Adds the task's job; BullMQ ignores a second add with the same job id, so re-enqueueing is harmless. A fan-out
 * task is added as a flow: its job waits (BullMQ's waiting-children) until each child job ended.
 */
export async function enqueueTask(
  rt: OrchestrationRuntime,
  data: TaskJobData,
  task: TaskDefinition,
): Promise<void> {
  const opts = {
    jobId: taskJobId(data.runId, data.taskId),
    attempts: (task.retries ?? TASK_DEFAULTS.retries) + 1,
    backoff: { type: 'exponential', delay: task.retryDelayMs ?? TASK_DEFAULTS.retryDelayMs },
    ...KEEP,
  };
  const inputs = task.fanOut ? task.fanOut.children(await upstreamResults(rt, data.runId, task)) : [];
  if (!task.fanOut || inputs.length === 0) {
    await rt.tasks.add(data.taskId, data, opts);
    return;
  }
  const childOpts = {
    attempts: (task.fanOut.retries ?? 2) + 1,
    backoff: { type: 'exponential', delay: task.fanOut.retryDelayMs ?? 500 },
    // The parent runs once every child ended, and fails the task if one of them failed all its tries.
    ignoreDependencyOnFailure: true,
    ...KEEP,
  };
  await rt.flows.add({
    name: data.taskId,
    queueName: rt.tasks.name,
    data,
    opts,
    children: inputs.map((input, index) => ({
      name: `${data.taskId}.child`,
      queueName: rt.tasks.name,
      data: { ...data, child: index, input } satisfies TaskJobData,
      opts: { ...childOpts, jobId: childJobId(data.runId, data.taskId, index) },
    })),
  });
}

async function upstreamResults(
  rt: OrchestrationRuntime,
  runId: number,
  task: TaskDefinition,
): Promise<Record<string, unknown>> {
  const tries = new Map((await latestTries(rt.db, runId)).map((t) => [t.task_id, t]));
  const upstream: Record<string, unknown> = {};
  for (const dep of task.dependsOn ?? []) upstream[dep] = tries.get(dep)?.result ?? null;
  return upstream;
}

/**
 * A child of a fan-out task started: the task's try shows running from the first child's start (so its bar
 * spans the children) until its own job ends it.
 */
export async function markChildrenRunning(
  rt: OrchestrationRuntime,
  data: TaskJobData,
): Promise<number | null> {
  const latest = (await latestTries(rt.db, data.runId)).find((t) => t.task_id === data.taskId);
  if (!latest) return null;
  if (latest.state === 'queued') await markTryRunning(rt.db, latest.id, CHILDREN_WORKER);
  return latest.id;
}

export interface StartedTry {
  tryId: number;
  tryNumber: number;
  trigger: RunTrigger;
  upstream: Record<string, unknown>;
  params: Record<string, unknown>;
}

/**
 * Records that a worker starts a task: the queued try becomes running, or (after a retry, or a worker that died
 * mid-task) a new try begins and a try left running is closed as lost. Null when there is nothing to run: the
 * run already ended, or this task already succeeded or failed for good.
 */
export async function startTry(
  rt: OrchestrationRuntime,
  data: TaskJobData,
  worker: string,
): Promise<StartedTry | null> {
  const task = rt.registry.task(data.dagId, data.taskId);
  return rt.db.transaction(async (tx) => {
    const run = await runById(tx, data.runId, { lock: true });
    if (!run || (run.state !== 'queued' && run.state !== 'running')) return null;
    const tries = new Map((await latestTries(tx, data.runId)).map((t) => [t.task_id, t]));
    const latest = tries.get(task.id);
    let tryId: number;
    let tryNumber: number;
    if (latest?.state === 'queued') {
      await markTryRunning(tx, latest.id, worker);
      ({ id: tryId, try_number: tryNumber } = latest);
    } else if (latest?.state === 'running' && latest.worker === CHILDREN_WORKER) {
      // A fan-out task whose children ran: its own job takes the try over (started when the first child did).
      await setTryWorker(tx, latest.id, worker);
      ({ id: tryId, try_number: tryNumber } = latest);
    } else if (!latest || latest.state === 'running' || latest.state === 'up_for_retry') {
      if (latest?.state === 'running') {
        const error = `worker ${latest.worker ?? '?'} stopped answering mid-task; the task is run again`;
        await endTry(tx, latest.id, 'failed', { error });
      }
      tryNumber = (latest?.try_number ?? 0) + 1;
      tryId = await insertTry(tx, {
        runId: data.runId,
        taskId: task.id,
        tryNumber,
        state: 'running',
        worker,
      });
    } else {
      return null;
    }
    await setRunRunning(tx, data.runId);
    const upstream: Record<string, unknown> = {};
    for (const dep of task.dependsOn ?? []) upstream[dep] = tries.get(dep)?.result ?? null;
    return { tryId, tryNumber, trigger: run.trigger, upstream, params: run.params ?? {} };
  });
}

/** A try succeeded: record its result and move the run on. */
export async function succeedTry(
  rt: OrchestrationRuntime,
  data: TaskJobData,
  tryId: number,
  result: unknown,
): Promise<void> {
  await endTry(rt.db, tryId, 'success', { result: jsonValue(result) });
  await advanceRun(rt, data.runId);
}

/** A try failed: up for retry while tries are left, else failed for good (and the run fails). */
export async function failTry(
  rt: OrchestrationRuntime,
  data: TaskJobData,
  tryId: number,
  error: unknown,
  final: boolean,
): Promise<void> {
  const err = toError(error);
  await endTry(rt.db, tryId, final ? 'failed' : 'up_for_retry', { error: err.message });
  if (final) await advanceRun(rt, data.runId);
}

/** Ends a try from outside the worker (the sweeper), then moves the run on. */
export async function abandonTry(
  rt: OrchestrationRuntime,
  runId: number,
  tryId: number,
  error: string,
): Promise<void> {
  await endTry(rt.db, tryId, 'failed', { error });
  await advanceRun(rt, runId);
}

/** Results are stored as JSON: undefined becomes null, and values JSON cannot hold become their string. */
function jsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}
