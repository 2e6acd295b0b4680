// The narrow interface every stage uses for metadata: parameterized SQL and transactions.
// Implemented by a real PostgreSQL (pg) and by embedded PGlite; one SQL dialect, one set of migrations.

export interface Db {
  /** Which backend answers: a PostgreSQL server (`pg`) or the embedded PGlite. */
  readonly kind: 'postgres' | 'pglite';
  /** Runs one parameterized statement ($1, $2, …) and returns its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `fn` inside BEGIN … COMMIT on one connection; ROLLBACK if it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Releases connections (and stops serving an embedded store to other processes). Idempotent. */
  close(): Promise<void>;
}
