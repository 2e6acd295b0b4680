// The embedded store's wire server: a client that opens a transaction and then says nothing must not hold the
// single PGlite backend for ever. After the idle-in-transaction timeout it is disconnected (SQLSTATE 25P03),
// its transaction rolled back, and the owner's own queries go on.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createLogger } from '../../src/base/log.js';
import { PgliteDb } from '../../src/store/pglite-db.js';
import { serveWire, type WireServer } from '../../src/store/serve.js';
import { SessionGate } from '../../src/store/session-gate.js';

describe('embedded store wire server', () => {
  let pglite: PGlite;
  let gate: SessionGate;
  let owner: PgliteDb;
  let server: WireServer;

  before(async () => {
    pglite = await PGlite.create();
    gate = new SessionGate();
    owner = new PgliteDb(pglite, gate, async () => {});
    await owner.execScript('CREATE TABLE t (v int)');
    server = await serveWire(pglite, gate, {
      host: '127.0.0.1',
      port: 0,
      secret: 'test-secret',
      logger: createLogger('silent'),
      idleInTransactionMs: 300,
    });
  });
  after(async () => {
    await server.close();
    await pglite.close();
  });

  test('serve › a client idle inside BEGIN is disconnected and rolled back; the owner is not blocked', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: server.port,
      user: 'postgres',
      password: 'test-secret',
    });
    const lost = once(client, 'error') as Promise<[Error & { code?: string }]>;
    await client.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO t VALUES (1)');
    const started = Date.now();
    // The client now holds the backend and sends nothing: the owner's query waits for the timeout, no longer.
    assert.deepEqual(await owner.query('SELECT count(*)::int AS n FROM t'), [{ n: 0 }]);
    const waited = Date.now() - started;
    assert.ok(waited >= 250 && waited < 5_000, `the owner waited ${waited} ms`);
    const [err] = await lost;
    assert.equal(err.code, '25P03');
    await client.end().catch(() => {}); // already closed by the server
  });

  test('serve › a client that keeps talking inside a transaction is not cut off', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: server.port,
      user: 'postgres',
      password: 'test-secret',
    });
    await client.connect();
    try {
      await client.query('BEGIN');
      for (let i = 0; i < 4; i++) {
        await client.query('INSERT INTO t VALUES ($1)', [i]);
        // Each pause is shorter than the timeout; the whole transaction is longer than it. The pauses are the
        // client's behaviour under test (a server-side idle timer in another process), not a wait for a state.
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      await client.query('COMMIT');
      assert.deepEqual(await owner.query('SELECT count(*)::int AS n FROM t'), [{ n: 4 }]);
    } finally {
      await client.end();
    }
  });
});
