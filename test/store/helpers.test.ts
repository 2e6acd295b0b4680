// The shared test helpers start real servers and leave nothing behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import net from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import { adminUrl, createTestDatabase } from '../helpers/postgres.js';
import { startRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends one inline Redis command over a raw socket and returns the reply text. */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
  });
}

test('helpers › startRedis serves on a private port and stop() ends the process', async () => {
  const redis = await startRedis();
  const pid = redis.pid!;
  try {
    assert.notEqual(redis.port, 6379);
    assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
    assert.equal(await redisCommand(redis.port, 'PING'), '+PONG\r\n');
    assert.ok(isAlive(pid));
  } finally {
    await redis.stop();
  }
  assert.equal(isAlive(pid), false);
  assert.equal(redis.pid, undefined);
  await redis.stop(); // idempotent
});

test('helpers › restart() with AOF keeps acknowledged writes, on the same port', async () => {
  const redis = await startRedis({ aof: true });
  try {
    assert.equal(await redisCommand(redis.port, 'SET k v1'), '+OK\r\n');
    const before = redis.pid!;
    await redis.restart();
    assert.notEqual(redis.pid, before);
    assert.equal(isAlive(before), false);
    assert.equal(await redisCommand(redis.port, 'GET k'), '$2\r\nv1\r\n');
  } finally {
    await redis.stop();
  }
});

test('helpers › kill() is a crash; restart() after it recovers from the AOF', async () => {
  const redis = await startRedis({ aof: true });
  try {
    await redisCommand(redis.port, 'SET k v2');
    const pid = redis.pid!;
    await redis.kill();
    assert.equal(isAlive(pid), false);
    await assert.rejects(redisCommand(redis.port, 'PING'));
    await redis.restart();
    assert.equal(await redisCommand(redis.port, 'GET k'), '$2\r\nv2\r\n');
  } finally {
    await redis.stop();
  }
});

test('helpers › a redis-server the test forgot to stop is killed, and its dir removed, when the process exits', async () => {
  const fixture = fileURLToPath(new URL('./fixtures/forget-redis.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture]);
  const { pid, dir } = JSON.parse(stdout) as { pid: number; dir: string };
  // SIGKILL was sent at exit; the orphan is reaped by init a moment later.
  for (let i = 0; i < 40 && isAlive(pid); i++) await sleep(50);
  assert.equal(isAlive(pid), false);
  await assert.rejects(access(dir), { code: 'ENOENT' });
});

test('helpers › createTestDatabase makes a fresh database and drop() removes it even with open connections', async () => {
  const database = await createTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  client.on('error', () => {}); // dropped WITH (FORCE) while connected
  assert.deepEqual((await client.query('SELECT current_database() AS name')).rows, [{ name: database.name }]);
  await database.drop();
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const rows = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database.name])).rows;
    assert.deepEqual(rows, []);
  } finally {
    await admin.end();
    await client.end().catch(() => {});
  }
});

test('helpers › tempDir creates a directory and remove() deletes it', async () => {
  const dir = await tempDir('orderflow-helper-');
  await access(dir.path);
  await dir.remove();
  await assert.rejects(access(dir.path), { code: 'ENOENT' });
});
