// `orderflow admin reset-password`: a lost dashboard password is replaced by a new one, printed once; the old one
// stops working.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DbAuthStore, ensureAdmin } from '../../src/auth/auth-store.js';
import { loadConfig } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

let database: TestDatabase;
let db: Db;
before(async () => {
  database = await createTestDatabase();
  db = await openStore(loadConfig({ DATABASE_URL: database.url }), createLogger('silent'));
});
after(async () => {
  await db.close();
  await database.drop();
});

test('admin › reset-password prints a new password that logs in; the old one no longer does', async () => {
  const first = (await ensureAdmin(db, undefined)).generatedPassword!;
  const auth = new DbAuthStore(db);
  assert.ok(await auth.verifyPassword('admin', first));

  const r = await runCli(['admin', 'reset-password'], { DATABASE_URL: database.url });
  assert.equal(r.code, 0, r.stderr);
  const match = /new password for "admin" \(shown once, stored hashed\): (\S+)/.exec(r.stdout);
  assert.ok(match, r.stdout);
  assert.ok(await auth.verifyPassword('admin', match[1]));
  assert.equal(await auth.verifyPassword('admin', first), undefined);
});
