// The SQL of the run history (sql/0004_dags.sql): DAG runs, task tries, task log lines and per-DAG state.
// Plain functions over the Db interface; the rules (what follows what) live in runs.ts.
import type { Db } from '../store/db.js';
import type { RunState, RunTrigger, TaskState } from './dag.js';

export interface RunRow {
  id: number;
  dag_id: string;
  run_key: string;
  trigger: RunTrigger;
  state: RunState;
  planned_at: Date;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  duration_ms: number | null;
  note: string | null;
  params: Record<string, unknown> | null;
}

export interface TaskTryRow {
  id: number;
  run_id: number;
  task_id: string;
  try_number: number;
  state: TaskState;
  queued_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  duration_ms: number | null;
  worker: string | null;
  error: string | null;
  result: unknown;
}

export interface LogLineRow {
  task_instance_id: number;
  seq: number;
  logged_at: Date;
  level: string;
  message: string;
  line: Record<string, unknown>;
}

const RUN_COLUMNS =
  'id, dag_id, run_key, trigger, state, planned_at, created_at, started_at, ended_at, duration_ms, note, params';

/** Inserts a run; null when it conflicts (same key, or an active run of the DAG when `state` is active). */
export async function insertRun(
  db: Db,
  run: {
    dagId: string;
    runKey: string;
    trigger: RunTrigger;
    plannedAt: Date;
    state: RunState;
    note?: string;
    params?: Record<string, unknown>;
  },
): Promise<number | null> {
  const ended = run.state === 'skipped' ? 'now()' : 'NULL';
  const rows = await db.query<{ id: number }>(
    `INSERT INTO dag_runs (dag_id, run_key, trigger, state, planned_at, note, params, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, ${ended})
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      run.dagId,
      run.runKey,
      run.trigger,
      run.state,
      run.plannedAt,
      run.note ?? null,
      run.params ? JSON.stringify(run.params) : null,
    ],
  );
  return rows[0]?.id ?? null;
}

export async function runByKey(db: Db, dagId: string, runKey: string): Promise<RunRow | undefined> {
  const rows = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs WHERE dag_id = $1 AND run_key = $2`,
    [dagId, runKey],
  );
  return rows[0];
}

export async function activeRun(db: Db, dagId: string): Promise<RunRow | undefined> {
  const rows = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs WHERE dag_id = $1 AND state IN ('queued', 'running')`,
    [dagId],
  );
  return rows[0];
}

export async function activeRuns(db: Db): Promise<RunRow[]> {
  return db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs WHERE state IN ('queued', 'running') ORDER BY id`,
  );
}

export async function runById(
  db: Db,
  runId: number,
  options: { lock?: boolean } = {},
): Promise<RunRow | undefined> {
  const rows = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [runId],
  );
  return rows[0];
}

export async function runsOfDag(db: Db, dagId: string, limit: number): Promise<RunRow[]> {
  return db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM dag_runs WHERE dag_id = $1 ORDER BY id DESC LIMIT $2`, [
    dagId,
    limit,
  ]);
}

/** A page of a DAG's runs, newest first, optionally only in one state and/or of one trigger (the UI's filters). */
export async function runsOfDagPage(
  db: Db,
  dagId: string,
  page: { limit: number; offset: number; state?: RunState; trigger?: RunTrigger },
): Promise<RunRow[]> {
  return db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM dag_runs
     WHERE dag_id = $1 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR trigger = $3)
     ORDER BY id DESC LIMIT $4 OFFSET $5`,
    [dagId, page.state ?? null, page.trigger ?? null, page.limit, page.offset],
  );
}

/** The newest run of each DAG that is not `skipped` (what "last run" means in `dags list`), or in `state`. */
export async function lastRuns(db: Db, state?: RunState): Promise<RunRow[]> {
  const where = state ? 'state = $1' : "state <> 'skipped'";
  return db.query<RunRow>(
    `SELECT DISTINCT ON (dag_id) ${RUN_COLUMNS} FROM dag_runs WHERE ${where} ORDER BY dag_id, id DESC`,
    state ? [state] : [],
  );
}

export async function setRunRunning(db: Db, runId: number): Promise<void> {
  await db.query(
    `UPDATE dag_runs SET state = 'running', started_at = now() WHERE id = $1 AND state = 'queued'`,
    [runId],
  );
}

/** Ends an active run; false when it had already ended. */
export async function endRun(
  db: Db,
  runId: number,
  state: 'success' | 'failed',
  note?: string,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE dag_runs SET state = $2, note = coalesce($3, note), ended_at = now(),
       started_at = coalesce(started_at, now()),
       duration_ms = (extract(epoch FROM now() - coalesce(started_at, now())) * 1000)::integer
     WHERE id = $1 AND state IN ('queued', 'running', 'up_for_retry') RETURNING id`,
    [runId, state, note ?? null],
  );
  return rows.length > 0;
}

const TRY_COLUMNS =
  'id, run_id, task_id, try_number, state, queued_at, started_at, ended_at, duration_ms, worker, error, result';

/** The latest try of every task of a run that has one. */
export async function latestTries(db: Db, runId: number): Promise<TaskTryRow[]> {
  return db.query<TaskTryRow>(
    `SELECT DISTINCT ON (task_id) ${TRY_COLUMNS} FROM dag_task_instances WHERE run_id = $1
     ORDER BY task_id, try_number DESC`,
    [runId],
  );
}

export async function triesOfRuns(db: Db, runIds: readonly number[]): Promise<TaskTryRow[]> {
  return db.query<TaskTryRow>(
    `SELECT ${TRY_COLUMNS} FROM dag_task_instances WHERE run_id = ANY($1::bigint[]) ORDER BY run_id, id`,
    [runIds],
  );
}

export async function insertTry(
  db: Db,
  t: { runId: number; taskId: string; tryNumber: number; state: TaskState; worker?: string; error?: string },
): Promise<number> {
  const started = t.state === 'running' ? 'now()' : 'NULL';
  const ended = t.state === 'upstream_failed' ? 'now()' : 'NULL';
  const rows = await db.query<{ id: number }>(
    `INSERT INTO dag_task_instances (run_id, task_id, try_number, state, worker, error, started_at, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, ${started}, ${ended}) RETURNING id`,
    [t.runId, t.taskId, t.tryNumber, t.state, t.worker ?? null, t.error ?? null],
  );
  return rows[0].id;
}

export async function markTryRunning(db: Db, id: number, worker: string): Promise<void> {
  await db.query(
    `UPDATE dag_task_instances SET state = 'running', started_at = now(), worker = $2 WHERE id = $1`,
    [id, worker],
  );
}

/** Names the worker of a running try without moving its start (a fan-out task's own job taking it over). */
export async function setTryWorker(db: Db, id: number, worker: string): Promise<void> {
  await db.query('UPDATE dag_task_instances SET worker = $2 WHERE id = $1', [id, worker]);
}

/**
 * Ends a queued, running or waiting-for-retry try; false when it had already ended. (A retry whose job BullMQ
 * gave up on, e.g. its attempt failed on a lost database connection before it could start, is failed by the
 * sweeper from up_for_retry: leaving it there kept its run active, and every later tick skipped, for good.)
 */
export async function endTry(
  db: Db,
  id: number,
  state: 'success' | 'failed' | 'up_for_retry',
  detail: { error?: string; result?: unknown } = {},
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE dag_task_instances SET state = $2, error = $3, result = $4::jsonb, ended_at = now(),
       duration_ms = (extract(epoch FROM now() - coalesce(started_at, now())) * 1000)::integer
     WHERE id = $1 AND state IN ('queued', 'running', 'up_for_retry') RETURNING id`,
    [id, state, detail.error ?? null, detail.result === undefined ? null : JSON.stringify(detail.result)],
  );
  return rows.length > 0;
}

export async function insertLogLines(
  db: Db,
  taskInstanceId: number,
  firstSeq: number,
  lines: readonly { time: Date; level: string; message: string; line: Record<string, unknown> }[],
): Promise<void> {
  if (lines.length === 0) return;
  const values: unknown[] = [];
  const tuples = lines.map((l, i) => {
    values.push(taskInstanceId, firstSeq + i, l.time, l.level, l.message, JSON.stringify(l.line));
    const b = i * 6;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}::jsonb)`;
  });
  await db.query(
    `INSERT INTO dag_task_logs (task_instance_id, seq, logged_at, level, message, line) VALUES ${tuples.join(', ')}
     ON CONFLICT DO NOTHING`,
    values,
  );
}

export async function logLines(db: Db, taskInstanceIds: readonly number[]): Promise<LogLineRow[]> {
  return db.query<LogLineRow>(
    `SELECT task_instance_id, seq, logged_at, level, message, line FROM dag_task_logs
     WHERE task_instance_id = ANY($1::bigint[]) ORDER BY task_instance_id, logged_at, seq`,
    [taskInstanceIds],
  );
}

export interface DagStateRow {
  dag_id: string;
  paused: boolean;
  pending_event: boolean;
}

export async function dagStates(db: Db): Promise<Map<string, DagStateRow>> {
  const rows = await db.query<DagStateRow>('SELECT dag_id, paused, pending_event FROM dag_state');
  return new Map(rows.map((r) => [r.dag_id, r]));
}

export async function isPaused(db: Db, dagId: string): Promise<boolean> {
  const rows = await db.query<{ paused: boolean }>('SELECT paused FROM dag_state WHERE dag_id = $1', [dagId]);
  return rows[0]?.paused ?? false;
}

export async function setPaused(db: Db, dagId: string, paused: boolean): Promise<void> {
  await db.query(
    `INSERT INTO dag_state (dag_id, paused) VALUES ($1, $2)
     ON CONFLICT (dag_id) DO UPDATE SET paused = excluded.paused, updated_at = now()`,
    [dagId, paused],
  );
}

export async function setPendingEvent(db: Db, dagId: string): Promise<void> {
  await db.query(
    `INSERT INTO dag_state (dag_id, pending_event) VALUES ($1, true)
     ON CONFLICT (dag_id) DO UPDATE SET pending_event = true, updated_at = now()`,
    [dagId],
  );
}

/** Clears the pending-event flag; true when it was set (the caller then starts the event run). */
export async function takePendingEvent(db: Db, dagId: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE dag_state SET pending_event = false, updated_at = now() WHERE dag_id = $1 AND pending_event RETURNING dag_id`,
    [dagId],
  );
  return rows.length > 0;
}

/** Deletes runs (and, by cascade, their tasks and logs) that ended before the retention window. */
export async function deleteRunsBefore(db: Db, cutoff: Date): Promise<number> {
  const rows = await db.query(
    `DELETE FROM dag_runs WHERE created_at < $1 AND state NOT IN ('queued', 'running') RETURNING id`,
    [cutoff],
  );
  return rows.length;
}

/**
 * Makes an ended run active again (an operator cleared or marked tasks): queued, with no end, duration or start,
 * which the next try sets again. False when the run was not ended. Throws the unique violation (23505) of
 * dag_runs_one_active_idx when another run of the DAG is active.
 */
export async function reopenRun(db: Db, runId: number, note: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE dag_runs SET state = 'queued', ended_at = NULL, duration_ms = NULL, started_at = NULL, note = $2
     WHERE id = $1 AND state IN ('success', 'failed') RETURNING id`,
    [runId, note],
  );
  return rows.length > 0;
}

/** A try that is over as soon as it is recorded: `cleared` markers and tries marked success/failed by a user. */
export async function insertEndedTry(
  db: Db,
  t: {
    runId: number;
    taskId: string;
    tryNumber: number;
    state: 'cleared' | 'success' | 'failed';
    note: string;
  },
): Promise<number> {
  const rows = await db.query<{ id: number }>(
    `INSERT INTO dag_task_instances
       (run_id, task_id, try_number, state, error, result, started_at, ended_at, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, now(), now(), 0) RETURNING id`,
    // The note is the error of a try marked failed, and the result ({ note }) of the others.
    [
      t.runId,
      t.taskId,
      t.tryNumber,
      t.state,
      t.state === 'failed' ? t.note : null,
      t.state === 'failed' ? null : JSON.stringify({ note: t.note }),
    ],
  );
  return rows[0].id;
}
