// The embedded store across processes: one owner serves PGlite, others connect; stale owners are taken over.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { UnavailableError } from '../../src/base/errors.js';
import { createLogger } from '../../src/base/log.js';
import { ownerFilePath } from '../../src/store/embedded.js';
import { openStore } from '../../src/store/open.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

const logger = createLogger('silent');
const fixture = fileURLToPath(new URL('./fixtures/open-store.ts', import.meta.url));

interface Child {
  process: ChildProcess;
  /** The first line the child prints, parsed. */
  firstLine: Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
}

const children = new Set<ChildProcess>();

function runFixture(dataDir: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  const exit = once(child, 'exit').then(([code]) => {
    children.delete(child);
    return code as number | null;
  });
  const lines = createInterface({ input: child.stdout! });
  const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>));
    void exit.then((code) => reject(new Error(`fixture ${args.join(' ')} exited (${code}) without output`)));
  });
  firstLine.catch(() => {}); // observed by the tests that need it
  return { process: child, firstLine, exit };
}

async function scratchValue(config: Config, key: string): Promise<unknown> {
  const db = await openStore(config, logger);
  try {
    const rows = await db.query<{ value: unknown }>('SELECT value FROM scratch WHERE key = $1', [key]);
    return rows[0]?.value;
  } finally {
    await db.close();
  }
}

function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  return once(child, 'exit').then(() => child.pid!);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('embedded store across processes', () => {
  let dir: TempDir;
  let config: Config;

  before(async () => {
    dir = await tempDir();
    config = loadConfig({ DATA_DIR: dir.path });
    // Create the PGlite directory once (the slow first open), so later opens are quick, with the scratch table the
    // tests and their child processes (fixtures/open-store.ts) write to.
    const db = await openStore(config, logger);
    await db.query(
      `CREATE TABLE scratch (key text PRIMARY KEY, value jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await db.close();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await dir.remove();
  });

  test("a second process connects through the owner's server and sees its writes (and the owner sees theirs)", async () => {
    const owner = await openStore(config, logger, { serve: true });
    try {
      const info = JSON.parse(await readFile(ownerFilePath(config), 'utf8')) as {
        pid: number;
        state: string;
      };
      assert.equal(info.pid, process.pid);
      assert.equal(info.state, 'serving');
      await owner.query(
        `INSERT INTO scratch (key, value) VALUES ('from-owner', '"hello"')
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      );
      const children = [0, 1, 2].map(() => runFixture(dir.path, ['client', 'from-owner']));
      for (const child of children) {
        assert.deepEqual(await child.firstLine, { kind: 'pglite', value: 'hello' });
        assert.equal(await child.exit, 0);
      }
      const [row] = await owner.query<{ value: number }>(`SELECT value FROM scratch WHERE key = 'child'`);
      assert.ok(children.some((c) => c.process.pid === row.value));
    } finally {
      await owner.close();
    }
  });

  test("the owner's transactions and a client's never interleave", async () => {
    const owner = await openStore(config, logger, { serve: true });
    const client = await openStore(config, logger); // same process, connected through the socket
    try {
      await owner.query(
        `INSERT INTO scratch (key, value) VALUES ('n', '0') ON CONFLICT (key) DO UPDATE SET value = '0'`,
      );
      const increment = (db: typeof owner) =>
        db.transaction(async (tx) => {
          const [row] = await tx.query<{ value: number }>(`SELECT value FROM scratch WHERE key = 'n'`);
          await tx.query(`UPDATE scratch SET value = $1 WHERE key = 'n'`, [JSON.stringify(row.value + 1)]);
        });
      // A client rollback must not undo the owner's autocommit write made meanwhile.
      const rolledBack = client.transaction(async (tx) => {
        await tx.query(`INSERT INTO scratch (key, value) VALUES ('ghost', '1')`);
        throw new Error('roll back');
      });
      await Promise.all([
        ...Array.from({ length: 30 }, (_, i) => increment(i % 2 === 0 ? owner : client)),
        assert.rejects(rolledBack, /roll back/),
        owner.query(`INSERT INTO scratch (key, value) VALUES ('solid', '1') ON CONFLICT DO NOTHING`),
      ]);
      assert.deepEqual(await client.query(`SELECT value FROM scratch WHERE key = 'n'`), [{ value: 30 }]);
      assert.deepEqual(await client.query(`SELECT key FROM scratch WHERE key IN ('ghost', 'solid')`), [
        { key: 'solid' },
      ]);
    } finally {
      await client.close();
      await owner.close();
    }
  });

  test('close() stops serving and removes the owner file', async () => {
    const owner = await openStore(config, logger, { serve: true });
    const { port } = JSON.parse(await readFile(ownerFilePath(config), 'utf8')) as { port: number };
    assert.equal(await canConnect(port), true);
    await owner.close();
    await assert.rejects(readFile(ownerFilePath(config)), { code: 'ENOENT' });
    assert.equal(await canConnect(port), false);
  });

  test('a client needs the secret from the owner file', async () => {
    const owner = await openStore(config, logger, { serve: true });
    try {
      const { port } = JSON.parse(await readFile(ownerFilePath(config), 'utf8')) as { port: number };
      const pg = (await import('pg')).default;
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'wrong' });
      await assert.rejects(client.connect(), /password authentication failed/);
      await client.end().catch(() => {});
    } finally {
      await owner.close();
    }
  });

  test('a process that finds the owner busy without serving fails with UnavailableError', async () => {
    const holder = runFixture(dir.path, ['hold', 'direct']);
    assert.equal((await holder.firstLine).ready, true);
    const client = runFixture(dir.path, ['client', 'x'], { TEST_WAIT_MS: '300' });
    const result = await client.firstLine;
    assert.equal(result.error, 'UNAVAILABLE');
    assert.match(String(result.message), /another orderflow process .* DATABASE_URL/i);
    assert.equal(await client.exit, 1);
    // In this process too, and with the same error class.
    await assert.rejects(openStore(config, logger, { waitMs: 200 }), UnavailableError);
    holder.process.stdin!.end();
    assert.equal(await holder.exit, 0);
  });

  test('a process waits for a busy non-serving owner to finish, then opens the store itself', async () => {
    const holder = runFixture(dir.path, ['hold', 'direct']);
    await holder.firstLine;
    setTimeout(() => holder.process.stdin!.end(), 500);
    const db = await openStore(config, logger, { waitMs: 20_000 });
    try {
      assert.deepEqual(await db.query(`SELECT value FROM scratch WHERE key = 'holder'`), [
        { value: holder.process.pid },
      ]);
    } finally {
      await db.close();
    }
  });

  test('processes starting together take turns; only one owns the directory at a time', async () => {
    const clients = [0, 1, 2].map(() => runFixture(dir.path, ['client', 'from-owner']));
    for (const client of clients) {
      assert.equal((await client.firstLine).kind, 'pglite');
      assert.equal(await client.exit, 0);
    }
  });

  test('a stale owner file of a dead pid is taken over', async () => {
    const pid = await deadPid();
    const stale = { pid, state: 'serving', port: 1, secret: 'x', startedAt: new Date().toISOString() };
    await writeFile(ownerFilePath(config), JSON.stringify(stale));
    const db = await openStore(config, logger, { serve: true, waitMs: 2_000 });
    try {
      const info = JSON.parse(await readFile(ownerFilePath(config), 'utf8')) as { pid: number };
      assert.equal(info.pid, process.pid);
    } finally {
      await db.close();
    }
  });

  test('an owner killed with SIGKILL is taken over, and its committed writes survive', async () => {
    const holder = runFixture(dir.path, ['hold', 'serve']);
    assert.equal((await holder.firstLine).ready, true);
    holder.process.kill('SIGKILL');
    await holder.exit;
    assert.equal(await scratchValue(config, 'holder'), holder.process.pid);
  });

  test('clients of a served store keep working while other clients come and go', async () => {
    const holder = runFixture(dir.path, ['hold', 'serve']);
    await holder.firstLine;
    const db = await openStore(config, logger);
    try {
      for (let i = 0; i < 3; i++) {
        const client = runFixture(dir.path, ['client', 'holder']);
        assert.deepEqual(await client.firstLine, { kind: 'pglite', value: holder.process.pid });
      }
      assert.deepEqual(await db.query(`SELECT value FROM scratch WHERE key = 'holder'`), [
        { value: holder.process.pid },
      ]);
    } finally {
      await db.close();
      holder.process.kill('SIGTERM');
      assert.equal(await holder.exit, 0);
    }
    await assert.rejects(readFile(ownerFilePath(config)), { code: 'ENOENT' });
  });

  test('a client whose serving owner exits gets UnavailableError on its next query', async () => {
    const holder = runFixture(dir.path, ['hold', 'serve']);
    await holder.firstLine;
    const db = await openStore(config, logger);
    try {
      assert.equal((await db.query('SELECT 1 AS one'))[0].one, 1);
      holder.process.kill('SIGTERM');
      assert.equal(await holder.exit, 0);
      await assert.rejects(db.query('SELECT 1'), (error: unknown) => {
        assert.ok(error instanceof UnavailableError);
        assert.match(error.message, /serving the embedded metadata store/);
        return true;
      });
    } finally {
      await db.close();
    }
  });
});
