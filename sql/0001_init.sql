-- 0001_init: small shared key/value settings used by several stages (admin password hash, last refresh, …).
-- schema_migrations itself is created by the migrator (src/store/migrate.ts), not here.
CREATE TABLE IF NOT EXISTS settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
