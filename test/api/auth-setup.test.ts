// First start without ORDERFLOW_ADMIN_PASSWORD, protected prediction reads and login rate limiting.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_TOKEN, startHarness, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  h = await startHarness({
    env: { ORDERFLOW_ADMIN_PASSWORD: '', ORDERFLOW_PUBLIC_PREDICTIONS: 'false' },
    train: false,
    app: { loginRateLimit: { max: 4, windowMs: 60_000 } },
  });
});
after(async () => {
  await h?.stop();
});

const login = (password: string) =>
  fetch(`${h.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });

test('auth › without ORDERFLOW_ADMIN_PASSWORD a password is generated, stored hashed and shown once', async () => {
  assert.equal(h.announced.length, 1);
  const password = /: (\S+)$/.exec(h.announced[0])?.[1] ?? '';
  assert.ok(password.length >= 20);
  const { rows } = await import('pg').then(async ({ default: pg }) => {
    const client = new pg.Client({ connectionString: h.config.databaseUrl });
    await client.connect();
    try {
      return await client.query<{ password_hash: string }>('SELECT password_hash FROM auth_users');
    } finally {
      await client.end();
    }
  });
  assert.equal(rows.length, 1);
  assert.match(rows[0].password_hash, /^scrypt\$/);
  assert.ok(!rows[0].password_hash.includes(password));
  assert.equal((await login('admin')).status, 401);
  assert.equal((await login(password)).status, 200);
});

test('auth › with ORDERFLOW_PUBLIC_PREDICTIONS=false prediction reads need a token or session', async () => {
  assert.equal((await fetch(`${h.url}/api/predictions/1/2/yogurt`)).status, 401);
  assert.equal((await fetch(`${h.url}/api/categories`)).status, 401);
  const withToken = await fetch(`${h.url}/api/predictions/1/2/yogurt`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  // No model is trained in this harness: the API says so instead of failing.
  assert.equal(withToken.status, 503);
  assert.equal(((await withToken.json()) as { error: { code: string } }).error.code, 'NO_MODEL');
});

test('auth › login attempts are rate-limited per client', async () => {
  let limited = 0;
  for (let i = 0; i < 6; i++) if ((await login('wrong password')).status === 429) limited++;
  assert.ok(limited >= 2, `expected 429s, got ${limited}`);
});
