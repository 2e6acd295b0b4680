// The maintained totals: over random sequences of added, replaced and removed files — with old partials
// packed along the way — the ledger's totals always equal a sum over the files committed now.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { Cell } from '../../src/processing/cells.js';
import { Ledger, type FileCommit } from '../../src/processing/ledger.js';
import { packCells, unpackCells } from '../../src/processing/ledger-totals.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

const CATEGORIES = ['fruit', 'tea', 'yogurt', 'bread'];
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

/** A small deterministic pseudo-random generator (the sequence is reproducible from the seed). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function randomCells(next: () => number): Cell[] {
  const cells = new Map<string, Cell>();
  const n = 1 + Math.floor(next() * 12);
  for (let i = 0; i < n; i++) {
    const cell = {
      day: Math.floor(next() * 7),
      hour: Math.floor(next() * 3),
      category: CATEGORIES[Math.floor(next() * CATEGORIES.length)],
      items: 1 + Math.floor(next() * 50),
    };
    cells.set(`${cell.day}|${cell.hour}|${cell.category}`, cell);
  }
  return [...cells.values()];
}

function commitOf(path: string, cells: Cell[], replaces: boolean): FileCommit {
  const items = cells.reduce((n, c) => n + c.items, 0);
  return {
    path,
    batch: path.split('/')[0],
    sha256: `${path}:${items}:${cells.length}`,
    stat: { size: items, mtimeMs: 1, ctimeMs: 1, inode: path },
    orders: cells.length,
    items,
    cells,
    badRows: [],
    quarantinePath: undefined,
    replaces,
  };
}

const key = (c: Cell) => `${c.day}|${c.hour}|${c.category}`;

function expectedTotals(files: Map<string, Cell[]>): Map<string, number> {
  const sums = new Map<string, number>();
  for (const cells of files.values())
    for (const c of cells) sums.set(key(c), (sums.get(key(c)) ?? 0) + c.items);
  return sums;
}

test('ledger totals › packing keeps a partial exactly', () => {
  const cells = randomCells(random(3));
  assert.deepEqual(unpackCells(packCells(cells)), cells);
});

test('ledger totals › random adds, replaces and removes (with packing) always equal a full sum', async () => {
  const next = random(20261202);
  // Keep 3 files unpacked, so packed files get replaced and removed too.
  const ledger = new Ledger(db, 3);
  const present = new Map<string, Cell[]>();
  let fileNo = 0;
  for (let step = 0; step < 60; step++) {
    const files: FileCommit[] = [];
    const removed: string[] = [];
    const paths = [...present.keys()];
    const actions = 1 + Math.floor(next() * 3);
    for (let a = 0; a < actions; a++) {
      const r = next();
      const candidates = paths.filter((p) => !removed.includes(p) && !files.some((f) => f.path === p));
      if (r < 0.5 || candidates.length === 0) {
        const path = `${fileNo % 5}/f${fileNo++}.csv`;
        const cells = randomCells(next);
        files.push(commitOf(path, cells, false));
        present.set(path, cells);
      } else {
        const path = candidates[Math.floor(next() * candidates.length)];
        if (r < 0.75) {
          const cells = randomCells(next);
          files.push(commitOf(path, cells, true));
          present.set(path, cells);
        } else {
          removed.push(path);
          present.delete(path);
        }
      }
    }
    await ledger.commit(new Date(), { files, removed, skipped: [], unskipped: [] }, noFence);
    const actual = new Map((await ledger.totals()).map((c) => [key(c), c.items]));
    assert.deepEqual(actual, expectedTotals(present), `after step ${step}`);
  }
  const [packed] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM ingest_files WHERE partial_packed IS NOT NULL',
  );
  const [rows] = await db.query<{ files: number }>(
    'SELECT count(DISTINCT path)::int AS files FROM ingest_partials',
  );
  assert.ok(packed.n > 5, `${packed.n} files packed`);
  assert.ok(rows.files <= 3, `${rows.files} files still have partial rows`);
});
