-- 0007_model_promotion: promotion that never regresses. A trained version records how it compared with the
-- champion on the challenger's own holdout (decision); every change of the current version, and every
-- challenger that lost, is one row of model_promotions, so `models rollback` can walk back the current versions
-- and the dashboard can show each promotion and rejection.
ALTER TABLE model_versions ADD COLUMN IF NOT EXISTS decision jsonb;

CREATE TABLE IF NOT EXISTS model_promotions (
  id bigserial PRIMARY KEY,
  -- The version this event is about: the one made current (promoted, manual, rollback) or the rejected one.
  version text NOT NULL,
  -- The current version before this event (null when there was none).
  previous_version text,
  action text NOT NULL CHECK (action IN ('promoted', 'rejected', 'manual', 'rollback')),
  -- Holdout RMSE of the challenger and of the champion re-scored on the same held-out data (null: no champion).
  challenger_rmse double precision,
  champion_rmse double precision,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS model_promotions_version_idx ON model_promotions (version);

-- Evaluation partials of each committed incremental file (processing/holdout-ledger.ts): orders per order bucket,
-- and per cell the items per bucket and the sum of squared per-order counts. Deleted with the file's row. A file
-- committed before this migration has none: the holdout of the output is then marked incomplete.
CREATE TABLE IF NOT EXISTS ingest_holdout_files (
  path text PRIMARY KEY REFERENCES ingest_files (path) ON DELETE CASCADE,
  bucket_orders bigint[] NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_holdout_partials (
  path text NOT NULL REFERENCES ingest_files (path) ON DELETE CASCADE,
  day_of_week smallint NOT NULL,
  hour_of_day smallint NOT NULL,
  category text NOT NULL,
  bucket_items bigint[] NOT NULL,
  -- double precision: one order's count may be up to 4,294,967,295, whose square overflows bigint.
  items_squared double precision NOT NULL,
  PRIMARY KEY (path, day_of_week, hour_of_day, category)
);

-- Accuracy on the data that arrives (ml/increment-accuracy.ts): each committed incremental file scored, right after
-- its commit, against the model that was serving then. Keyed by the file: a file is scored once.
CREATE TABLE IF NOT EXISTS increment_accuracy (
  path text PRIMARY KEY,
  model_version text NOT NULL,
  orders bigint NOT NULL,
  cells integer NOT NULL,
  rmse double precision NOT NULL,
  noise_floor double precision NOT NULL,
  scored_at timestamptz NOT NULL DEFAULT now()
);
