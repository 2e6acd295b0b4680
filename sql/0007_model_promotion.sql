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
