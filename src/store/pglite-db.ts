// The Db over an embedded PGlite owned by this process. Every use goes through the SessionGate, which the
// wire server (serve.ts) shares, so this process's transactions and other processes' sessions never interleave.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { ScriptDb } from './script-db.js';
import type { SessionGate } from './session-gate.js';

export class PgliteDb implements ScriptDb {
  readonly kind = 'pglite' as const;
  /** One session shared by this process's autocommit statements; each is a complete unit on its own. */
  readonly #autocommit: number;
  #closing: Promise<void> | undefined;
  /** The transaction session the current async context runs in, to catch use of the outer Db inside it. */
  readonly #inTransaction = new AsyncLocalStorage<number>();

  constructor(
    private readonly pglite: PGlite,
    private readonly gate: SessionGate,
    private readonly onClose: () => Promise<void>,
  ) {
    this.#autocommit = gate.newSession();
  }

  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#inSession(this.#autocommit, async () => {
      const result = await this.pglite.query<R>(sql, params ? [...params] : []);
      return result.rows;
    });
  }

  async execScript(sql: string): Promise<void> {
    await this.#inSession(this.#autocommit, () => this.pglite.exec(sql));
  }

  async transaction<T>(fn: (tx: ScriptDb) => Promise<T>): Promise<T> {
    const session = this.gate.newSession();
    return this.#inSession(session, () =>
      this.pglite.transaction((tx) => this.#inTransaction.run(session, () => fn(new PgliteTxDb(tx)))),
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.onClose();
    return this.#closing;
  }

  async #inSession<T>(session: number, fn: () => Promise<T>): Promise<T> {
    const current = this.#inTransaction.getStore();
    if (current !== undefined && this.gate.holds(current)) {
      // PGlite has one connection: this would wait for the enclosing transaction, which waits for this.
      throw new Error(
        'inside transaction(fn), use the `tx` passed to fn, not the outer Db (it would wait forever)',
      );
    }
    await this.gate.enter(session);
    try {
      return await fn();
    } finally {
      // A statement like a bare BEGIN leaves a transaction block open: keep the backend until it ends.
      this.gate.leave(session, this.pglite.isInTransaction());
    }
  }
}

/** The Db handed to a transaction callback; nested transactions are savepoints. */
class PgliteTxDb implements ScriptDb {
  readonly kind = 'pglite' as const;
  #savepoints = 0;

  constructor(private readonly tx: Transaction) {}

  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    const result = await this.tx.query<R>(sql, params ? [...params] : []);
    return result.rows;
  }

  async execScript(sql: string): Promise<void> {
    await this.tx.exec(sql);
  }

  async transaction<T>(fn: (tx: ScriptDb) => Promise<T>): Promise<T> {
    const name = `sp_${++this.#savepoints}`;
    await this.tx.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.tx.exec(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.tx.exec(`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }

  async close(): Promise<void> {
    // The transaction's owner ends it.
  }
}
