// Credentials, login sessions and API tokens in the metadata store (sql/0005_auth.sql, 0008). No default credentials: the
// password comes from ORDERFLOW_ADMIN_PASSWORD, or is generated on the first start, stored hashed and shown once.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/db.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';
import { isRole, type Identity } from './roles.js';

export const ADMIN_USER = 'admin';

export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

function identity(row: { username: string; role: string } | undefined): Identity | undefined {
  return row && isRole(row.role) ? { username: row.username, role: row.role } : undefined;
}

export interface AdminSetup {
  /** The generated password when this call created the admin account (print it once), else undefined. */
  generatedPassword: string | undefined;
}

/**
 * Makes sure the admin account exists. With `configuredPassword` (ORDERFLOW_ADMIN_PASSWORD) its hash is stored,
 * replacing any earlier one, so the environment always wins. Without it an existing account is kept; otherwise a
 * password is generated. INSERT … ON CONFLICT DO NOTHING makes concurrent first starts agree on one password:
 * only the process whose insert won reports it.
 */
export async function ensureAdmin(db: Db, configuredPassword: string | undefined): Promise<AdminSetup> {
  if (configuredPassword !== undefined) {
    await db.query(
      `INSERT INTO auth_users (username, password_hash) VALUES ($1, $2)
       ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash`,
      [ADMIN_USER, await hashPassword(configuredPassword)],
    );
    return { generatedPassword: undefined };
  }
  // Any admin will do: one that was removed on purpose is not brought back while another admin exists.
  const existing = await db.query(`SELECT 1 FROM auth_users WHERE role = 'admin' LIMIT 1`);
  if (existing.length > 0) return { generatedPassword: undefined };
  const password = generatePassword();
  const inserted = await db.query(
    `INSERT INTO auth_users (username, password_hash) VALUES ($1, $2)
     ON CONFLICT (username) DO NOTHING RETURNING username`,
    [ADMIN_USER, await hashPassword(password)],
  );
  return { generatedPassword: inserted.length > 0 ? password : undefined };
}

/** What the HTTP auth needs of the user store (DbAuthStore implements it on the metadata store). */
export interface AuthStore {
  /** The user when the password is theirs, else undefined. */
  verifyPassword(username: string, password: string): Promise<Identity | undefined>;
  createSession(username: string, ttlMs: number): Promise<string>;
  /** The user of a live session (with their current role), or undefined. */
  sessionUser(token: string): Promise<Identity | undefined>;
  /** The user of an API token (with their current role), or undefined. */
  tokenUser(token: string): Promise<Identity | undefined>;
  deleteSession(token: string): Promise<void>;
}

export class DbAuthStore implements AuthStore {
  constructor(private readonly db: Db) {}

  async verifyPassword(username: string, password: string): Promise<Identity | undefined> {
    const rows = await this.db.query<{ username: string; role: string; password_hash: string }>(
      'SELECT username, role, password_hash FROM auth_users WHERE username = $1',
      [username],
    );
    // Hash even for an unknown user, so the answer time does not tell which usernames exist.
    const encoded = rows[0]?.password_hash ?? (await dummyHash());
    const ok = await verifyPassword(password, encoded);
    return ok ? identity(rows[0]) : undefined;
  }

  async createSession(username: string, ttlMs: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.db.query(
      `INSERT INTO auth_sessions (token_hash, username, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3::double precision))`,
      [tokenHash(token), username, ttlMs / 1000],
    );
    // Expired sessions are swept on login, which is rare and already slow (scrypt).
    await this.db.query('DELETE FROM auth_sessions WHERE expires_at < now()');
    return token;
  }

  /** The user of a live session, with the role the user has now (a demotion applies to open sessions). */
  async sessionUser(token: string): Promise<Identity | undefined> {
    const rows = await this.db.query<{ username: string; role: string }>(
      `SELECT u.username, u.role FROM auth_sessions s JOIN auth_users u ON u.username = s.username
       WHERE s.token_hash = $1 AND s.expires_at > now()`,
      [tokenHash(token)],
    );
    return identity(rows[0]);
  }

  /** The user of an API token (see users.ts createToken), with the user's current role. */
  async tokenUser(token: string): Promise<Identity | undefined> {
    const rows = await this.db.query<{ username: string; role: string }>(
      `UPDATE auth_tokens t SET last_used_at = now() FROM auth_users u
       WHERE t.token_hash = $1 AND u.username = t.username RETURNING u.username, u.role`,
      [tokenHash(token)],
    );
    return identity(rows[0]);
  }

  async deleteSession(token: string): Promise<void> {
    await this.db.query('DELETE FROM auth_sessions WHERE token_hash = $1', [tokenHash(token)]);
  }
}

let dummy: Promise<string> | undefined;
const dummyHash = (): Promise<string> => (dummy ??= hashPassword(generatePassword()));
