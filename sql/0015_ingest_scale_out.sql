-- 0015_ingest_scale_out: the incremental stage scales with machines (design notes §5).
--
-- * A committed file's partial is the packed totals its parts staged (ingest_parts.payload, kept after the commit
--   for as long as the file is committed): the commit no longer decodes, re-encodes or upserts any cell.
-- * The output's totals are a packed snapshot (ingest_totals_snapshot) plus a queue of committed changes that a
--   fold merges in (ingest_fold_queue): a commit only appends, and whoever needs the output folds.
-- * Runs claim the paths they work on (ingest_claims) instead of one global lease, so runs over different files
--   commit at once; content counted once is enforced by ingest_contents' primary key, inside each commit.
-- * Each part hashes the bytes it reads (ingest_parts.chunk_hashes): a file's content hash is the SHA-256 of its
--   4 MiB line-aligned chunks' SHA-256s (processing/content-hash.ts), so discover plans without reading.
--
-- Files committed before this migration have neither packed totals nor the new content hash: the ledger forgets
-- them, and the next run reads every file still present once more (the output equals a full aggregation of the
-- files present, as after any run). Their rejected/duplicate verdicts go too, and are decided again.
DROP TABLE IF EXISTS ingest_holdout_partials;
DROP TABLE IF EXISTS ingest_holdout_files;
DROP TABLE IF EXISTS ingest_holdout_totals;
DROP TABLE IF EXISTS ingest_holdout_state;
DROP TABLE IF EXISTS ingest_partials;
DROP TABLE IF EXISTS ingest_totals;
-- The output changes (it is rebuilt once the files are read again) only where something was committed.
UPDATE ingest_state SET generation = generation + 1 WHERE EXISTS (SELECT 1 FROM ingest_files);
DELETE FROM ingest_bad_rows;
DELETE FROM ingest_files;
DELETE FROM ingest_skipped_files;
ALTER TABLE ingest_files DROP COLUMN IF EXISTS partial_packed;
-- The run (fencing token) whose committed parts hold this file's partial.
ALTER TABLE ingest_files ADD COLUMN token bigint NOT NULL DEFAULT 0;

-- The SHA-256 of each 4 MiB chunk the part read, 32 bytes each, in file order.
ALTER TABLE ingest_parts ADD COLUMN chunk_hashes bytea;
-- The first chunk of the part (its index among the file's chunks).
ALTER TABLE ingest_parts ADD COLUMN first_chunk integer;
-- Payloads of committed parts are kept (they are the files' partials); this index finds a file's parts.
CREATE INDEX ingest_parts_path ON ingest_parts (path, token);

-- Content counted once: one row per content hash of a committed file (unless duplicates are allowed, when
-- ORDERFLOW_ALLOW_DUPLICATE_FILES counts every copy and no row is written). Two commits racing on the same content
-- meet on this primary key: the second waits for the first and records its file as a duplicate.
CREATE TABLE ingest_contents (
  sha256 text PRIMARY KEY,
  path text NOT NULL
);

-- The paths each active run works on: a run plans only paths it claimed, so two runs never read or commit the
-- same path. A claim is released by its run's commit, or taken over once its run's lease (run_locks, by token) is
-- gone: expired, its process dead, or its DAG run ended.
CREATE TABLE ingest_claims (
  path text PRIMARY KEY,
  token bigint NOT NULL
);
CREATE INDEX ingest_claims_token ON ingest_claims (token);

-- Runs whose commit transaction went through: a commit task retried after it (its worker died before recording
-- success) sees its token and commits nothing twice. Replaces ingest_state.committed_token (one run at a time).
CREATE TABLE ingest_commits (
  token bigint PRIMARY KEY,
  generation bigint NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now()
);

-- Changes to the output's totals not folded into the snapshot yet: +1 for a file committed (its parts' payloads
-- under `token`), -1 for a file that left. `generation` is the commit's: commits bump ingest_state under its row
-- lock, so generations follow commit order and a fold up to generation G sees every change up to G.
CREATE TABLE ingest_fold_queue (
  seq bigserial PRIMARY KEY,
  generation bigint NOT NULL,
  path text NOT NULL,
  token bigint NOT NULL,
  sign smallint NOT NULL CHECK (sign IN (-1, 1))
);

-- The output's totals folded up to `generation`: the packed totals (processing/packed-totals.ts) of every file
-- committed by then. Empty (NULL) before the first fold.
CREATE TABLE ingest_totals_snapshot (
  id integer PRIMARY KEY CHECK (id = 1),
  generation bigint NOT NULL,
  payload bytea
);
INSERT INTO ingest_totals_snapshot (id, generation, payload) VALUES (1, 0, NULL);
