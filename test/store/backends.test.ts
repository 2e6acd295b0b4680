// The store behaves the same on a real PostgreSQL and on embedded PGlite: migrations, transactions, value types.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { UnavailableError } from '../../src/base/errors.js';
import { createLogger } from '../../src/base/log.js';
import type { Db } from '../../src/store/db.js';
import { loadMigrations } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

const logger = createLogger('silent');
const fixtures = fileURLToPath(new URL('./fixtures/migrations/', import.meta.url));

interface Backend {
  name: 'postgres' | 'pglite';
  /** A fresh, empty store; cleanup removes it. */
  create(): Promise<{ config: Config; cleanup(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'postgres',
    create: async () => {
      const database = await createTestDatabase();
      const dir = await tempDir();
      return {
        config: loadConfig({ DATABASE_URL: database.url, DATA_DIR: dir.path }),
        cleanup: async () => {
          await database.drop();
          await dir.remove();
        },
      };
    },
  },
  {
    name: 'pglite',
    create: async () => {
      const dir = await tempDir();
      return { config: loadConfig({ DATA_DIR: dir.path }), cleanup: () => dir.remove() };
    },
  },
];

for (const backend of backends) {
  describe(`store on ${backend.name}`, () => {
    let config: Config;
    let cleanup: () => Promise<void>;
    let db: Db;

    before(async () => {
      ({ config, cleanup } = await backend.create());
      db = await openStore(config, logger, { migrationsDir: fixtures });
    });
    after(async () => {
      await db?.close();
      await cleanup?.();
    });

    test('migrations are applied once, in order, and recorded', async () => {
      assert.equal(db.kind, backend.name);
      const versions = await db.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(versions, [
        { version: 1, name: 'counter' },
        { version: 2, name: 'seed' },
      ]);
      assert.deepEqual(await db.query('SELECT n FROM counter'), [{ n: 1 }]);
    });

    test('opening again applies nothing (0001 would fail if re-run)', async () => {
      await db.close();
      db = await openStore(config, logger, { migrationsDir: fixtures });
      assert.deepEqual(await db.query('SELECT count(*) AS c FROM counter'), [{ c: 1 }]);
      assert.deepEqual(await db.query('SELECT count(*) AS c FROM schema_migrations'), [{ c: 2 }]);
    });

    test('a transaction commits when its callback resolves', async () => {
      const id = await db.transaction(async (tx) => {
        const [row] = await tx.query<{ id: number }>('INSERT INTO events (label) VALUES ($1) RETURNING id', [
          'kept',
        ]);
        return row.id;
      });
      assert.deepEqual(await db.query('SELECT label FROM events WHERE id = $1', [id]), [{ label: 'kept' }]);
    });

    test('a transaction rolls back when its callback throws, and the error reaches the caller', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO events (label) VALUES ($1)', ['lost']);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await db.query('SELECT id FROM events WHERE label = $1', ['lost']), []);
    });

    test('a failing statement rolls the whole transaction back', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO events (label) VALUES ($1)', ['half']);
          await tx.query('INSERT INTO events (label) VALUES (NULL)');
        }),
      );
      assert.deepEqual(await db.query('SELECT id FROM events WHERE label = $1', ['half']), []);
    });

    test('a nested transaction is a savepoint: its rollback keeps the outer work', async () => {
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO events (label) VALUES ($1)', ['outer']);
        await assert.rejects(
          tx.transaction(async (inner) => {
            await inner.query('INSERT INTO events (label) VALUES ($1)', ['inner']);
            throw new Error('inner fails');
          }),
        );
      });
      const labels = await db.query<{ label: string }>(
        "SELECT label FROM events WHERE label IN ('outer', 'inner') ORDER BY label",
      );
      assert.deepEqual(labels, [{ label: 'outer' }]);
    });

    test('using the outer Db inside a transaction fails fast on PGlite instead of waiting forever', async () => {
      if (backend.name !== 'pglite') return; // PostgreSQL just uses another pooled connection
      await assert.rejects(
        db.transaction(async () => {
          await db.query('SELECT 1');
        }),
        /use the `tx` passed to fn/,
      );
      assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
    });

    test('concurrent read-modify-write transactions do not lose updates', async () => {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction(async (tx) => {
            const [row] = await tx.query<{ n: number }>('SELECT n FROM counter FOR UPDATE');
            await tx.query('UPDATE counter SET n = $1', [row.n + 1]);
          }),
        ),
      );
      assert.deepEqual(await db.query('SELECT n FROM counter'), [{ n: 21 }]);
    });

    test('values read the same on both backends: int8 as number, jsonb parsed, timestamptz as Date', async () => {
      const [row] = await db.query<Record<string, unknown>>(
        `SELECT count(*) AS c, 9007199254740993::int8 AS big, $1::jsonb AS j, now() AS t, 1.5::numeric AS num`,
        [JSON.stringify({ a: [1, 2] })],
      );
      assert.equal(row.c, 1);
      assert.equal(row.big, '9007199254740993');
      assert.deepEqual(row.j, { a: [1, 2] });
      assert.ok(row.t instanceof Date);
      assert.equal(row.num, '1.5');
    });

    test('close() is idempotent', async () => {
      await db.close();
      await db.close();
    });
  });

  test(`store on ${backend.name} › the repository's sql/ migrations apply on a fresh store`, async () => {
    const { config, cleanup } = await backend.create();
    try {
      const db = await openStore(config, logger);
      try {
        const rows = await db.query<{ version: number }>(
          'SELECT version FROM schema_migrations ORDER BY version',
        );
        assert.deepEqual(
          rows.map((r) => r.version),
          (await loadMigrations()).map((m) => m.version),
        );
        await db.query(`CREATE TABLE scratch (key text PRIMARY KEY, value jsonb NOT NULL)`);
        await db.query(`INSERT INTO scratch (key, value) VALUES ('k', '{"v": 1}')`);
        assert.deepEqual(await db.query(`SELECT value FROM scratch WHERE key = 'k'`), [{ value: { v: 1 } }]);
      } finally {
        await db.close();
      }
    } finally {
      await cleanup();
    }
  });
}

describe('store on postgres › concurrency and failures', () => {
  test('several processes opening one new database at once apply each migration exactly once', async () => {
    const database = await createTestDatabase();
    const dir = await tempDir();
    try {
      const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: dir.path });
      const dbs = await Promise.all(
        Array.from({ length: 6 }, () => openStore(config, logger, { migrationsDir: fixtures, poolSize: 2 })),
      );
      try {
        assert.deepEqual(await dbs[0].query('SELECT count(*) AS c FROM counter'), [{ c: 1 }]);
        assert.deepEqual(await dbs[5].query('SELECT count(*) AS c FROM schema_migrations'), [{ c: 2 }]);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    } finally {
      await database.drop();
      await dir.remove();
    }
  });

  test('an unreachable DATABASE_URL fails with UnavailableError that names the URL without its password', async () => {
    const dir = await tempDir();
    try {
      const config = loadConfig({ DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/x', DATA_DIR: dir.path });
      await assert.rejects(openStore(config, logger), (error: unknown) => {
        assert.ok(error instanceof UnavailableError);
        assert.match(error.message, /127\.0\.0\.1:1/);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      });
    } finally {
      await dir.remove();
    }
  });
});
