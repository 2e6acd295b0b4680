-- 0014_model_artifacts: each model version's artifact (gzip of its JSON) in the registry itself, so a worker or API
-- server on another machine, with its own DATA_DIR, can bring its models folder in line with the registry's
-- current version (ml/model-sync.ts) instead of training or serving an older model. NULL for versions
-- registered before this migration (their artifact exists only in the models folder that trained them).
ALTER TABLE model_versions ADD COLUMN artifact_gz bytea;
