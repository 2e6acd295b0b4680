// The documented API: /openapi.json describes every route, /docs serves Swagger UI, every route's real answer
// matches the schema the document gives for its status, and every 4xx/5xx (schema, malformed JSON, 413, 415, unknown
// route, wrong method) has the one error envelope.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { API_TOKEN, startHarness, type Harness } from './harness.js';

let h: Harness;
const auth = { authorization: `Bearer ${API_TOKEN}` };

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(h.url + path, {
    method,
    headers:
      body === undefined
        ? { ...auth, ...headers }
        : { 'content-type': 'application/json', ...auth, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text;
  return { status: res.status, body: json, headers: res.headers } satisfies Answer;
}

function assertEnvelope(res: Answer, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const body = res.body as { error: { code: string; message: string; details: object } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0);
  assert.equal(typeof body.error.details, 'object');
}

before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.stop();
});

describe('api › error envelope', () => {
  test('a schema error, malformed JSON, an empty JSON body and a wrong content type each have their code', async () => {
    assertEnvelope(await call('GET', '/api/predictions/9/1/yogurt'), 400, 'BAD_INPUT');
    assertEnvelope(await call('POST', '/api/predictions/batch', '{"cells": ['), 400, 'MALFORMED_JSON');
    assertEnvelope(
      await call('POST', '/api/predictions/batch', '', { 'content-type': 'application/json' }),
      400,
      'MALFORMED_JSON',
    );
    assertEnvelope(
      await call('POST', '/api/predictions/batch', 'cells', { 'content-type': 'application/xml' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  test('a body over the limit is a 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ cells: [], pad: 'x'.repeat(1_100_000) });
    assertEnvelope(await call('POST', '/api/predictions/batch', big), 413, 'PAYLOAD_TOO_LARGE');
  });

  test('an unknown route is a 404; a known path with a wrong method is a 405 with Allow', async () => {
    assertEnvelope(await call('GET', '/api/nope'), 404, 'NOT_FOUND');
    assertEnvelope(await call('POST', '/api/nope', {}), 404, 'NOT_FOUND');
    const wrong = await call('DELETE', '/api/dags');
    assertEnvelope(wrong, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
    const trigger = await call('GET', '/api/dags/ml_training_dag/trigger');
    assertEnvelope(trigger, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(trigger.headers.get('allow'), 'POST');
  });

  test('401 and 403 use the envelope too', async () => {
    assertEnvelope(
      await call('GET', '/api/dags', undefined, { authorization: 'Bearer nope' }),
      401,
      'UNAUTHORIZED',
    );
  });
});

describe('api › OpenAPI', () => {
  test('/openapi.json is an OpenAPI 3 document and /docs serves Swagger UI', async () => {
    const doc = (await call('GET', '/openapi.json')).body as { openapi: string; paths: object };
    assert.match(doc.openapi, /^3\./);
    assert.ok('/api/dags/{id}/trigger' in doc.paths);
    const docs = await fetch(`${h.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });

  test('every documented route answers what its schema says (success and error)', async () => {
    const doc = (await call('GET', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
      >;
      components: object;
    };
    const ajv = new Ajv({ strict: false, allErrors: true });
    const cookie = await login();
    // One real request per documented route (and method); the test fails when a route has none.
    const examples: [string, string, () => Promise<Answer>][] = [
      ['get', '/api/predictions/{day}/{hour}/{category}', () => call('GET', '/api/predictions/0/12/yogurt')],
      [
        'post',
        '/api/predictions/batch',
        () =>
          call('POST', '/api/predictions/batch', {
            cells: [
              { day: 0, hour: 1, category: 'yogurt' },
              { day: 0, hour: 1, category: 'nope' },
            ],
          }),
      ],
      ['get', '/api/categories', () => call('GET', '/api/categories')],
      ['get', '/api/dags', () => call('GET', '/api/dags')],
      ['get', '/api/dags/{id}/runs', () => call('GET', '/api/dags/ml_training_dag/runs')],
      ['post', '/api/dags/{id}/trigger', () => call('POST', '/api/dags/ml_training_dag/trigger', {})],
      [
        'get',
        '/api/runs/{id}',
        async () => call('GET', `/api/runs/${(await h.dags.listRuns('ml_training_dag', 1))[0].id}`),
      ],
      ['post', '/api/dags/{id}/pause', () => call('POST', '/api/dags/ml_training_dag/pause', {})],
      ['post', '/api/dags/{id}/unpause', () => call('POST', '/api/dags/ml_training_dag/unpause', {})],
      [
        'post',
        '/api/runs/{id}/clear',
        async () =>
          call('POST', `/api/runs/${(await h.dags.listRuns('ml_training_dag', 1))[0].id}/clear`, {
            onlyFailed: false,
          }),
      ],
      [
        'post',
        '/api/runs/{id}/tasks/{task}/clear',
        async () =>
          call(
            'POST',
            `/api/runs/${(await h.dags.listRuns('ml_training_dag', 1))[0].id}/tasks/train/clear`,
            {},
          ),
      ],
      [
        'post',
        '/api/runs/{id}/tasks/{task}/mark',
        async () =>
          call('POST', `/api/runs/${(await h.dags.listRuns('ml_training_dag', 1))[0].id}/tasks/train/mark`, {
            state: 'success',
          }),
      ],
      ['post', '/api/runs/{id}/clear', () => call('POST', '/api/runs/999999/clear', {})],
      ['get', '/api/aggregates', () => call('GET', '/api/aggregates?limit=3')],
      ['get', '/api/ingest', () => call('GET', '/api/ingest')],
      ['post', '/api/ingest/reprocess', () => call('POST', '/api/ingest/reprocess', { batches: ['none'] })],
      [
        'post',
        '/api/ingest/files/retry',
        () => call('POST', '/api/ingest/files/retry', { path: '1/none.csv' }),
      ],
      ['get', '/api/models', () => call('GET', '/api/models')],
      ['get', '/api/models/promotions', () => call('GET', '/api/models/promotions')],
      ['get', '/api/models/increments', () => call('GET', '/api/models/increments')],
      ['post', '/api/models/{version}/promote', () => call('POST', '/api/models/v999/promote', {})],
      ['post', '/api/models/rollback', () => call('POST', '/api/models/rollback', {})],
      ['get', '/api/cache/stats', () => call('GET', '/api/cache/stats')],
      ['post', '/api/cache/clear', () => call('POST', '/api/cache/clear', {})],
      ['get', '/healthz', () => call('GET', '/healthz')],
      ['get', '/readyz', () => call('GET', '/readyz')],
      ['get', '/metrics', () => call('GET', '/metrics')],
      [
        'post',
        '/api/login',
        () => call('POST', '/api/login', { username: 'admin', password: 'wrong password' }),
      ],
      ['get', '/api/session', () => call('GET', '/api/session', undefined, { cookie })],
      ['post', '/api/logout', () => call('POST', '/api/logout', {}, { cookie })],
      [
        'post',
        '/api/users',
        () => call('POST', '/api/users', { username: 'olga', role: 'operator', password: 'olga-password' }),
      ],
      ['get', '/api/users', () => call('GET', '/api/users')],
      [
        'post',
        '/api/users/{name}/password',
        () => call('POST', '/api/users/olga/password', { password: 'another-one' }),
      ],
      ['post', '/api/users/{name}/tokens', () => call('POST', '/api/users/olga/tokens', { name: 'ci' })],
      ['delete', '/api/users/{name}', () => call('DELETE', '/api/users/olga')],
      ['get', '/api/audit', () => call('GET', '/api/audit?limit=5')],
      // An error answer is checked against the documented 4xx schema.
      ['get', '/api/dags/{id}/runs', () => call('GET', '/api/dags/nope/runs')],
    ];
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m !== 'head')
        .map((m) => `${m} ${path}`),
    );
    const covered = new Set(examples.map(([m, p]) => `${m} ${p}`));
    assert.deepEqual(
      documented.filter((r) => !covered.has(r)),
      [],
      'routes without an example request',
    );
    for (const [method, path, request] of examples) {
      const res = await request();
      const responses = doc.paths[path][method].responses;
      const spec = responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`];
      assert.ok(spec, `${method} ${path}: status ${res.status} is not documented`);
      const schema = spec.content?.['application/json']?.schema;
      if (!schema) continue;
      const validate = ajv.compile({ ...schema, components: doc.components });
      assert.ok(
        validate(res.body),
        `${method} ${path} → ${res.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 500)}`,
      );
    }
  });
});

async function login(): Promise<string> {
  const res = await call(
    'POST',
    '/api/login',
    { username: 'admin', password: 'correct horse battery' },
    { authorization: '' },
  );
  assert.equal(res.status, 200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}
