-- 0008_users_roles_audit: several users with a role each, API tokens per user, and an audit log of every mutating
-- request. Roles are ordered viewer < operator < admin (viewer reads; operator also triggers, pauses, reruns,
-- reprocesses and retries files; admin also manages users and clears the cache). The existing admin keeps admin.
ALTER TABLE auth_users ADD COLUMN IF NOT EXISTS role text NOT NULL DEFAULT 'admin'
  CHECK (role IN ('viewer', 'operator', 'admin'));

-- A token's role is its user's role at the time of each request (not copied), so demoting a user demotes their
-- tokens. Only the sha256 of the token is stored; the token is shown once, when created.
CREATE TABLE IF NOT EXISTS auth_tokens (
  token_hash text PRIMARY KEY,
  username text NOT NULL REFERENCES auth_users (username) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);

CREATE TABLE IF NOT EXISTS audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- The user name, 'token:<user>' style names are not used: `via` says how the caller authenticated.
  actor text,
  via text NOT NULL CHECK (via IN ('session', 'token', 'anonymous', 'cli')),
  action text NOT NULL,
  target text,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  status integer,
  detail jsonb
);

CREATE INDEX IF NOT EXISTS audit_log_at_idx ON audit_log (at DESC);

-- Parameters a run was triggered with (e.g. {"force": true} to retrain on unchanged data); tasks see them.
ALTER TABLE dag_runs ADD COLUMN IF NOT EXISTS params jsonb;

-- Clearing a task (rerun it and what depends on it) records a `cleared` try: the task counts as not run yet, and
-- its next try continues the numbering, so the history of earlier tries stays.
ALTER TABLE dag_task_instances DROP CONSTRAINT IF EXISTS dag_task_instances_state_check;
ALTER TABLE dag_task_instances ADD CONSTRAINT dag_task_instances_state_check CHECK (
  state IN ('queued', 'running', 'success', 'failed', 'up_for_retry', 'upstream_failed', 'cleared')
);
