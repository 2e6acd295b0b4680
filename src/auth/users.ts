// Managing users and their API tokens (sql/0005_auth.sql, 0008): the one module that writes auth_users and
// auth_tokens, used by `orderflow users …` and by the admin-only /api/users routes alike.
import { randomBytes } from 'node:crypto';
import { InputError, NotFoundError } from '../base/errors.js';
import type { Db } from '../store/db.js';
import { tokenHash } from './auth-store.js';
import { hashPassword } from './password.js';
import { isRole, ROLES, type Role } from './roles.js';

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
