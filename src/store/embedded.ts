// Multi-process access to the embedded store. PGlite admits one process per directory, so exactly one process
// owns DATA_DIR/meta (recorded in DATA_DIR/meta.owner.json). An owner opened with `serve` serves it on
// 127.0.0.1 (serve.ts) and every other process connects to it with pg, as to a real PostgreSQL. An owner without
// `serve` (a short command) holds the store alone: others wait for it to finish, then fail with UnavailableError.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Config } from '../base/config.js';
import { UnavailableError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import {
  isProcessAlive,
  readOwnerFile,
  removeOwnerFile,
  removeOwnerFileSync,
  removeStaleOwnerFile,
  tryCreateOwnerFile,
  updateOwnerFile,
  type OwnerInfo,
} from './owner.js';
import { PgDb } from './pg-db.js';
import { PgliteDb } from './pglite-db.js';
import type { ScriptDb } from './script-db.js';
import { serveWire, type WireServer } from './serve.js';
import { SessionGate } from './session-gate.js';
import { pgliteParsers, pgTypes } from './types.js';

export interface EmbeddedOptions {
  serve: boolean;
  waitMs: number;
  poolSize: number;
}

const POLL_MS = 100;

export function ownerFilePath(config: Config): string {
  return path.join(config.dataDir, 'meta.owner.json');
}

export async function openEmbedded(
  config: Config,
  logger: Logger,
  options: EmbeddedOptions,
): Promise<ScriptDb> {
  const file = ownerFilePath(config);
  await mkdir(config.dataDir, { recursive: true });
  const deadline = Date.now() + options.waitMs;
  let lastError: unknown;
  for (;;) {
    const mine: OwnerInfo = {
      pid: process.pid,
      state: options.serve ? 'starting' : 'direct',
      port: null,
      secret: options.serve ? randomBytes(24).toString('base64url') : null,
      startedAt: new Date().toISOString(),
    };
    if (await tryCreateOwnerFile(file, mine)) return becomeOwner(config, logger, file, mine);

    const owner = await readOwnerFile(file);
    if (owner === undefined) continue; // released between our attempt and the read
    if (owner === null || !isProcessAlive(owner.pid)) {
      logger.warn({ file, pid: owner?.pid }, 'taking over the embedded store from a process that is gone');
      await removeStaleOwnerFile(file, owner);
      continue;
    }
    if (owner.state === 'serving' && owner.port !== null && owner.secret !== null) {
      try {
        const db = await connectToOwner(owner, options.poolSize, logger);
        return options.serve ? exitWhenOwnerExits(db, owner.pid, logger) : db;
      } catch (error) {
        lastError = error; // the owner may be shutting down: look again
      }
    }
    if (Date.now() >= deadline) throw busyError(config, owner, lastError);
    await sleep(POLL_MS);
  }
}

/** How often a long-running client checks that the process serving it the store still runs. */
const OWNER_CHECK_MS = 1_000;

/**
 * A long-running process (it asked to serve) that found another owner uses that owner's store for its whole
 * life; when the owner exits, every later query would fail. Rather than loop on errors it stops: the owner's
 * pid gone → an error naming it, exit code 1 and the process's own bounded shutdown (SIGTERM to itself). A
 * restart opens, or is served, the store afresh.
 */
function exitWhenOwnerExits(db: ScriptDb, ownerPid: number, logger: Logger): ScriptDb {
  const timer = setInterval(() => {
    if (isProcessAlive(ownerPid)) return;
    clearInterval(timer);
    logger.error(
      { pid: ownerPid },
      'the orderflow process serving the embedded metadata store has exited; stopping (start this command again)',
    );
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  }, OWNER_CHECK_MS);
  timer.unref();
  return {
    kind: db.kind,
    query: (sql, params) => db.query(sql, params),
    execScript: (sql) => db.execScript(sql),
    transaction: (fn) => db.transaction(fn),
    close: () => {
      clearInterval(timer);
      return db.close();
    },
  };
}

function busyError(config: Config, owner: OwnerInfo, cause: unknown): UnavailableError {
  if (owner.pid === process.pid && owner.state === 'direct') {
    return new UnavailableError(
      `This process already has the embedded metadata store in ${config.paths.metaDir} open without serving it: ` +
        `share that Db instead of opening the store again (or open the first one with { serve: true }).`,
      { cause },
    );
  }
  const what =
    owner.state === 'serving'
      ? `serves it on 127.0.0.1:${owner.port}, but connecting failed`
      : owner.state === 'starting'
        ? 'is still starting to serve it'
        : 'has it open and does not serve it to other processes';
  return new UnavailableError(
    `Another orderflow process (pid ${owner.pid}) is using the embedded metadata store in ${config.paths.metaDir} ` +
      `and ${what}. Wait for it to finish, start the long-running process (\`orderflow up\`) first so it serves the ` +
      `store, or set DATABASE_URL to a PostgreSQL server so that several processes can share the metadata. ` +
      `(If no orderflow process with pid ${owner.pid} is running, delete ${ownerFilePath(config)}.)`,
    { cause },
  );
}

async function connectToOwner(owner: OwnerInfo, poolSize: number, logger: Logger): Promise<ScriptDb> {
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port: owner.port!,
    user: 'postgres',
    database: 'postgres',
    password: owner.secret!,
    max: poolSize,
    types: pgTypes,
  });
  pool.on('error', (error) =>
    logger.warn(
      { err: error, pid: owner.pid },
      'lost the connection to the process serving the embedded store',
    ),
  );
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  logger.debug({ pid: owner.pid, port: owner.port }, 'using the embedded store served by another process');
  return new PgDb(
    pool,
    'pglite',
    `the orderflow process (pid ${owner.pid}) serving the embedded metadata store (has it exited? run the command again)`,
  );
}

async function becomeOwner(config: Config, logger: Logger, file: string, mine: OwnerInfo): Promise<ScriptDb> {
  // Releasers in order of acquisition; run in reverse on close or on a failed start.
  const releasers: Array<() => Promise<void>> = [];
  const onExit = (): void => removeOwnerFileSync(file, process.pid);
  process.on('exit', onExit);
  releasers.push(async () => {
    process.off('exit', onExit);
    await removeOwnerFile(file, process.pid);
  });
  const release = async (): Promise<void> => {
    for (const fn of releasers.reverse()) {
      try {
        await fn();
      } catch (error) {
        logger.error({ err: error }, 'error while closing the embedded store');
      }
    }
  };

  try {
    await mkdir(config.paths.metaDir, { recursive: true });
    let pglite: PGlite;
    try {
      pglite = await PGlite.create(config.paths.metaDir, { parsers: pgliteParsers });
    } catch (error) {
      throw new UnavailableError(
        `cannot open the embedded metadata store in ${config.paths.metaDir}: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    releasers.push(() => pglite.close());
    const gate = new SessionGate();
    if (mine.secret !== null) {
      let server: WireServer;
      try {
        server = await serveWire(pglite, gate, {
          host: '127.0.0.1',
          port: config.metaPort,
          secret: mine.secret,
          logger,
        });
      } catch (error) {
        throw new UnavailableError(
          `cannot serve the embedded metadata store on 127.0.0.1:${config.metaPort} (ORDERFLOW_META_PORT): ${String(error)}`,
          { cause: error },
        );
      }
      releasers.push(() => server.close());
      await updateOwnerFile(file, { ...mine, state: 'serving', port: server.port });
      logger.debug({ port: server.port }, 'serving the embedded store to other orderflow processes');
    }
    return new PgliteDb(pglite, gate, release);
  } catch (error) {
    await release();
    throw error;
  }
}
