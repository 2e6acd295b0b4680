-- 0012_ingest_parts: the incremental run's units of work. `discover_files` plans one part per new or changed
-- file, or per byte range of a large one; any worker on any machine reads a part and stages its partial here
-- (payload); `commit` folds the staged partials of its run into the ledger in one fenced transaction and drops
-- the payloads. The rows stay as the run's task history (the processing view): which worker read what, when,
-- how long it took and how many tries it needed. A run is identified by its lease's fencing token.
CREATE TABLE ingest_parts (
  token bigint NOT NULL,
  path text NOT NULL,
  range_index integer NOT NULL,
  range_count integer NOT NULL,
  -- The DAG run that planned the part (NULL for `orderflow incremental` without workers).
  dag_run_id bigint,
  -- The file's size; the range's own bytes once read (its cut points are found at line ends when read).
  bytes bigint NOT NULL,
  -- queued → running → staged → committed; abandoned: its run ended without committing it.
  state text NOT NULL CHECK (state IN ('queued', 'running', 'staged', 'committed', 'abandoned')),
  -- read: counted; rejected: the file cannot be read as orders; changed: it changed while being read.
  outcome text CHECK (outcome IN ('read', 'rejected', 'changed')),
  range_start bigint,
  range_end bigint,
  orders bigint,
  items bigint,
  bad_rows integer,
  -- scan (the one-pass scanner over the range) or exact (the validator over the whole file).
  method text,
  reason text,
  worker text,
  tries integer NOT NULL DEFAULT 0,
  queued_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz,
  payload bytea,
  PRIMARY KEY (token, path, range_index)
);
CREATE INDEX ingest_parts_dag_run ON ingest_parts (dag_run_id) WHERE dag_run_id IS NOT NULL;
-- Parts not yet committed or abandoned: what each run's discover looks at (abandonOlderParts), every 4 s.
CREATE INDEX ingest_parts_open ON ingest_parts (token) WHERE state IN ('queued', 'running', 'staged');
-- Retention: part records older than the run history's retention are deleted with it (sweeper.ts).
CREATE INDEX ingest_parts_queued_at ON ingest_parts (queued_at);

-- The token of the last run whose commit went through: a commit task retried after its transaction committed
-- (its worker died before recording success) sees it and does not commit twice.
ALTER TABLE ingest_state ADD COLUMN committed_token bigint NOT NULL DEFAULT 0;

-- The DAG run a lease works for: its tasks run on several workers, so no process holds it; once that run ended
-- (it failed between two tasks, leaving the lease behind) the next run takes the lease over at once.
ALTER TABLE run_locks ADD COLUMN dag_run_id bigint;
