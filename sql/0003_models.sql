-- 0003_models: the model registry. One row per training that produced a model version; the artifact itself is
-- JSON under DATA_DIR/models/<version>.json and the current version is named by DATA_DIR/models/current.json.
CREATE TABLE IF NOT EXISTS model_versions (
  seq integer PRIMARY KEY,
  version text NOT NULL UNIQUE,
  algorithm text NOT NULL,
  hyperparameters jsonb NOT NULL,
  -- Holdout (and cross-validation) metrics of the chosen model.
  metrics jsonb NOT NULL,
  -- Every candidate evaluated in this training: algorithm, hyperparameters, metrics, training time.
  candidates jsonb NOT NULL,
  -- How the candidates were evaluated: split method, folds, seed, train/test row counts.
  evaluation jsonb NOT NULL,
  fingerprint text NOT NULL,
  training_mode text NOT NULL CHECK (training_mode IN ('grid', 'nonzero')),
  training_rows integer NOT NULL,
  category_count integer NOT NULL,
  input_path text,
  artifact_path text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS model_versions_fingerprint_idx ON model_versions (fingerprint);
