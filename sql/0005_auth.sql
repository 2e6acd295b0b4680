-- 0005_auth: dashboard/API login. The admin password is stored only as a scrypt hash (salt and parameters in the
-- value: scrypt$N$r$p$salt$hash, base64). Sessions are keyed by the sha256 of the cookie token, so a leaked
-- database row does not grant a session; every API process reads the same table, so sessions are shared.
CREATE TABLE IF NOT EXISTS auth_users (
  username text PRIMARY KEY,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS auth_sessions (
  token_hash text PRIMARY KEY,
  username text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS auth_sessions_expires_idx ON auth_sessions (expires_at);
