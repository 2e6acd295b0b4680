// The holdout totals' migration (sql/0013): a ledger committed before it gets its maintained totals backfilled
// from the holdout partials already there, and the next commits carry on from them.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { holdoutTotals } from '../../src/processing/holdout-ledger.js';
import { Ledger } from '../../src/processing/ledger.js';
import type { Db } from '../../src/store/db.js';
import { DEFAULT_MIGRATIONS_DIR } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { commitOf } from './random-files.js';

const noFence = { fence: async () => {} };
const logger = createLogger('silent');

let tmp: TempDir;
let database: TestDatabase;

before(async () => {
  tmp = await tempDir();
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
  await tmp.remove();
});

/** Opens the test database migrated up to `version` (a copy of sql/ without the later files). */
async function openAt(version: number): Promise<Db> {
  const dir = path.join(tmp.path, `sql-${version}`);
  await mkdir(dir, { recursive: true });
  for (const file of await readdir(DEFAULT_MIGRATIONS_DIR))
    if (Number(file.slice(0, 4)) <= version)
      await copyFile(path.join(DEFAULT_MIGRATIONS_DIR, file), path.join(dir, file));
  const config = loadConfig({ DATA_DIR: tmp.path, DATABASE_URL: database.url });
  return openStore(config, logger, { migrationsDir: dir });
}

test('holdout totals › the migration backfills them from the partials committed before it', async () => {
  const old = await openAt(12);
  try {
    await old.query(
      `INSERT INTO ingest_runs (started_at, files_added, files_replaced, files_removed, orders, items, bad_rows)
       VALUES (now(), 3, 0, 0, 0, 0, 0)`,
    );
    // a and b share the cell (1, 9, tea); c was committed before sql/0007 and has no holdout partial.
    for (const file of ['1/a.csv', '1/b.csv', '1/c.csv'])
      await old.query(
        `INSERT INTO ingest_files (path, batch, sha256, size_bytes, mtime_ms, orders, items, bad_rows, run_id)
         SELECT $1, '1', $1, 1, 1, 1, 1, 0, id FROM ingest_runs`,
        [file],
      );
    await old.query(
      `INSERT INTO ingest_holdout_files (path, bucket_orders)
       VALUES ('1/a.csv', '{1,2,0,0,1}'), ('1/b.csv', '{0,1,1,1,0}')`,
    );
    await old.query(
      `INSERT INTO ingest_holdout_partials (path, day_of_week, hour_of_day, category, bucket_items, items_squared)
       VALUES ('1/a.csv', 1, 9, 'tea', '{2,3,0,0,1}', 14), ('1/a.csv', 2, 0, 'milk', '{0,0,4,0,0}', 16),
              ('1/b.csv', 1, 9, 'tea', '{0,1,1,5,0}', 27)`,
    );
  } finally {
    await old.close();
  }

  const db = await openAt(Number.MAX_SAFE_INTEGER);
  try {
    const byKey = async () => {
      const { holdout, complete } = await holdoutTotals(db);
      const cells = holdout.cells.map((c) => [`${c.day}|${c.hour}|${c.category}`, ...c.buckets, c.squares]);
      return { bucketOrders: holdout.bucketOrders, cells: cells.sort(), complete };
    };
    assert.deepEqual(await byKey(), {
      bucketOrders: [1, 3, 1, 1, 1],
      cells: [
        ['1|9|tea', 2, 4, 1, 5, 1, 41],
        ['2|0|milk', 0, 0, 4, 0, 0, 16],
      ],
      complete: false,
    });
    // Replacing b and removing c carry on from the backfilled totals.
    const b = commitOf('1/b.csv', [{ day: 2, hour: 0, category: 'milk', items: 1 }], true, {
      bucketOrders: [0, 0, 0, 1, 0],
      cells: [{ day: 2, hour: 0, category: 'milk', buckets: [0, 0, 0, 1, 0], squares: 1 }],
    });
    await new Ledger(db).commit(
      new Date(),
      { files: [b], removed: ['1/c.csv'], skipped: [], unskipped: [] },
      noFence,
    );
    assert.deepEqual(await byKey(), {
      bucketOrders: [1, 2, 0, 1, 1],
      cells: [
        ['1|9|tea', 2, 3, 0, 0, 1, 14],
        ['2|0|milk', 0, 0, 4, 1, 0, 17],
      ],
      complete: true,
    });
  } finally {
    await db.close();
  }
});
