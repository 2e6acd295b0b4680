// The ledger's totals: over random sequences of added, replaced, removed and forgotten files — each staged as parts
// of a run and committed by the ledger's real transaction, with folds at random points — the folded cell totals,
// holdout totals and each committed file's own partial always equal a sum over the files committed now.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { holdoutPartialOf } from '../../src/ingest/ledger/holdout-ledger.js';
import { Ledger } from '../../src/ingest/ledger/ledger.js';
import type { FileCommit } from '../../src/ingest/ledger/ledger-commit.js';
import {
  addTotalsKeyed,
  cellsOf,
  emptyKeyedTotals,
  foldTotals,
  holdoutOf,
  type KeyedTotals,
} from '../../src/ingest/ledger/ledger-totals.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { random, randomTotals, stageFile } from './random-files.js';

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

function sumOf(files: Iterable<KeyedTotals>): KeyedTotals {
  let sum = emptyKeyedTotals();
  for (const t of files) sum = addTotalsKeyed(sum, t);
  return sum;
}

/** Cells and holdout as comparable values (category order inside totals does not matter). */
function comparable(t: KeyedTotals) {
  const holdout = holdoutOf(t);
  return {
    cells: cellsOf(t)
      .map((c) => `${c.day}|${c.hour}|${c.category}=${c.items}`)
      .sort(),
    bucketOrders: holdout.bucketOrders,
    holdout: holdout.cells
      .map((c) => `${c.day}|${c.hour}|${c.category}=${c.buckets.join(',')};${c.squares}`)
      .sort(),
  };
}

test('ledger totals › random adds, replaces, removes and forgets keep the folded totals equal to a full sum', async () => {
  const next = random(20261205);
  const ledger = new Ledger(db);
  const present = new Map<string, KeyedTotals>();
  let fileNo = 0;
  let token = 1000;
  for (let step = 0; step < 60; step++) {
    token++;
    if (step % 7 === 6) {
      const paths = [...present.keys()];
      const chosen = paths.length === 0 ? [] : [paths[Math.floor(next() * paths.length)]];
      await ledger.forget([...chosen, 'never/committed.csv']);
      for (const p of chosen) present.delete(p);
    } else {
      const files: FileCommit[] = [];
      const removed: string[] = [];
      const staged = new Map<string, KeyedTotals>();
      for (let a = 0; a < 1 + Math.floor(next() * 3); a++) {
        const candidates = [...present.keys()].filter((p) => !removed.includes(p) && !staged.has(p));
        const r = next();
        if (r < 0.25 && candidates.length > 0) {
          removed.push(candidates[Math.floor(next() * candidates.length)]);
          continue;
        }
        const path =
          r < 0.6 || candidates.length === 0
            ? `${fileNo % 5}/f${fileNo++}.csv`
            : candidates[Math.floor(next() * candidates.length)];
        const parts = Array.from({ length: 1 + Math.floor(next() * 3) }, () => randomTotals(next));
        const { commit, totals } = await stageFile(db, token, path, parts);
        files.push(commit);
        staged.set(path, totals);
      }
      const result = await ledger.commit(
        {
          token,
          startedAt: new Date(),
          files,
          removed,
          skipped: [],
          vanishedSkipped: [],
          allowDuplicates: false,
        },
        noFence,
      );
      assert.equal(result.added.length, files.length, `every file counted at step ${step}`);
      for (const p of removed) present.delete(p);
      for (const [p, t] of staged) present.set(p, t);
    }
    // Folds happen when some reader needs the totals: not after every commit.
    if (next() < 0.5) {
      const folded = await foldTotals(db);
      assert.equal(folded.generation, await ledger.generation());
      assert.deepEqual(comparable(folded.totals), comparable(sumOf(present.values())), `after step ${step}`);
    }
  }
  const folded = await foldTotals(db);
  assert.deepEqual(comparable(folded.totals), comparable(sumOf(present.values())));
  // Each committed file's own partial (what an increment is scored on) is what its parts staged.
  for (const [path, totals] of present) {
    const stored = await holdoutPartialOf(db, path);
    const key = (h: ReturnType<typeof holdoutOf>) => ({
      bucketOrders: h.bucketOrders,
      cells: h.cells.map((c) => JSON.stringify(c)).sort(),
    });
    assert.deepEqual(stored && key(stored), key(holdoutOf(totals)), path);
  }
  // Nothing is left to fold, and files that left keep no payload.
  const [left] = await db.query<{ queued: number; payloads: number; live: number }>(
    `SELECT (SELECT count(*) FROM ingest_fold_queue)::int AS queued,
       (SELECT count(DISTINCT (path, token)) FROM ingest_parts WHERE payload IS NOT NULL)::int AS payloads,
       (SELECT count(*) FROM ingest_files)::int AS live`,
  );
  assert.equal(left.queued, 0);
  assert.equal(left.payloads, left.live);
});

test('ledger totals › a commit decides duplicates from content hashes: one copy counted, the same content twice in one run too', async () => {
  const ledger = new Ledger(db);
  const next = random(7);
  const part = randomTotals(next);
  const a = await stageFile(db, 5001, 'dup/a.csv', [part]);
  const b = await stageFile(db, 5001, 'dup/b.csv', [part]);
  // Same content: the test gives both the same chunk hashes, as the parts of identical bytes compute.
  b.commit.sha256 = a.commit.sha256;
  const first = await ledger.commit(
    {
      token: 5001,
      startedAt: new Date(),
      files: [a.commit, b.commit],
      removed: [],
      skipped: [],
      vanishedSkipped: [],
      allowDuplicates: false,
    },
    noFence,
  );
  assert.deepEqual(
    first.added.map((f) => f.path),
    ['dup/a.csv'],
  );
  assert.deepEqual(
    first.duplicates.map((f) => [f.path, f.duplicateOf]),
    [['dup/b.csv', 'dup/a.csv']],
  );
  // Under another path in a later run: still a duplicate. Once the original is removed, the copy counts.
  const c = await stageFile(db, 5002, 'dup/c.csv', [part]);
  c.commit.sha256 = a.commit.sha256;
  const second = await ledger.commit(
    {
      token: 5002,
      startedAt: new Date(),
      files: [c.commit],
      removed: ['dup/a.csv'],
      skipped: [],
      vanishedSkipped: [],
      allowDuplicates: false,
    },
    noFence,
  );
  assert.deepEqual(
    second.added.map((f) => f.path),
    ['dup/c.csv'],
  );
  assert.deepEqual(second.removed, ['dup/a.csv']);
});
