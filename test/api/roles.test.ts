// Users, roles and the audit log end to end: users made with the CLI log in to the API; a viewer's mutating
// request is a 403 on every mutating route the OpenAPI document lists; an operator may run DAGs but not manage
// users; every attempt is in GET /api/audit. Plus the security settings: the metrics token, readyz details, Secure
// cookies behind a TLS proxy (TRUST_PROXY) and login while Redis is down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { API_TOKEN, startHarness, type Harness } from './harness.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
let h: Harness;
const admin = { authorization: `Bearer ${API_TOKEN}` };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(h.url + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text;
  return { status: res.status, body: json, headers: res.headers };
}

const cli = (...args: string[]) =>
  runCli(args, {
    DATA_DIR: h.config.dataDir,
    DATABASE_URL: h.config.databaseUrl ?? '',
    REDIS_URL: h.config.redisUrl,
    LOG_LEVEL: 'silent',
  });

async function addUser(name: string, role: string): Promise<string> {
  const res = await cli('users', 'add', name, '--role', role);
  assert.equal(res.code, 0, res.stderr);
  const password = /password (\S+) \(shown once\)/.exec(res.stdout)?.[1];
  assert.ok(password, res.stdout);
  return password;
}

async function login(name: string, password: string, headers: Record<string, string> = {}) {
  const res = await call('POST', '/api/login', { username: name, password }, headers);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return {
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0],
    setCookie: res.headers.get('set-cookie') ?? '',
  };
}

before(async () => {
  h = await startHarness({ env: { ORDERFLOW_METRICS_TOKEN: METRICS_TOKEN, TRUST_PROXY: 'true' } });
});
after(async () => {
  await h?.stop();
});

describe('roles › users, roles and audit', () => {
  let viewer: { cookie: string };
  let operator: { cookie: string };

  test('users made with the CLI log in with their role; `users list --json` equals GET /api/users', async () => {
    viewer = await login('vera', await addUser('vera', 'viewer'));
    operator = await login('otto', await addUser('otto', 'operator'));
    assert.deepEqual((await call('GET', '/api/session', undefined, viewer)).body, {
      user: 'vera',
      role: 'viewer',
    });
    const listed = await cli('users', 'list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), (await call('GET', '/api/users', undefined, admin)).body);
    assert.equal((await cli('users', 'add', 'x', '--role', 'king')).code, 2);
  });

  test('a viewer reads, and gets a 403 FORBIDDEN on every mutating route', async () => {
    assert.equal((await call('GET', '/api/dags', undefined, viewer)).status, 200);
    const doc = (await call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const open = new Set(['/api/login', '/api/logout', '/api/predictions/batch']);
    const mutating = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => !['get', 'head'].includes(m) && !open.has(path))
        .map(
          (m) =>
            [m.toUpperCase(), path.replace('{id}', 'ml_training_dag').replace('{name}', 'otto')] as const,
        ),
    );
    assert.ok(mutating.length >= 7, `only ${mutating.length} mutating routes`);
    for (const [method, path] of mutating) {
      const res = await call(method, path, method === 'DELETE' ? undefined : {}, viewer);
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'FORBIDDEN');
    }
  });

  test('an operator triggers and pauses, but may not manage users; a user token acts with its role', async () => {
    assert.equal((await call('POST', '/api/dags/ml_training_dag/trigger', {}, operator)).status, 202);
    const denied = await call(
      'POST',
      '/api/users',
      { username: 'z', role: 'admin', password: 'long enough' },
      operator,
    );
    assert.equal(denied.status, 403);
    const token = (await cli('users', 'token', 'otto')).stdout.trim();
    assert.match(token, /^of_/);
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await call('POST', '/api/dags/ml_training_dag/pause', {}, bearer)).status, 200);
    assert.equal((await call('GET', '/api/users', undefined, bearer)).status, 403);
  });

  test('the audit log has who, when, action, target and outcome of each attempt, CLI changes included', async () => {
    const triggered = await cli('dags', 'trigger', 'redis_cache_dag', '--param', 'force=true', '--json');
    assert.equal(triggered.code, 0, triggered.stderr);
    assert.equal((await cli('dags', 'pause', 'redis_cache_dag')).code, 0);
    const { entries } = (await call('GET', '/api/audit?limit=200', undefined, viewer)).body as {
      entries: { actor: string; via: string; action: string; target: string; outcome: string; at: string }[];
    };
    const has = (p: Partial<(typeof entries)[number]>) =>
      entries.some((e) => Object.entries(p).every(([k, v]) => e[k as keyof typeof e] === v));
    assert.ok(
      has({
        actor: 'vera',
        via: 'session',
        action: 'dags.trigger',
        target: 'ml_training_dag',
        outcome: 'denied',
      }),
    );
    assert.ok(has({ actor: 'otto', via: 'session', action: 'dags.trigger', outcome: 'ok' }));
    assert.ok(has({ actor: 'otto', via: 'token', action: 'dags.pause', outcome: 'ok' }));
    assert.ok(has({ actor: 'otto', action: 'users.add', outcome: 'denied' }));
    assert.ok(has({ via: 'cli', action: 'users.add', target: 'vera', outcome: 'ok' }));
    assert.ok(has({ via: 'cli', action: 'dags.trigger', target: 'redis_cache_dag', outcome: 'ok' }));
    assert.ok(has({ via: 'cli', action: 'dags.pause', target: 'redis_cache_dag', outcome: 'ok' }));
    const cliTrigger = entries.find((e) => e.via === 'cli' && e.action === 'dags.trigger') as unknown as {
      detail: { params: unknown };
    };
    assert.deepEqual(cliTrigger.detail.params, { force: true });
    assert.ok(has({ actor: 'vera', via: 'session', action: 'login', outcome: 'ok' }));
    assert.ok(entries.every((e) => !Number.isNaN(Date.parse(e.at))));
    const mine = await call('GET', '/api/audit?actor=otto&limit=5', undefined, admin);
    assert.ok(mine.body.entries.every((e: { actor: string }) => e.actor === 'otto'));
  });

  test('removing a user ends their sessions; the last admin cannot be removed', async () => {
    const removed = await cli('users', 'remove', 'vera');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await call('GET', '/api/dags', undefined, viewer)).status, 401);
    const last = await cli('users', 'remove', 'admin');
    assert.equal(last.code, 2);
    assert.match(last.stderr, /last admin/);
  });
});

describe('roles › security settings', () => {
  test('/metrics needs ORDERFLOW_METRICS_TOKEN (or a login) when it is set', async () => {
    assert.equal((await call('GET', '/metrics')).status, 401);
    assert.equal((await call('GET', '/metrics', undefined, { authorization: 'Bearer wrong' })).status, 401);
    const ok = await call('GET', '/metrics', undefined, { authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(ok.status, 200);
    assert.match(String(ok.body), /orderflow_/);
  });

  test('/readyz gives details only to a logged-in caller', async () => {
    assert.deepEqual((await call('GET', '/readyz')).body, { status: 'ready' });
    assert.equal((await call('GET', '/readyz', undefined, admin)).body.store.ok, true);
  });

  test('behind a TLS proxy (TRUST_PROXY, X-Forwarded-Proto: https) the session cookie is Secure', async () => {
    const password = await addUser('tess', 'viewer');
    assert.doesNotMatch((await login('tess', password)).setCookie, /Secure/);
    assert.match((await login('tess', password, { 'x-forwarded-proto': 'https' })).setCookie, /Secure/);
  });

  test('login keeps working while Redis is down (the rate limit counts in memory)', async () => {
    const password = await addUser('rita', 'viewer');
    await h.redis.stop();
    try {
      const res = await call('POST', '/api/login', { username: 'rita', password });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(
        (await call('POST', '/api/login', { username: 'rita', password: 'wrong-one' })).status,
        401,
      );
    } finally {
      await h.redis.restart();
    }
  });
});
