// openStore: the one way stages get a metadata Db. DATABASE_URL → PostgreSQL through a pg Pool; unset → the
// embedded PGlite under DATA_DIR/meta, opened directly or reached through the process that owns it (embedded.ts).
// Migrations from sql/ are applied on every open.
import pg from 'pg';
import type { Config } from '../base/config.js';
import { UnavailableError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import type { Db } from './db.js';
import { openEmbedded } from './embedded.js';
import { migrate } from './migrate.js';
import { outageLog } from '../base/outage-log.js';
import { PgDb } from './pg-db.js';
import type { ScriptDb } from './script-db.js';
import { pgTypes } from './types.js';
import { redactUrl } from '../base/redact.js';

export interface OpenStoreOptions {
  /**
   * Embedded store only: if this process becomes the owner of the PGlite directory, serve it to other orderflow
   * processes over the PostgreSQL protocol on 127.0.0.1:ORDERFLOW_META_PORT. Pass true from long-running
   * processes (`orderflow up`, scheduler, API); short commands leave it false and are served by them.
   * @defaultValue false
   */
  serve?: boolean;
  /**
   * Embedded store only: how long to wait for another process that holds the store without serving it (or is
   * still starting its server) before failing with UnavailableError.
   * @defaultValue 15000
   */
  waitMs?: number;
  /** Connections per pool (PostgreSQL, or the connection to the embedded store's owner). @defaultValue 10 */
  poolSize?: number;
  /** Apply pending migrations on open. @defaultValue true */
  migrate?: boolean;
  /** Folder of NNNN_name.sql migrations. @defaultValue the repository's sql/ folder */
  migrationsDir?: string;
}

export async function openStore(config: Config, logger: Logger, options: OpenStoreOptions = {}): Promise<Db> {
  const db = config.databaseUrl
    ? await openPostgres(config.databaseUrl, logger, options.poolSize ?? 10)
    : await openEmbedded(config, logger, {
        serve: options.serve ?? false,
        waitMs: options.waitMs ?? 15_000,
        poolSize: options.poolSize ?? 10,
      });
  if (options.migrate ?? true) {
    try {
      await migrate(db, logger, options.migrationsDir);
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}

async function openPostgres(url: string, logger: Logger, poolSize: number): Promise<ScriptDb> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes });
  // An idle client losing its connection must not crash the process; the next query reconnects (and if the
  // server is really gone, that query's failure starts the outage in the log). Statements' lost connections
  // and recoveries go to the process's outage log (via PgDb), said once per outage rather than per client.
  const outage = outageLog('PostgreSQL', logger);
  pool.on('error', (error) => logger.debug({ err: error }, 'an idle PostgreSQL connection was closed'));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw new UnavailableError(
      `cannot connect to PostgreSQL at DATABASE_URL=${redactUrl(url)}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  return new PgDb(pool, 'postgres', `PostgreSQL at DATABASE_URL=${redactUrl(url)}`, outage);
}
