-- 0002_ledger: the durable ledger of incremental processing. PostgreSQL is the source of truth; the Redis
-- keys processed_days / last_processed_day are a compatible view rebuilt from here when lost.

-- One row per committed input file (path relative to DATA_DIR/incremental/raw), keyed by path; its
-- content hash decides whether a changed file must be re-read.
CREATE TABLE ingest_files (
  path text PRIMARY KEY,
  batch text NOT NULL,
  sha256 text NOT NULL,
  size_bytes bigint NOT NULL,
  mtime_ms double precision NOT NULL,
  orders bigint NOT NULL,
  items bigint NOT NULL,
  bad_rows integer NOT NULL,
  quarantine_path text,
  committed_at timestamptz NOT NULL DEFAULT now(),
  run_id bigint NOT NULL
);
CREATE INDEX ingest_files_batch ON ingest_files (batch);

-- The partial aggregate of each committed file; the incremental output is their sum.
CREATE TABLE ingest_partials (
  path text NOT NULL REFERENCES ingest_files (path) ON DELETE CASCADE,
  day_of_week smallint NOT NULL,
  hour_of_day smallint NOT NULL,
  category text NOT NULL,
  items_count bigint NOT NULL,
  PRIMARY KEY (path, day_of_week, hour_of_day, category)
);

-- Rows of committed files that were quarantined, with their line and reason.
CREATE TABLE ingest_bad_rows (
  path text NOT NULL REFERENCES ingest_files (path) ON DELETE CASCADE,
  line integer NOT NULL,
  reason text NOT NULL,
  raw text NOT NULL
);
CREATE INDEX ingest_bad_rows_path ON ingest_bad_rows (path);

-- Every run that committed something (no-op runs are not recorded).
CREATE TABLE ingest_runs (
  id bigserial PRIMARY KEY,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  files_added integer NOT NULL,
  files_replaced integer NOT NULL,
  files_removed integer NOT NULL,
  orders bigint NOT NULL,
  items bigint NOT NULL,
  bad_rows integer NOT NULL
);

-- A counter bumped by every ledger commit; the output records the generation it was built from, so a run
-- after a crash between commit and output write knows to rebuild the output.
CREATE TABLE ingest_state (
  id integer PRIMARY KEY CHECK (id = 1),
  generation bigint NOT NULL
);
INSERT INTO ingest_state (id, generation) VALUES (1, 0);

-- Leases for work that must run once at a time across processes and machines (the incremental run).
CREATE TABLE run_locks (
  name text PRIMARY KEY,
  owner text NOT NULL,
  host text NOT NULL,
  pid integer NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
