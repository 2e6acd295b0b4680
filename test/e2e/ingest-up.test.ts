// Under `orderflow up` (scheduler + worker + API in one process), bad files land first and stay rejected with
// their reasons — in `status --json` and the API — while a good file landed after them is committed within
// 10 s; a rejected file, once fixed, is committed too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { makeDaySource } from '../ingest/helpers.js';
import { CLI, ROOT, freePort } from './harness.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'ingest-test-token-0123456789';
let tmp: TempDir;
let redis: RedisServer;
let database: TestDatabase;
let source: string;
let env: Record<string, string>;
let port: number;
let output = '';
let up: ReturnType<typeof spawn>;

const rawDir = () => path.join(env.DATA_DIR, 'incremental', 'raw');

async function land(relative: string, content: string | Buffer): Promise<void> {
  const target = path.join(rawDir(), relative);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target + '.tmp', content);
  await fs.rename(target + '.tmp', target);
}

interface Ledger {
  files: { path: string; quarantinedRows: number }[];
  skippedFiles: { path: string; status: string; reason: string }[];
  pendingFiles: { path: string; reason: string }[];
}

async function ledger(): Promise<Ledger> {
  const res = await fetch(`http://127.0.0.1:${port}/api/ingest`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Ledger;
}

before(async () => {
  tmp = await tempDir();
  source = await makeDaySource(path.join(tmp.path, 'source'), 1400);
  redis = await startRedis();
  database = await createTestDatabase();
  port = await freePort();
  env = {
    DATA_DIR: path.join(tmp.path, 'data'),
    REDIS_URL: redis.url,
    DATABASE_URL: database.url,
    ORDERFLOW_API_TOKEN: TOKEN,
    ORDERFLOW_ADMIN_PASSWORD: 'ingest-test-password',
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  up = spawn(process.execPath, [CLI, 'up'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe' });
  up.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  up.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor('the API', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
});
after(async () => {
  if (up.exitCode === null) {
    const exited = new Promise((resolve) => up.once('exit', resolve));
    up.kill('SIGTERM');
    await exited;
  }
  await database.drop();
  await redis.stop();
  await tmp.remove();
});

test('up › bad files are rejected with their reasons while a good file landed after them commits within 10 s', async (t) => {
  const day0 = await fs.readFile(path.join(source, '0', 'orders_0.csv'));
  await land('1/foo.csv', 'foo,bar\n1,2\n');
  await land('1/random.csv', Buffer.concat([randomBytes(2048), Buffer.from('\n')]));
  await land('1/dupcol.csv', 'order_id,order_id,order_dow,order_hour_of_day,days_since_prior_order,tea\n');
  await land('1/binary.csv', Buffer.concat([gzipSync(day0), Buffer.from('\n')]));
  await land('1/_SUCCESS', '');
  await land('1/empty.csv', '');
  const bad = ['1/binary.csv', '1/dupcol.csv', '1/empty.csv', '1/foo.csv', '1/random.csv'];
  await waitFor(
    'the bad files rejected',
    async () => (await ledger()).skippedFiles.length === bad.length,
    20_000,
  );

  // Good files beside them, one with a NUL and one with a non-breaking space in a count: bad rows, not bad files.
  const [header, first, ...rest] = day0.toString().trimEnd().split('\n');
  const withBadRow = (bad: string, from: number) =>
    [header, first.replace(/,0,/, bad), ...rest.slice(from, from + 5)].join('\n') + '\n';
  const landedAt = Date.now();
  await land('2/nul.csv', withBadRow(',\u00000,', 0));
  await land('2/nbsp.csv', withBadRow(',\u00a05,', 5));
  await land('2/orders_0.csv', day0);
  await waitFor(
    'the good file committed',
    async () => (await ledger()).files.some((f) => f.path === '2/orders_0.csv'),
    10_000,
  );
  const waitedMs = Date.now() - landedAt;
  const committed = (await ledger()).files;
  for (const f of ['2/nul.csv', '2/nbsp.csv'])
    assert.equal(committed.find((c) => c.path === f)?.quarantinedRows, 1, f);
  assert.ok(waitedMs < 10_000, `the good file waited ${waitedMs} ms`);
  t.diagnostic(
    `a good file beside rejected ones: landing → committed (seen through the API) in ${waitedMs} ms`,
  );

  const api = await ledger();
  assert.deepEqual(api.skippedFiles.map((f) => f.path).sort(), bad);
  assert.ok(api.skippedFiles.every((f) => f.status === 'rejected' && f.reason.length > 10));
  assert.match(api.skippedFiles.find((f) => f.path === '1/foo.csv')!.reason, /missing required columns/);
  const status = await runCli(['status', '--json'], env);
  assert.equal(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as Ledger;
  assert.deepEqual(parsed.skippedFiles.map((f) => f.path).sort(), bad);
  assert.deepEqual(parsed.pendingFiles, []);

  // Fixed: the file is read again and committed.
  await land('1/foo.csv', await fs.readFile(path.join(source, '1', 'orders_1.csv')));
  await waitFor(
    'the fixed file committed',
    async () => (await ledger()).files.some((f) => f.path === '1/foo.csv'),
    10_000,
  );
  assert.ok(!(await ledger()).skippedFiles.some((f) => f.path === '1/foo.csv'));
  assert.doesNotMatch(output, /\n\s+at /, 'no stack traces in the log');
});
