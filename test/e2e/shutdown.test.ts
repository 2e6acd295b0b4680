// SIGTERM ends every long-running command within 10 s whatever state it is in: Redis down (BullMQ's close()
// never returns then, upstream issue #4656), PostgreSQL down (a proxy in this process drops its connections),
// a task running. A second `up` on the same DATA_DIR is refused with the first one's pid and URL.
// The built CLI runs as child processes (`npm run build` first).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { alive, freePort, spawnCli, listening, type StartedProcess } from './harness.js';
import { waitFor } from '../helpers/wait.js';

/** The bound: SIGTERM to exit, in every state. */
const EXIT_WITHIN_MS = 10_000;
/** The Redis outage whose log lines are counted (the figure). */
const OUTAGE_MS = 20_000;

/** Sends SIGTERM and returns how long the process took to exit, and its exit code. */
async function timeStop(
  proc: StartedProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  const code = await proc.stop(signal, 30_000);
  return { ms: Date.now() - started, code };
}

describe('bounded shutdown', () => {
  let redis: RedisServer;
  let database: TestDatabase;
  let pgProxy: TcpProxy;
  let dir: TempDir;
  let env: Record<string, string>;
  const running: StartedProcess[] = [];

  before(async () => {
    redis = await startRedis();
    database = await createTestDatabase();
    const url = new URL(database.url);
    pgProxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(pgProxy.port);
    dir = await tempDir();
    env = {
      DATA_DIR: dir.path,
      REDIS_URL: redis.url,
      DATABASE_URL: url.toString(),
      PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      ORDERFLOW_ADMIN_PASSWORD: 'a-test-password',
    };
  });
  after(async () => {
    for (const p of running) await p.stop('SIGKILL');
    await pgProxy.close();
    await redis.stop();
    await database.drop();
    await dir.remove();
  });

  const spawn = (args: string[]): StartedProcess => {
    const proc = spawnCli(args, env);
    running.push(proc);
    return proc;
  };

  test('shutdown › `up` logs a 20 s Redis outage in a handful of lines and exits within 10 s of SIGTERM while Redis is down; a second `up` is refused', async () => {
    // Info level, as on a terminal; JSON lines so they can be counted and read.
    const up = spawnCli(['up'], { ...env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    running.push(up);
    await up.waitForLine(/orderflow up: scheduler and worker running/);
    const second = spawn(['up', '--no-http']);
    assert.equal(await second.exited, 1);
    assert.match(
      second.output(),
      new RegExp(`another orderflow up already runs .*pid ${up.child.pid}.*http://`),
    );

    await redis.stop();
    const before = up.output().split('\n').length;
    await up.waitForLine(/Redis unreachable/);
    // The outage lasts OUTAGE_MS; what `up` says meanwhile is counted. The duration is what is tested (a
    // child process, on its own clock), not a wait for a state.
    await new Promise<void>((resolve) => setTimeout(resolve, OUTAGE_MS));
    const during = up
      .output()
      .split('\n')
      .slice(before - 1)
      .filter(Boolean);
    console.log(`# up: ${during.length} log lines during a ${OUTAGE_MS / 1000} s Redis outage`);
    assert.ok(during.length <= 5, `too many lines during the outage:\n${during.join('\n')}`);
    assert.ok(!during.some((l) => l.includes('"stack"')), 'no stack traces for an unreachable Redis');

    const { ms, code } = await timeStop(up);
    console.log(`# up: SIGTERM → exit in ${ms} ms with Redis down`);
    assert.ok(ms < EXIT_WITHIN_MS, `up took ${ms} ms to exit:\n${up.output()}`);
    assert.equal(code, 0, up.output());
    assert.equal(await listening(Number(env.PORT)), false, 'the API must stop answering');
    await redis.restart();
  });

  test('shutdown › `scheduler` and `worker` exit within 10 s of SIGTERM while PostgreSQL is down', async () => {
    const scheduler = spawn(['scheduler']);
    const worker = spawn(['worker']);
    await scheduler.waitForLine(/scheduler running/);
    await worker.waitForLine(/worker running/);
    await pgProxy.close();
    const [s, w] = await Promise.all([timeStop(scheduler), timeStop(worker)]);
    console.log(`# scheduler: SIGTERM → exit in ${s.ms} ms, worker: ${w.ms} ms with PostgreSQL down`);
    assert.ok(s.ms < EXIT_WITHIN_MS, `scheduler took ${s.ms} ms:\n${scheduler.output()}`);
    assert.ok(w.ms < EXIT_WITHIN_MS, `worker took ${w.ms} ms:\n${worker.output()}`);
    assert.notEqual(s.code, null, scheduler.output());
    assert.notEqual(w.code, null, `${worker.child.signalCode} ${worker.output()}`);
    await pgProxy.open();
  });

  test('shutdown › `serve` and `incremental --watch` exit within 10 s of SIGTERM while Redis is down', async () => {
    const serve = spawn(['serve', '--port', String(await freePort())]);
    const watch = spawn(['incremental', '--watch']);
    await serve.waitForLine(/orderflow API and dashboard on http/);
    await watch.waitForLine(/watching /);
    await redis.stop();
    try {
      const [s, w] = await Promise.all([timeStop(serve), timeStop(watch)]);
      console.log(`# serve: SIGTERM → exit in ${s.ms} ms, incremental --watch: ${w.ms} ms with Redis down`);
      assert.ok(s.ms < EXIT_WITHIN_MS, `serve took ${s.ms} ms:\n${serve.output()}`);
      assert.ok(w.ms < EXIT_WITHIN_MS, `incremental --watch took ${w.ms} ms:\n${watch.output()}`);
      assert.notEqual(s.code, null, serve.output());
      assert.notEqual(w.code, null, watch.output());
    } finally {
      await redis.restart();
    }
  });

  test("shutdown › Ctrl-C during the first start's data generation leaves no temp file and no redis-server; one left by kill -9 is cleaned up", async () => {
    const data = await tempDir();
    const startEnv = { ...env, DATA_DIR: data.path, REDIS_URL: `redis://127.0.0.1:${await freePort()}` };
    const tempFiles = async (): Promise<string[]> =>
      (await readdir(data.path)).filter((f) => /^\.orders\.csv\..*\.tmp$/.test(f));
    const redisPid = async (): Promise<number> =>
      (
        JSON.parse(await readFile(path.join(data.path, 'redis', 'orderflow-redis.json'), 'utf8')) as {
          pid: number;
        }
      ).pid;
    try {
      // 1. Killed (kill -9) while generating: a temp file and the private redis-server stay behind.
      const first = spawnCli(['start', '--orders', '3000000'], startEnv);
      running.push(first);
      await waitFor('the first start to write its temp file', async () => (await tempFiles()).length === 1);
      const leftRedis = await redisPid();
      await first.stop('SIGKILL');
      assert.equal(alive(leftRedis), true);

      // 2. The next start removes the temp file, reuses that redis-server, and a Ctrl-C mid-generation stops it.
      const second = spawnCli(['start', '--orders', '3000000'], startEnv);
      running.push(second);
      await second.waitForLine(/removed 1 partial output file/);
      await second.waitForLine(new RegExp(`reusing the private redis-server \\(pid ${leftRedis}\\)`));
      await waitFor('the second start to write its temp file', async () =>
        (await tempFiles()).some((f) => f.includes(`.${second.child.pid}.`)),
      );
      const { ms, code } = await timeStop(second, 'SIGINT');
      console.log(`# start: Ctrl-C during generation → exit in ${ms} ms`);
      assert.ok(ms < EXIT_WITHIN_MS, second.output());
      assert.equal(code, 130, second.output());
      assert.match(second.output(), /interrupted \(SIGINT\).*removed 1 partial output file/);
      assert.deepEqual(await tempFiles(), []);
      assert.equal(alive(leftRedis), false, 'the private redis-server must be stopped');
      assert.deepEqual(
        (await readdir(data.path)).filter((f) => f === 'orderflow.pid'),
        [],
      );
    } finally {
      await data.remove();
    }
  });

  test('shutdown › when the process serving the embedded store dies, a worker using it exits 1 saying so (no loop)', async () => {
    const data = await tempDir();
    const embedded = { ...env, DATA_DIR: data.path, DATABASE_URL: '', PORT: String(await freePort()) };
    try {
      const owner = spawnCli(['up', '--no-http'], embedded);
      running.push(owner);
      await owner.waitForLine(/orderflow up: scheduler and worker running/);
      const worker = spawnCli(['worker'], embedded);
      running.push(worker);
      await worker.waitForLine(/worker running/);
      await owner.stop('SIGKILL');
      const killed = Date.now();
      const code = await worker.exited;
      const ms = Date.now() - killed;
      console.log(`# worker: exit ${ms} ms after the store's owner was killed`);
      assert.equal(code, 1, worker.output());
      assert.match(worker.output(), /the orderflow process serving the embedded metadata store has exited/);
      assert.ok(ms < EXIT_WITHIN_MS, worker.output());
    } finally {
      await data.remove();
    }
  });
});
