// The processing view of a real incremental run: two landed day files, read as byte ranges by two named workers
// of the real pipeline DAGs, show up part by part in GET /api/runs/:id (with throughput per worker and the critical
// path), as totals in the run list, and in `orderflow dags logs` / `dags runs` — whose --json is the API's answer.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { RunDetail, RunWithTasks } from '../../src/api/deps.js';
import { INCREMENTAL_DAG } from '../../src/orchestration/pipeline-dags.js';
import { rangeCount } from '../../src/ingest/increment-plan.js';
import { deliverBatch } from '../../src/ingest/landing/simulate.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { makeDaySource } from '../ingest/helpers.js';
import { API_TOKEN, startHarness, type Harness } from './harness.js';

const RANGE_BYTES = 16_384;
const WORKERS = ['alpha:101', 'beta:202'];
let h: Harness;
let source: TempDir;
let runId: number;
let run: RunDetail;
let fileBytes: number[];

const auth = { authorization: `Bearer ${API_TOKEN}` };
const api = async <T>(p: string, method = 'GET'): Promise<T> => {
  const res = await fetch(h.url + p, {
    method,
    headers: method === 'POST' ? { ...auth, 'content-type': 'application/json' } : auth,
    body: method === 'POST' ? '{}' : undefined,
  });
  assert.ok(res.ok, `${method} ${p}: ${res.status}`);
  return (await res.json()) as T;
};

/** Triggers the incremental DAG and waits (polling the API) until the run ended. */
async function incrementalRun(): Promise<RunDetail> {
  const { runId: id } = await api<{ runId: number }>(`/api/dags/${INCREMENTAL_DAG}/trigger`, 'POST');
  return waitFor(
    `run ${id} to end`,
    async () => {
      const r = await api<RunDetail>(`/api/runs/${id}`);
      return r.state === 'success' || r.state === 'failed' ? r : undefined;
    },
    15_000,
  );
}

before(async () => {
  source = await tempDir();
  const days = await makeDaySource(source.path, 700);
  h = await startHarness({
    dags: 'pipeline',
    train: false,
    env: { ORDERFLOW_RANGE_BYTES: String(RANGE_BYTES) },
    workers: WORKERS.map((name) => ({ name })),
  });
  // Only the incremental run matters here: no training or cache refresh behind it.
  await api('/api/dags/ml_training_dag/pause', 'POST');
  fileBytes = [];
  for (const day of ['0', '1']) {
    await deliverBatch(path.join(days, day), path.join(h.config.paths.incrementalRawDir, day));
    fileBytes.push((await stat(path.join(days, day, `orders_${day}.csv`))).size);
  }
  run = await incrementalRun();
  runId = run.id;
});
after(async () => {
  await h?.stop();
  await source?.remove();
});

describe('api › processing view', () => {
  test('processing › GET /api/runs/:id lists every part of the run: its range, bytes, orders, worker and times', () => {
    assert.equal(run.state, 'success');
    const p = run.processing;
    assert.ok(p, 'an incremental run that read files has a processing view');
    const expected = fileBytes.reduce((n, size) => n + rangeCount(size, RANGE_BYTES), 0);
    assert.ok(expected > 2, 'the files are read as several ranges each');
    assert.equal(p.parts.length, expected);
    assert.deepEqual([...new Set(p.parts.map((x) => x.path))].sort(), ['0/orders_0.csv', '1/orders_1.csv']);
    for (const part of p.parts) {
      assert.equal(part.state, 'committed');
      assert.equal(part.outcome, 'read');
      assert.ok(WORKERS.includes(part.worker ?? ''), `worker ${part.worker}`);
      assert.ok((part.orders ?? 0) > 0 && part.tries >= 1 && (part.durationMs ?? -1) >= 0);
      assert.ok(part.startedAt && part.endedAt && part.queuedAt <= part.startedAt);
    }
    assert.equal(p.totals.bytes, fileBytes[0] + fileBytes[1], 'the ranges cover the files');
    assert.equal(p.totals.parts, expected);
    assert.equal(p.totals.files, 2);
    assert.equal(p.parts.filter((x) => x.critical).length, 1);
  });

  test('processing › the answer matches the documented schema of GET /api/runs/{id} and GET /api/dags/{id}/runs', async () => {
    type Doc = {
      paths: Record<
        string,
        { get: { responses: { 200: { content: { 'application/json': { schema: object } } } } } }
      >;
      components: object;
    };
    const doc = await api<Doc>('/openapi.json');
    const ajv = new Ajv({ strict: false, allErrors: true });
    const check = (route: string, body: unknown) => {
      const schema = doc.paths[route].get.responses[200].content['application/json'].schema;
      const validate = ajv.compile({ ...schema, components: doc.components });
      assert.ok(validate(body), `${route}: ${ajv.errorsText(validate.errors)}`);
    };
    check('/api/runs/{id}', await api(`/api/runs/${runId}`));
    check('/api/dags/{id}/runs', await api(`/api/dags/${INCREMENTAL_DAG}/runs`));
    // The schema requires the view's fields: one the server stopped sending would fail the check above.
    const schema = JSON.stringify(doc.paths['/api/runs/{id}'].get.responses[200]);
    for (const field of ['criticalPath', 'waitMs', 'mbPerSecond', 'busyMs'])
      assert.ok(schema.includes(`"${field}"`), field);
  });

  test('processing › throughput per worker adds up to the totals, and the critical path runs from discovery to tracking', () => {
    const p = run.processing!;
    assert.equal(
      p.workers.reduce((n, w) => n + w.parts, 0),
      p.parts.length,
    );
    assert.equal(
      p.workers.reduce((n, w) => n + w.bytes, 0),
      p.totals.bytes,
    );
    assert.ok(p.workers.every((w) => WORKERS.includes(w.worker) && w.busyMs >= 0));
    const steps = p.criticalPath.filter((s) => s.kind !== 'wait').map((s) => s.label);
    const critical = p.parts.find((x) => x.critical)!;
    const label = `${critical.path} [${critical.rangeIndex + 1}/${critical.rangeCount}]`;
    assert.deepEqual(steps, ['discover_files', label, 'aggregate', 'commit', 'update_tracking']);
    for (let i = 1; i < p.criticalPath.length; i++)
      assert.equal(p.criticalPath[i].startedAt, p.criticalPath[i - 1].endedAt);
    assert.equal(p.criticalPath.find((s) => s.kind === 'part')?.endedAt, critical.endedAt);
  });

  test('processing › the run list has the totals; a run that read nothing has no processing view', async () => {
    const { runs } = await api<{ runs: RunWithTasks[] }>(`/api/dags/${INCREMENTAL_DAG}/runs`);
    assert.deepEqual(runs.find((r) => r.id === runId)?.processing, run.processing?.totals);
    const idle = await incrementalRun();
    assert.equal(idle.state, 'success');
    assert.equal(idle.processing, null);
  });

  test('processing › `dags logs` prints the part table and the critical path before the logs; --json is the API answer', async () => {
    const env = {
      DATA_DIR: h.config.dataDir,
      DATABASE_URL: h.config.databaseUrl ?? '',
      REDIS_URL: h.config.redisUrl,
      LOG_LEVEL: 'silent',
    };
    const logs = await runCli(['dags', 'logs', String(runId)], env);
    assert.equal(logs.code, 0, logs.stderr);
    const lines = logs.stdout.split('\n');
    const p = run.processing!;
    assert.match(lines[1], new RegExp(`^processing: ${p.parts.length} parts on ${p.workers.length} worker`));
    assert.match(
      lines[2],
      /PART\s+BYTES\s+ORDERS\s+ITEMS\s+BAD\s+WORKER\s+TRIES\s+WAIT\s+DURATION\s+OUTCOME/,
    );
    const firstLog = lines.findIndex((l) => l.startsWith('── '));
    for (const part of p.parts) {
      const label = `${part.path} [${part.rangeIndex + 1}/${part.rangeCount}]`;
      const at = lines.findIndex(
        (l) => l.includes(label) && l.includes(` ${part.bytes} `) && l.includes(part.worker ?? '?'),
      );
      assert.ok(at > 0 && at < firstLog, `a line for ${label} before the logs`);
      assert.equal(lines[at].trimStart().startsWith('* '), part.critical);
    }
    const pathAt = lines.findIndex((l) => l.startsWith('critical path'));
    assert.ok(pathAt > 0 && pathAt < firstLog);
    assert.match(lines[pathAt + 1], /discover_files$/);

    const json = await runCli(['dags', 'logs', String(runId), '--json'], env);
    assert.deepEqual(JSON.parse(json.stdout), await api(`/api/runs/${runId}`));
    // Every child job's lines are in the aggregate task's log, whichever worker ran it (none overwrote another's).
    const withLogs = await runCli(['dags', 'logs', String(runId), 'aggregate', '--json'], env);
    const detail = JSON.parse(withLogs.stdout) as {
      tasks: { taskId: string; logs?: { message: string }[] }[];
    };
    const aggregate = detail.tasks.find((t) => t.taskId === 'aggregate')!;
    const partLines = (aggregate.logs ?? []).filter((l) => /^read \S+ part \d+\/\d+: read$/.test(l.message));
    assert.equal(partLines.length, p.parts.length, 'one log line per child job');
    const runs = await runCli(['dags', 'runs', INCREMENTAL_DAG], env);
    assert.match(runs.stdout, /DURATION\s+PARTS/);
    assert.match(runs.stdout, new RegExp(`^${runId}\\s+success\\s+manual.* ${p.parts.length} parts on`, 'm'));
  });
});
