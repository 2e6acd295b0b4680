// One owner module per table: docs/architecture.md's "Who owns which table" is the rule, and this test holds the
// code to it. Every table the migrations create on a real PostgreSQL has exactly one owner in the docs; only the
// owner has statements that change the table; a statement that reads it lives in the owner's own folder (the
// ledger's sweeps check, in one statement, what a committed file still holds) — every other module calls the owner.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');

let database: TestDatabase;
let dir: TempDir;
let db: Db;

before(async () => {
  database = await createTestDatabase();
  dir = await tempDir();
  db = await openStore(
    loadConfig({ DATABASE_URL: database.url, DATA_DIR: dir.path }),
    createLogger('silent'),
  );
});
after(async () => {
  await db?.close();
  await database?.drop();
  await dir?.remove();
});

/** The owner table of docs/architecture.md: table → owner path relative to src/. */
async function documentedOwners(): Promise<Map<string, string>> {
  const doc = await readFile(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const section = doc.split('## Who owns which table')[1]?.split('\n## ')[0];
  assert.ok(section, 'docs/architecture.md has a "Who owns which table" section');
  const owners = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[2].startsWith('`')) continue;
    const owner = [...cells[2].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    assert.equal(owner.length, 1, `one owner module per row, got ${cells[2]}`);
    for (const [, table] of cells[1].matchAll(/`([a-z_]+)`/g)) {
      assert.ok(!owners.has(table), `${table} is listed twice`);
      owners.set(table, owner[0]);
    }
  }
  return owners;
}

async function sourceFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true }))
    if (entry.isFile() && entry.name.endsWith('.ts')) out.push(path.join(entry.parentPath, entry.name));
  return out;
}

const writes = (table: string) =>
  new RegExp(`\\b(INSERT\\s+INTO|UPDATE|DELETE\\s+FROM|TRUNCATE|ALTER\\s+TABLE)\\s+${table}\\b`, 'i');
const reads = (table: string) => new RegExp(`\\b(FROM|JOIN)\\s+${table}\\b`, 'i');

test('table owners › every table has one documented owner, and only the owner changes it', async () => {
  const owners = await documentedOwners();
  const tables = (
    await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name`,
    )
  ).map((r) => r.table_name);
  assert.ok(tables.length > 20, `the migrations create the schema (got ${tables.length} tables)`);
  assert.deepEqual(
    [...owners.keys()].sort(),
    tables,
    'the documented tables are exactly the tables of the schema',
  );

  const sources = new Map<string, string>();
  for (const file of await sourceFiles(SRC))
    sources.set(path.relative(SRC, file), await readFile(file, 'utf8'));
  for (const [table, owner] of owners) {
    assert.ok(sources.has(owner), `${table}'s owner ${owner} exists`);
    assert.match(sources.get(owner)!, writes(table), `${owner} has the statements that change ${table}`);
    for (const [file, text] of sources) {
      if (file === owner) continue;
      assert.doesNotMatch(
        text,
        writes(table),
        `${file} changes ${table}, which ${owner} owns: call the owner`,
      );
      if (path.dirname(file) !== path.dirname(owner))
        assert.doesNotMatch(
          text,
          reads(table),
          `${file} reads ${table}, which ${owner} owns: call the owner`,
        );
    }
  }
});
