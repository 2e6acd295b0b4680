// The maintained totals: over random sequences of added, replaced, removed and forgotten files — with old
// partials packed along the way — the ledger's cell totals and holdout totals always equal a sum over the files
// committed now.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { Cell } from '../../src/processing/cells.js';
import { Ledger, type FileCommit } from '../../src/processing/ledger.js';
import { packCells, unpackCells } from '../../src/processing/ledger-totals.js';
import { sumHoldouts, type HoldoutPartial } from '../../src/processing/holdout.js';
import { holdoutPartialOf, holdoutTotals } from '../../src/processing/holdout-ledger.js';
import { packHoldoutCells, unpackHoldoutCells } from '../../src/processing/holdout-totals.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { commitOf, random, randomCells, randomHoldout } from './random-files.js';

const noFence = { fence: async () => {} };

let tmp: TempDir;
let database: TestDatabase;
let db: Db;

before(async () => {
  tmp = await tempDir();
  database = await createTestDatabase();
  db = await openStore(
    loadConfig({ DATA_DIR: tmp.path, DATABASE_URL: database.url }),
    createLogger('silent'),
  );
});
after(async () => {
  await db.close();
  await database.drop();
  await tmp.remove();
});

const key = (c: Pick<Cell, 'day' | 'hour' | 'category'>) => `${c.day}|${c.hour}|${c.category}`;

function expectedTotals(files: Iterable<FileCommit>): Map<string, number> {
  const sums = new Map<string, number>();
  for (const { cells } of files) for (const c of cells) sums.set(key(c), (sums.get(key(c)) ?? 0) + c.items);
  return sums;
}

/** A holdout partial in a comparable form: bucket orders, and each cell's buckets and squares by key. */
function comparable(holdout: HoldoutPartial) {
  return {
    bucketOrders: holdout.bucketOrders,
    cells: new Map(holdout.cells.map((c) => [key(c), [...c.buckets, c.squares]])),
  };
}

function expectedHoldout(files: Iterable<FileCommit>) {
  const present = [...files];
  return {
    ...comparable(sumHoldouts(present.flatMap((f) => (f.holdout ? [f.holdout] : [])))),
    complete: present.every((f) => f.holdout !== undefined),
  };
}

async function actualHoldout(db: Db) {
  const { holdout, complete } = await holdoutTotals(db);
  return { ...comparable(holdout), complete };
}

/** One commit's changes drawn at random: new files, replacements and removals of `present` files. */
function randomChanges(next: () => number, present: Map<string, FileCommit>, fileNo: () => number) {
  const files: FileCommit[] = [];
  const removed: string[] = [];
  const paths = [...present.keys()];
  // One file in eight is committed without a holdout partial (as before sql/0007).
  const holdoutOf = (cells: Cell[]) => (next() < 0.125 ? undefined : randomHoldout(cells, next));
  const actions = 1 + Math.floor(next() * 3);
  for (let a = 0; a < actions; a++) {
    const r = next();
    const candidates = paths.filter((p) => !removed.includes(p) && !files.some((f) => f.path === p));
    if (r < 0.5 || candidates.length === 0) {
      const n = fileNo();
      const cells = randomCells(next);
      files.push(commitOf(`${n % 5}/f${n}.csv`, cells, false, holdoutOf(cells)));
    } else {
      const path = candidates[Math.floor(next() * candidates.length)];
      if (r < 0.75) {
        const cells = randomCells(next);
        files.push(commitOf(path, cells, true, holdoutOf(cells)));
      } else removed.push(path);
    }
  }
  for (const path of removed) present.delete(path);
  for (const file of files) present.set(file.path, file);
  return { files, removed, skipped: [], unskipped: [] };
}

test('ledger totals › packing keeps a partial exactly', () => {
  const next = random(3);
  const cells = randomCells(next);
  assert.deepEqual(unpackCells(packCells(cells)), cells);
  const holdout = randomHoldout(cells, next);
  assert.deepEqual(unpackHoldoutCells(packHoldoutCells(holdout.cells)), holdout.cells);
});

test('ledger totals › random adds, replaces, removes and forgets (with packing) keep the cell and holdout totals equal to a full sum', async () => {
  const next = random(20261202);
  // Keep 3 files unpacked, so packed files get replaced, removed and forgotten too.
  const ledger = new Ledger(db, 3);
  const present = new Map<string, FileCommit>();
  let fileNo = 0;
  for (let step = 0; step < 80; step++) {
    if (step % 7 === 6) {
      // A reprocess forgets a file or two (and a path the ledger never had).
      const paths = [...present.keys()];
      const chosen = paths.length === 0 ? [] : [0, 1].map(() => paths[Math.floor(next() * paths.length)]);
      await ledger.forget([...chosen, 'never/committed.csv']);
      for (const path of chosen) present.delete(path);
    } else {
      const changes = randomChanges(next, present, () => fileNo++);
      await ledger.commit(new Date(), changes, noFence);
    }
    const actual = new Map((await ledger.totals()).map((c) => [key(c), c.items]));
    assert.deepEqual(actual, expectedTotals(present.values()), `cells after step ${step}`);
    assert.deepEqual(
      await actualHoldout(db),
      expectedHoldout(present.values()),
      `holdout after step ${step}`,
    );
  }
  // The committed files' own partials (what an increment is scored on) survive packing.
  for (const file of present.values()) {
    const stored = await holdoutPartialOf(db, file.path);
    assert.deepEqual(stored && comparable(stored), file.holdout && comparable(file.holdout), file.path);
  }
  // Once the files without a holdout partial are gone, the totals are complete again.
  await ledger.forget([...present.values()].filter((f) => !f.holdout).map((f) => f.path));
  for (const file of present.values()) if (!file.holdout) present.delete(file.path);
  assert.deepEqual(await actualHoldout(db), { ...expectedHoldout(present.values()), complete: true });

  const [packed] = await db.query<{ cells: number; holdouts: number }>(
    `SELECT (SELECT count(*) FROM ingest_files WHERE partial_packed IS NOT NULL)::int AS cells,
       (SELECT count(*) FROM ingest_holdout_files WHERE partial_packed IS NOT NULL)::int AS holdouts`,
  );
  const [rows] = await db.query<{ cells: number; holdouts: number }>(
    `SELECT (SELECT count(DISTINCT path) FROM ingest_partials)::int AS cells,
       (SELECT count(DISTINCT path) FROM ingest_holdout_partials)::int AS holdouts`,
  );
  assert.ok(packed.cells > 5, `${packed.cells} files packed`);
  assert.ok(packed.holdouts > 5, `${packed.holdouts} holdout partials packed`);
  assert.ok(rows.cells <= 3, `${rows.cells} files still have partial rows`);
  assert.ok(rows.holdouts <= 3, `${rows.holdouts} files still have holdout rows`);
});
