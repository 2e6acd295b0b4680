// The one owner of the auth tables (sql/0005_auth.sql, 0008): users and their passwords, login sessions and API
// tokens — checked by the API on every request, managed by `orderflow users …` and the admin-only /api/users routes
// alike. No default credentials: the admin password comes from ORDERFLOW_ADMIN_PASSWORD, or is generated on the
// first start, stored hashed and shown once.
import { createHash, randomBytes } from 'node:crypto';
import { InputError, NotFoundError } from '../base/errors.js';
import type { Db } from '../store/db.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';
import { isRole, ROLES, type Identity, type Role } from './roles.js';

export const ADMIN_USER = 'admin';

const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

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

// Managing users and their API tokens.

export interface UserView {
  username: string;
  role: Role;
  createdAt: string;
  tokens: number;
}

const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;

function checkUsername(username: string): void {
  if (!USERNAME.test(username))
    throw new InputError(`user name ${JSON.stringify(username)}: use 1–64 letters, digits, _ . @ -`);
}

export function parseRole(value: string): Role {
  if (!isRole(value)) throw new InputError(`role ${JSON.stringify(value)}: one of ${ROLES.join(', ')}`);
  return value;
}

function checkPassword(password: string): void {
  if (password.length < 8 || password.length > 256)
    throw new InputError('a password needs 8 to 256 characters');
}

export async function listUsers(db: Db): Promise<UserView[]> {
  const rows = await db.query<{ username: string; role: Role; created_at: Date; tokens: number }>(
    `SELECT u.username, u.role, u.created_at, count(t.token_hash)::int AS tokens
     FROM auth_users u LEFT JOIN auth_tokens t ON t.username = u.username
     GROUP BY u.username ORDER BY u.username`,
  );
  return rows.map((r) => ({
    username: r.username,
    role: r.role,
    createdAt: new Date(r.created_at).toISOString(),
    tokens: Number(r.tokens),
  }));
}

/** Adds a user, or changes the role (and password) of an existing one. */
export async function addUser(db: Db, username: string, role: Role, password: string): Promise<UserView> {
  checkUsername(username);
  checkPassword(password);
  if (role !== 'admin') await keepOneAdmin(db, username);
  await db.query(
    `INSERT INTO auth_users (username, password_hash, role) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role`,
    [username, await hashPassword(password), role],
  );
  return (await listUsers(db)).find((u) => u.username === username)!;
}

async function requireUser(db: Db, username: string): Promise<void> {
  const rows = await db.query('SELECT 1 FROM auth_users WHERE username = $1', [username]);
  if (rows.length === 0) {
    const known = (await listUsers(db)).map((u) => u.username);
    throw new NotFoundError(`no user ${JSON.stringify(username)}; users: ${known.join(', ')}`, known);
  }
}

/** Refuses to take the admin role from the last admin: nobody could manage users any more. */
async function keepOneAdmin(db: Db, username: string): Promise<void> {
  const admins = await db.query<{ username: string }>(`SELECT username FROM auth_users WHERE role = 'admin'`);
  if (admins.length === 1 && admins[0].username === username)
    throw new InputError(`${username} is the last admin: add another admin first`);
}

/** Removes a user with their sessions and tokens. The last admin cannot be removed. */
export async function removeUser(db: Db, username: string): Promise<void> {
  await requireUser(db, username);
  await keepOneAdmin(db, username);
  await db.query('DELETE FROM auth_sessions WHERE username = $1', [username]);
  await db.query('DELETE FROM auth_users WHERE username = $1', [username]);
}

/** A new password; every open session of the user ends. */
export async function setPassword(db: Db, username: string, password: string): Promise<void> {
  await requireUser(db, username);
  checkPassword(password);
  await db.query('UPDATE auth_users SET password_hash = $2 WHERE username = $1', [
    username,
    await hashPassword(password),
  ]);
  await db.query('DELETE FROM auth_sessions WHERE username = $1', [username]);
}

/** A new API token for a user (shown once; only its hash is stored). It acts with the user's role. */
export async function createToken(db: Db, username: string, name: string): Promise<string> {
  await requireUser(db, username);
  const token = `of_${randomBytes(24).toString('base64url')}`;
  await db.query('INSERT INTO auth_tokens (token_hash, username, name) VALUES ($1, $2, $3)', [
    tokenHash(token),
    username,
    name,
  ]);
  return token;
}

/** The functions above as the API's UserDirectory port. */
export class DbUserDirectory {
  constructor(private readonly db: Db) {}
  list = (): Promise<UserView[]> => listUsers(this.db);
  add = (username: string, role: Role, password: string): Promise<UserView> =>
    addUser(this.db, username, role, password);
  remove = (username: string): Promise<void> => removeUser(this.db, username);
  setPassword = (username: string, password: string): Promise<void> =>
    setPassword(this.db, username, password);
  createToken = (username: string, name: string): Promise<string> => createToken(this.db, username, name);
}
