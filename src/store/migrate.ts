// Applies the numbered migrations in sql/ (NNNN_name.sql) in order, each in its own transaction, and records them
// in schema_migrations. Every migration transaction first takes one advisory lock, so openers racing on one
// PostgreSQL apply each file exactly once: the loser waits, then sees the version recorded and skips it.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Logger } from '../base/log.js';
import type { ScriptDb } from './script-db.js';

/** From src/store/ under tsx and from dist/store/ when compiled, the repository's sql/ folder. */
const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Arbitrary constant key of the advisory lock that serializes migrators ("orderflow" in ASCII, truncated). */
const MIGRATION_LOCK_KEY = 0x6f7264657266;

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  /** Migrations this call applied, in order (empty when the schema was already current). */
  applied: Migration[];
  /** Every migration found on disk, in order. */
  all: Migration[];
}

export async function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) {
      throw new Error(
        `${path.join(dir, file)}: a migration file must be named NNNN_name.sql (lower-case name)`,
      );
    }
    const version = Number(match[1]);
    const previous = migrations.at(-1);
    if (previous?.version === version) {
      throw new Error(`${dir}: two migrations share version ${match[1]}: ${previous.file} and ${file}`);
    }
    const sql = await readFile(path.join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push({ version, name: match[2], file, sql, checksum });
  }
  return migrations;
}

async function lock(tx: ScriptDb): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
}

export async function migrate(db: ScriptDb, logger: Logger, dir?: string): Promise<MigrationResult> {
  const all = await loadMigrations(dir);
  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.execScript(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });

  const recorded = new Map(
    (
      await db.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations')
    ).map((r) => [r.version, r.checksum]),
  );
  const applied: Migration[] = [];
  for (const migration of all) {
    const checksum = recorded.get(migration.version);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) {
        logger.warn(
          { file: migration.file },
          'migration file changed after it was applied; the change is not re-run',
        );
      }
      continue;
    }
    const didApply = await db.transaction(async (tx) => {
      await lock(tx);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length > 0) return false;
      await tx.execScript(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      return true;
    });
    if (didApply) {
      logger.info({ file: migration.file }, 'applied migration');
      applied.push(migration);
    }
  }
  const unknown = [...recorded.keys()].filter((v) => !all.some((m) => m.version === v));
  if (unknown.length > 0) {
    logger.warn(
      { versions: unknown },
      'the database has migrations this orderflow does not know (a newer version?)',
    );
  }
  return { applied, all };
}
