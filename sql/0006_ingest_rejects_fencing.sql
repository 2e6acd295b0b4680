-- 0006_ingest_rejects_fencing: files that are read but not counted, change detection that utime cannot fool,
-- and fencing tokens for the run lease.

-- ctime and inode change on every write, rename or utime, so together with size and mtime they say when a
-- file must be hashed again (an edit with its mtime restored is seen). NULL for files committed before.
ALTER TABLE ingest_files ADD COLUMN ctime_ms double precision;
ALTER TABLE ingest_files ADD COLUMN inode text;

-- Files the incremental stage read and did not count: 'rejected' (cannot be read as orders at all: the
-- reason says why) or 'duplicate' (the same content is committed under duplicate_of). Read again when
-- their content changes, when an operator asks (orderflow files retry), or — for a duplicate — when the
-- file it duplicates leaves the ledger.
CREATE TABLE ingest_skipped_files (
  path text PRIMARY KEY,
  batch text NOT NULL,
  status text NOT NULL CHECK (status IN ('rejected', 'duplicate')),
  reason text NOT NULL,
  duplicate_of text,
  sha256 text NOT NULL,
  size_bytes bigint NOT NULL,
  mtime_ms double precision NOT NULL,
  ctime_ms double precision NOT NULL,
  inode text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE ingest_runs ADD COLUMN files_rejected integer NOT NULL DEFAULT 0;
ALTER TABLE ingest_runs ADD COLUMN files_duplicate integer NOT NULL DEFAULT 0;

-- Every acquisition of a lease takes the next token; a commit checks, inside its transaction, that its
-- token still holds the lease, so a run that was paused past its lease commits nothing.
CREATE SEQUENCE run_lock_tokens;
ALTER TABLE run_locks ADD COLUMN token bigint NOT NULL DEFAULT 0;
