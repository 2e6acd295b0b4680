// The Db over a real PostgreSQL server (or a PGlite served over the wire protocol): a pg Pool,
// transactions on one checked-out client, nested transactions as savepoints.
import type pg from 'pg';
import type { ScriptDb } from './script-db.js';

type Queryable = pg.Pool | pg.PoolClient;

export class PgDb implements ScriptDb {
  readonly kind: 'postgres' | 'pglite';
  #closed = false;

  constructor(
    private readonly pool: pg.Pool,
    kind: 'postgres' | 'pglite',
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.kind = kind;
  }

  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return runQuery<R>(this.pool, sql, params);
  }

  async execScript(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: ScriptDb) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(new PgTxDb(client, this.kind));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      }
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it instead of returning it.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
    await this.onClose();
  }
}

/** The Db handed to a transaction callback: every statement on the same client. */
class PgTxDb implements ScriptDb {
  #savepoints = 0;
  constructor(
    private readonly client: pg.PoolClient,
    readonly kind: 'postgres' | 'pglite',
  ) {}

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return runQuery<R>(this.client, sql, params);
  }

  async execScript(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async transaction<T>(fn: (tx: ScriptDb) => Promise<T>): Promise<T> {
    const name = `sp_${++this.#savepoints}`;
    await this.client.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }

  async close(): Promise<void> {
    // The transaction's owner releases the client.
  }
}

async function runQuery<R>(target: Queryable, sql: string, params?: readonly unknown[]): Promise<R[]> {
  // Always the extended protocol, even without parameters: one statement per call, as with PGlite's query().
  // (`queryMode` is supported by pg ≥ 8.12 but missing from @types/pg.)
  const config = { text: sql, values: (params ?? []) as unknown[], queryMode: 'extended' } as pg.QueryConfig;
  const result = await target.query(config);
  return result.rows as R[];
}
