// The HTTP API against a running server with real Redis and PostgreSQL: every endpoint, where auth is needed,
// and every bad-input case.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { ADMIN_PASSWORD, API_TOKEN, startHarness, type Harness } from './harness.js';

let h: Harness;
const auth = { authorization: `Bearer ${API_TOKEN}` };

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(h.url + path, { headers });
  const text = await res.text();
  const body = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: res.status, body, headers: res.headers };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(h.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function login(password = ADMIN_PASSWORD): Promise<string> {
  const res = await post('/api/login', { username: 'admin', password });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0];
}

before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

describe('api › health and metrics', () => {
  test('healthz answers while the process is up; readyz checks Redis and the store', async () => {
    assert.deepEqual((await get('/healthz')).body, { status: 'ok' });
    assert.deepEqual((await get('/readyz')).body, { status: 'ready' }, 'no details without a login');
    const ready = await get('/readyz', auth);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.redis.ok, true);
    assert.equal(ready.body.store.ok, true);
  });

  test('metrics are in Prometheus format with orderflow_ names for predictions, cache, DAGs and ingest', async () => {
    await get('/api/predictions/1/10/yogurt');
    const { status, body, headers } = await get('/metrics');
    assert.equal(status, 200);
    assert.match(headers.get('content-type') ?? '', /text\/plain/);
    for (const name of [
      'orderflow_prediction_latency_seconds_bucket{le="0.005",source="model"}',
      'orderflow_cache_hits_total',
      'orderflow_cache_misses_total 1',
      'orderflow_dag_runs',
      'orderflow_dag_run_duration_seconds',
      'orderflow_dag_last_success_age_seconds',
      'orderflow_rows_ingested{kind="accepted"}',
      'orderflow_process_cpu_seconds_total',
    ]) {
      assert.ok(String(body).includes(name), `missing ${name}`);
    }
  });
});

describe('api › predictions', () => {
  test('one cell answers with prediction, source and model version; the category is case-insensitive', async () => {
    // The first miss (in the metrics test) started a cache rewarm: answers come from Redis shortly after.
    const { status, body } = await waitFor(
      'the rewarmed cache to answer',
      async () => {
        const res = await get('/api/predictions/0/12/Fresh%20Fruits');
        return res.body.source === 'cache' && res;
      },
      5_000,
    );
    assert.equal(status, 200);
    assert.equal(body.category, 'fresh fruits');
    assert.equal(body.source, 'cache');
    assert.equal(body.model_version, 'v1');
    assert.ok(body.prediction > 0);
    assert.equal(body.day_of_week, 0);
    assert.equal(body.hour_of_day, 12);
  });

  for (const [path, field] of [
    ['/api/predictions/7/12/yogurt', 'day'],
    ['/api/predictions/-1/12/yogurt', 'day'],
    ['/api/predictions/abc/12/yogurt', 'day'],
    ['/api/predictions/1.5/12/yogurt', 'day'],
    ['/api/predictions/1/24/yogurt', 'hour'],
    ['/api/predictions/1/x/yogurt', 'hour'],
  ] as const) {
    test(`a bad ${field} (${path.split('/').slice(3, 5).join('/')}) is a 400 naming the field`, async () => {
      const { status, body } = await get(path);
      assert.equal(status, 400);
      assert.equal(body.error.code, 'BAD_INPUT');
      assert.equal(body.error.details.fields[0].field, `params.${field}`);
      assert.match(body.error.message, new RegExp(`params\\.${field} .*expected an integer from 0 to`));
    });
  }

  test('an unknown category is a 404 with the closest names', async () => {
    const { status, body } = await get('/api/predictions/1/10/fresh%20fruit');
    assert.equal(status, 404);
    assert.equal(body.error.code, 'NOT_FOUND');
    assert.equal(body.error.details.suggestions[0], 'fresh fruits');
  });

  test('a batch answers every cell and reports a failed cell without failing the others', async () => {
    const { status, body } = await post('/api/predictions/batch', {
      cells: [
        { day: 0, hour: 12, category: 'yogurt' },
        { day: 3, hour: 8, category: 'no such thing' },
      ],
    });
    assert.equal(status, 200);
    assert.equal(body.ok, 1);
    assert.equal(body.failed, 1);
    assert.equal(body.results[0].ok, true);
    assert.equal(body.results[0].category, 'yogurt');
    assert.equal(body.results[1].ok, false);
    assert.equal(body.results[1].error.code, 'NOT_FOUND');
    assert.ok(body.results[1].error.suggestions.length > 0);
  });

  for (const [name, payload] of [
    ['no cells', {}],
    ['an empty list', { cells: [] }],
    ['a bad day in a cell', { cells: [{ day: 8, hour: 1, category: 'yogurt' }] }],
    ['a missing category', { cells: [{ day: 1, hour: 1 }] }],
    ['an unknown field', { cells: [{ day: 1, hour: 1, category: 'yogurt', x: 1 }] }],
    [
      'too many cells',
      { cells: Array.from({ length: 1001 }, () => ({ day: 1, hour: 1, category: 'yogurt' })) },
    ],
    ['malformed JSON', '{"cells": ['],
  ] as const) {
    test(`a batch with ${name} is a 400`, async () => {
      const { status, body } = await post('/api/predictions/batch', payload);
      assert.equal(status, 400);
      assert.equal(body.error.code, name === 'malformed JSON' ? 'MALFORMED_JSON' : 'BAD_INPUT');
      assert.ok(typeof body.error.message === 'string' && body.error.message.length > 0);
    });
  }

  test('categories for the autocomplete come from the current model', async () => {
    const { body } = await get('/api/categories');
    assert.deepEqual([...body.categories].sort(), [
      'fresh fruits',
      'fresh vegetables',
      'packaged cheese',
      'yogurt',
    ]);
  });
});

describe('api › auth', () => {
  for (const [method, path] of [
    ['GET', '/api/dags'],
    ['GET', '/api/dags/ml_training_dag/runs'],
    ['GET', '/api/runs/1'],
    ['POST', '/api/dags/ml_training_dag/pause'],
    ['POST', '/api/dags/ml_training_dag/unpause'],
    ['POST', '/api/dags/ml_training_dag/trigger'],
    ['GET', '/api/aggregates'],
    ['GET', '/api/ingest'],
    ['GET', '/api/models'],
    ['GET', '/api/cache/stats'],
  ] as const) {
    test(`${method} ${path} needs a session or the API token`, async () => {
      const res = method === 'GET' ? await get(path) : await post(path, {});
      assert.equal(res.status, 401);
      const wrong =
        method === 'GET'
          ? await get(path, { authorization: 'Bearer nope' })
          : await post(path, {}, { authorization: 'Bearer nope' });
      assert.equal(wrong.status, 401);
    });
  }

  test('a wrong password is refused; the right one sets an HttpOnly SameSite=Strict session cookie', async () => {
    const wrong = await post('/api/login', { username: 'admin', password: 'admin' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const ok = await post('/api/login', { username: 'admin', password: ADMIN_PASSWORD });
    assert.equal(ok.status, 200);
    const cookie = ok.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^orderflow_session=[\w-]{40,};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const session = await get('/api/session', { cookie: cookie.split(';')[0] });
    assert.deepEqual(session.body, { user: 'admin', role: 'admin' });
  });

  test('login input is validated', async () => {
    assert.equal((await post('/api/login', {})).status, 400);
    assert.equal((await post('/api/login', { password: 'x'.repeat(300) })).status, 400);
  });

  test('a session drives mutating endpoints; logging out ends it', async () => {
    const cookie = await login();
    const paused = await post('/api/dags/redis_cache_dag/pause', {}, { cookie });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.dag.paused, true);
    await post('/api/logout', {}, { cookie });
    assert.equal((await post('/api/dags/redis_cache_dag/unpause', {}, { cookie })).status, 401);
  });

  test('a cookie-authenticated POST from another origin is refused', async () => {
    const cookie = await login();
    const res = await post(
      '/api/dags/redis_cache_dag/unpause',
      {},
      { cookie, origin: 'http://evil.example' },
    );
    assert.equal(res.status, 403);
  });
});

describe('api › DAGs', () => {
  test('lists the three DAGs with schedule, paused flag and next run', async () => {
    const { status, body } = await get('/api/dags', auth);
    assert.equal(status, 200);
    assert.deepEqual(
      body.dags.map((d: { id: string }) => d.id),
      ['incremental_processing_dag', 'ml_training_dag', 'redis_cache_dag'],
    );
    assert.ok(
      body.dags.every((d: { scheduleText: string; nextRunAt: string }) => d.scheduleText && d.nextRunAt),
    );
  });

  test('a triggered run appears in the history and its detail has tasks with logs', async () => {
    const trig = await post('/api/dags/ml_training_dag/trigger', {}, auth);
    assert.equal(trig.status, 202);
    const runs = await get('/api/dags/ml_training_dag/runs?limit=5', auth);
    assert.equal(runs.body.runs[0].id, trig.body.runId);
    assert.equal(typeof trig.body.runId, 'number');
    const run = await waitFor('the triggered run to end', async () => {
      const res = await get(`/api/runs/${trig.body.runId}`, auth);
      return res.status !== 200 || !['queued', 'running'].includes(res.body.state) ? res : undefined;
    });
    assert.equal(run.status, 200);
    assert.equal(run.body.state, 'success');
    assert.ok(run.body.tasks.every((t: { logs: unknown[] }) => t.logs.length > 0));
  });

  test('pause and unpause are reflected in the list', async () => {
    await post('/api/dags/incremental_processing_dag/pause', {}, auth);
    let dags = (await get('/api/dags', auth)).body.dags;
    assert.equal(dags.find((d: { id: string }) => d.id === 'incremental_processing_dag').paused, true);
    await post('/api/dags/incremental_processing_dag/unpause', {}, auth);
    dags = (await get('/api/dags', auth)).body.dags;
    assert.equal(dags.find((d: { id: string }) => d.id === 'incremental_processing_dag').paused, false);
  });

  test('an unknown DAG is a 404 listing the known ones; a malformed id or limit is a 400', async () => {
    const unknown = await post('/api/dags/nope/trigger', {}, auth);
    assert.equal(unknown.status, 404);
    assert.ok(unknown.body.error.details.suggestions.includes('ml_training_dag'));
    assert.equal((await get('/api/dags/nope/runs', auth)).status, 404);
    assert.equal((await get('/api/dags/a%20b/runs', auth)).status, 400);
    assert.equal((await get('/api/dags/ml_training_dag/runs?limit=0', auth)).status, 400);
    assert.equal((await get('/api/dags/ml_training_dag/runs?limit=abc', auth)).status, 400);
    assert.equal((await get('/api/runs/999999', auth)).status, 404);
    assert.equal((await get('/api/runs/a%20b', auth)).status, 400);
  });
});

describe('api › data, models and cache', () => {
  test('aggregates give a 7 × 24 heatmap and top categories, with filters', async () => {
    const all = await get('/api/aggregates', auth);
    assert.equal(all.status, 200);
    assert.equal(all.body.heatmap.length, 7);
    assert.equal(all.body.heatmap[0].length, 24);
    assert.equal(all.body.topCategories[0].category, 'fresh fruits');
    const sum = all.body.heatmap.flat().reduce((a: number, b: number) => a + b, 0);
    assert.equal(sum, all.body.totalItems);
    const day0 = await get('/api/aggregates?day=0&hour=12&category=YOGURT&limit=10', auth);
    assert.equal(day0.body.rows.length, 1);
    assert.equal(day0.body.rows[0].category, 'yogurt');
    assert.equal(day0.body.heatmap[1][12], 0);
  });

  for (const query of ['day=9', 'hour=-1', 'top=0', 'limit=x', 'bogus=1']) {
    test(`aggregates with ${query} is a 400`, async () => {
      assert.equal((await get(`/api/aggregates?${query}`, auth)).status, 400);
    });
  }

  test('the ingest ledger answers with batches, files, pending and quarantined totals', async () => {
    const { status, body } = await get('/api/ingest', auth);
    assert.equal(status, 200);
    for (const key of ['processedDays', 'batches', 'files', 'pendingFiles', 'totals'])
      assert.ok(key in body, key);
  });

  test("the stage's old route name /api/ingestion… is sent on to /api/ingest… with method and body kept", async () => {
    const old = await fetch(h.url + '/api/ingestion/files/retry', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ path: '1/none.csv' }),
      redirect: 'manual',
    });
    assert.equal(old.status, 308);
    assert.equal(old.headers.get('location'), '/api/ingest/files/retry');
    const followed = await fetch(h.url + '/api/ingestion', { headers: auth });
    assert.equal(followed.status, 200);
    assert.ok('batches' in ((await followed.json()) as object));
  });

  test('models list every version with every candidate and name the current one', async () => {
    const { status, body } = await get('/api/models', auth);
    assert.equal(status, 200);
    assert.equal(body.current, 'v1');
    assert.equal(body.versions[0].current, true);
    assert.ok(body.versions[0].candidates.length >= 3);
    assert.ok(body.versions[0].candidates.every((c: { holdout: { rmse: number } }) => c.holdout.rmse >= 0));
  });

  test('cache stats answer', async () => {
    const { status, body } = await get('/api/cache/stats', auth);
    assert.equal(status, 200);
    assert.equal(body.cachedVersion, 'v1');
    assert.equal(body.currentVersion, 'v1');
    assert.equal(body.cachedPredictions, 7 * 24 * 4);
    assert.ok(body.hits >= 1 && body.hitRate > 0);
    assert.ok(body.lookupLatency.p99Ms > 0);
    assert.ok(body.served.cacheP50Ms > 0);
  });

  test('`cache stats --json` and GET /api/cache/stats speak one vocabulary', async () => {
    const cli = await runCli(['cache', 'stats', '--json'], {
      DATA_DIR: h.config.dataDir,
      REDIS_URL: h.config.redisUrl,
      LOG_LEVEL: 'silent',
    });
    assert.equal(cli.code, 0, cli.stderr);
    const fromCli = JSON.parse(cli.stdout) as Record<string, unknown>;
    const { served: _served, ...fromApi } = (await get('/api/cache/stats', auth)).body as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(fromCli).sort(), Object.keys(fromApi).sort());
    for (const key of ['cachedPredictions', 'cachedVersion', 'currentVersion', 'upToDate', 'lastRefreshAt'])
      assert.deepEqual(fromCli[key], fromApi[key], key);
  });

  test('`status --json` and GET /api/ingest speak one vocabulary (pending, rejected and committed files)', async () => {
    const batch = path.join(h.config.paths.incrementalRawDir, '8');
    await mkdir(batch, { recursive: true });
    await writeFile(path.join(batch, 'bad.csv'), 'foo,bar\n1,2\n');
    const env = {
      DATA_DIR: h.config.dataDir,
      REDIS_URL: h.config.redisUrl,
      DATABASE_URL: h.config.databaseUrl ?? '',
      LOG_LEVEL: 'silent',
    };
    const pending = JSON.parse((await runCli(['status', '--json'], env)).stdout) as Record<string, unknown>;
    assert.deepEqual(pending.pendingFiles, (await get('/api/ingest', auth)).body.pendingFiles);
    assert.deepEqual(pending.pendingFiles, [
      { path: '8/bad.csv', batch: '8', reason: 'new: the next incremental run reads it' },
    ]);
    assert.equal((await runCli(['incremental'], env)).code, 0);
    const cli = JSON.parse((await runCli(['status', '--json'], env)).stdout) as Record<string, unknown>;
    const api = (await get('/api/ingest', auth)).body as Record<string, unknown> & {
      batches: { batch: string }[];
      totals: { files: number };
    };
    assert.deepEqual(cli.skippedFiles, api.skippedFiles);
    assert.equal((cli.skippedFiles as { path: string }[])[0].path, '8/bad.csv');
    assert.deepEqual(cli.pendingFiles, api.pendingFiles);
    assert.deepEqual(
      cli.committedBatches,
      api.batches.map((b) => b.batch),
    );
    assert.equal(cli.committedFiles, api.totals.files);
    await rm(batch, { recursive: true });
  });

  test('`models list --json` and GET /api/models speak one vocabulary', async () => {
    const cli = await runCli(['models', 'list', '--json'], {
      DATA_DIR: h.config.dataDir,
      DATABASE_URL: h.config.databaseUrl ?? '',
      LOG_LEVEL: 'silent',
    });
    assert.equal(cli.code, 0, cli.stderr);
    const fromApi = (await get('/api/models', auth)).body as { versions: unknown[] };
    assert.ok(fromApi.versions.length >= 1);
    assert.deepEqual(JSON.parse(cli.stdout), fromApi.versions);
  });

  test('the dashboard and chart.js are served with security headers', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(String(page.body), /<title>orderflow/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const chart = await get('/vendor/chart.umd.js');
    assert.equal(chart.status, 200);
    assert.match(chart.headers.get('content-type') ?? '', /javascript/);
  });

  test('an unknown route is a JSON 404', async () => {
    const { status, body } = await get('/api/nope');
    assert.equal(status, 404);
    assert.equal(body.error.code, 'NOT_FOUND');
  });
});
