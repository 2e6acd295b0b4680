// The Db over a real PostgreSQL server (or a PGlite served over the wire protocol): a pg Pool,
// transactions on one checked-out client, nested transactions as savepoints. A lost connection surfaces as
// UnavailableError (saying which server went away); SQL errors pass through unchanged.
import type pg from 'pg';
import { UnavailableError } from '../base/errors.js';
import { settlesWithin } from '../base/bounded.js';
import type { ScriptDb } from './script-db.js';

type Queryable = pg.Pool | pg.PoolClient;

/** Node socket errors that mean the server is gone or unreachable. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

export class PgDb implements ScriptDb {
  readonly kind: 'postgres' | 'pglite';
  #closing: Promise<void> | undefined;

  /**
   * @param server what the pool talks to, for messages ("PostgreSQL at …", "the orderflow process …")
   * @param health told of every lost connection and every statement that got through (the outage log)
   */
  constructor(
    private readonly pool: pg.Pool,
    kind: 'postgres' | 'pglite',
    private readonly server: string,
    private readonly health?: ConnectionHealth,
  ) {
    this.kind = kind;
  }

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return guard(this.server, () => runQuery<R>(this.pool, sql, params), this.health);
  }

  async execScript(sql: string): Promise<void> {
    await guard(this.server, () => this.pool.query(sql), this.health);
  }

  async transaction<T>(fn: (tx: ScriptDb) => Promise<T>): Promise<T> {
    let broken: Error | undefined;
    // A checked-out client has no listener of the pool's: a server that ends the connection meanwhile
    // (pg_terminate_backend, a restart) emits 'error' on it, which would crash the process. The statement
    // in flight fails on its own; the client is destroyed on release.
    const onError = (error: Error): void => void (broken ??= error);
    const client = await guard(this.server, () => this.#checkOut(onError), this.health);
    try {
      const tx = new PgTxDb(client, this.kind, this.server);
      await tx.execScript('BEGIN');
      try {
        const result = await fn(tx);
        await tx.execScript('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      }
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it instead of returning it to the pool.
      client.release(broken);
      // A broken client is being destroyed and may still report errors: it keeps the listener.
      if (!broken) client.removeListener('error', onError);
    }
  }

  /**
   * pool.connect() with `onError` attached in its callback, not after an await: the pool may hand over a client
   * while still parsing that client's socket data, and a FATAL message right behind (pg_terminate_backend)
   * would be emitted before any promise continuation could add a listener.
   */
  #checkOut(onError: (error: Error) => void): Promise<pg.PoolClient> {
    return new Promise((resolve, reject) => {
      this.pool.connect((err, client) => {
        if (err || !client) return reject(err ?? new Error('the pool returned no client'));
        client.on('error', onError);
        resolve(client);
      });
    });
  }

  close(): Promise<void> {
    // Bounded: end() waits for checked-out clients, and a server that is gone may never answer their queries.
    this.#closing ??= settlesWithin(this.pool.end(), 2_000).then(() => undefined);
    return this.#closing;
  }
}

/** The Db handed to a transaction callback: every statement on the same client. */
class PgTxDb implements ScriptDb {
  #savepoints = 0;
  constructor(
    private readonly client: pg.PoolClient,
    readonly kind: 'postgres' | 'pglite',
    private readonly server: string,
  ) {}

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return guard(this.server, () => runQuery<R>(this.client, sql, params));
  }

  async execScript(sql: string): Promise<void> {
    await guard(this.server, () => this.client.query(sql));
  }

  async transaction<T>(fn: (tx: ScriptDb) => Promise<T>): Promise<T> {
    const name = `sp_${++this.#savepoints}`;
    await this.execScript(`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.execScript(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.execScript(`ROLLBACK TO SAVEPOINT ${name}`);
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

/** Who hears about the server's reachability: a lost connection, and any statement that got through. */
export interface ConnectionHealth {
  failure(err: unknown): void;
  recovered(): void;
}

async function guard<T>(server: string, fn: () => Promise<T>, health?: ConnectionHealth): Promise<T> {
  try {
    const result = await fn();
    health?.recovered();
    return result;
  } catch (error) {
    if (!isConnectionLoss(error)) {
      health?.recovered(); // an SQL error: the server answered
      throw error;
    }
    const lost = new UnavailableError(`lost the connection to ${server}: ${(error as Error).message}`, {
      cause: error,
    });
    health?.failure(lost);
    throw lost;
  }
}

function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error) || 'severity' in error) return false; // pg's DatabaseError: an SQL error
  const code = (error as NodeJS.ErrnoException).code;
  // pg has no code for a connection closed under it; its message is the only signal.
  return (
    (code !== undefined && CONNECTION_CODES.has(code)) ||
    /Connection terminated|connection error and is not queryable/.test(error.message)
  );
}
