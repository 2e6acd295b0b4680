-- 0004_dags: DAG run history for the scheduler (src/orchestration). One row per DAG run, one row per task try,
-- the log lines of each try, and the per-DAG state that must be shared by every process (paused, pending event).

-- Shared per-DAG switches. A missing row means "not paused, nothing pending".
CREATE TABLE IF NOT EXISTS dag_state (
  dag_id text PRIMARY KEY,
  paused boolean NOT NULL DEFAULT false,
  -- An event trigger arrived while a run was active: start one event run as soon as it ends.
  pending_event boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dag_runs (
  id bigserial PRIMARY KEY,
  dag_id text NOT NULL,
  -- Idempotency key: "schedule:<planned ms>" for ticks, so a tick processed twice makes one run.
  run_key text NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'event')),
  state text NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed', 'skipped')),
  -- When the run was due (the tick's planned time, or the trigger time).
  planned_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz,
  duration_ms integer,
  -- Why a run was skipped or failed.
  note text,
  UNIQUE (dag_id, run_key)
);

-- At most one active run per DAG, across every scheduler, worker and CLI: a second insert conflicts.
CREATE UNIQUE INDEX IF NOT EXISTS dag_runs_one_active_idx ON dag_runs (dag_id) WHERE state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS dag_runs_dag_created_idx ON dag_runs (dag_id, id DESC);
CREATE INDEX IF NOT EXISTS dag_runs_created_idx ON dag_runs (created_at);

-- One row per try of a task in a run; the latest try_number is the task's current state.
CREATE TABLE IF NOT EXISTS dag_task_instances (
  id bigserial PRIMARY KEY,
  run_id bigint NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
  task_id text NOT NULL,
  try_number integer NOT NULL,
  state text NOT NULL CHECK (
    state IN ('queued', 'running', 'success', 'failed', 'up_for_retry', 'upstream_failed')
  ),
  queued_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz,
  duration_ms integer,
  worker text,
  error text,
  result jsonb,
  UNIQUE (run_id, task_id, try_number)
);

CREATE TABLE IF NOT EXISTS dag_task_logs (
  task_instance_id bigint NOT NULL REFERENCES dag_task_instances (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  logged_at timestamptz NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  -- The whole structured pino line.
  line jsonb NOT NULL,
  PRIMARY KEY (task_instance_id, seq)
);
