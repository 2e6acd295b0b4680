// Random committed files for the ledger's property tests: reproducible from a seed, each staged as one or more
// parts of a run (real rows in ingest_parts, packed as the workers pack them) with a few cells and an evaluation
// (holdout) partial that adds up like the cells.
import { randomBytes } from 'node:crypto';
import { contentHash } from '../../src/ingest/read/content-hash.js';
import type { FileCommit } from '../../src/ingest/ledger/ledger-commit.js';
import { addTotalsKeyed, emptyKeyedTotals, type KeyedTotals } from '../../src/ingest/ledger/ledger-totals.js';
import { BUCKETS } from '../../src/ingest/read/order-bucket.js';
import { recordPlannedParts, stagePart, startPart } from '../../src/ingest/ledger/staged-parts.js';
import { emptyTotals } from '../../src/ingest/read/sum-scan.js';
import type { Db } from '../../src/store/db.js';
import { DAYS, HOURS } from '../../src/base/cell.js';

const CATEGORIES = ['fruit', 'tea', 'yogurt', 'bread', 'soup'];

/** A small deterministic pseudo-random generator (the sequence is reproducible from the seed). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** The totals of a few random orders over a random subset of the categories, in a random order. */
export function randomTotals(next: () => number): KeyedTotals {
  const categories = CATEGORIES.filter(() => next() < 0.7).sort(() => next() - 0.5);
  if (categories.length === 0) categories.push('tea');
  const t = emptyTotals(categories.length);
  const width = categories.length;
  const orders = 1 + Math.floor(next() * 8);
  for (let o = 0; o < orders; o++) {
    const slot = Math.floor(next() * 3) * HOURS + Math.floor(next() * 3) + Math.floor(next() * 2) * 20;
    const bucket = Math.floor(next() * BUCKETS);
    t.orders[slot]++;
    t.bucketOrders[bucket * DAYS * HOURS + slot]++;
    for (let c = 0; c < width; c++) {
      const n = next() < 0.5 ? 0 : 1 + Math.floor(next() * 9);
      const at = slot * width + c;
      t.items[at] += n;
      t.squares[at] += n * n;
      t.bucketItems[bucket * DAYS * HOURS * width + at] += n;
    }
  }
  return { categories, totals: t };
}

/** Stages `parts` as the parts of `path` under run `token` (as the workers do) and returns the file's commit. */
export async function stageFile(
  db: Db,
  token: number,
  path: string,
  parts: KeyedTotals[],
): Promise<{ commit: FileCommit; totals: KeyedTotals }> {
  const stat = { size: 100, mtimeMs: 1, ctimeMs: 1, inode: `${path}@${token}` };
  const plans = parts.map((_, index) => ({
    path,
    batch: path.split('/')[0],
    stat,
    index,
    count: parts.length,
    chunkBytes: 4096,
  }));
  await recordPlannedParts(db, token, null, plans);
  const hashes: Buffer[] = [];
  let sum = emptyKeyedTotals();
  for (const [index, part] of parts.entries()) {
    const chunkHashes = randomBytes(32);
    hashes.push(chunkHashes);
    sum = addTotalsKeyed(sum, part);
    await startPart(db, token, plans[index], 'test:1');
    const read = {
      categories: part.categories,
      totals: part.totals,
      badRows: [],
      method: 'scan' as const,
      whole: false,
      start: index * 100,
      end: index * 100 + 100,
      firstChunk: index,
      chunkHashes,
    };
    const orders = part.totals.orders.reduce((n, v) => n + v, 0);
    const items = part.totals.items.reduce((n, v) => n + v, 0);
    await stagePart(db, token, plans[index], { outcome: 'read', part: read, orders, items });
  }
  const orders = sum.totals.orders.reduce((n, v) => n + v, 0);
  const items = sum.totals.items.reduce((n, v) => n + v, 0);
  const commit: FileCommit = {
    path,
    batch: path.split('/')[0],
    sha256: contentHash(hashes),
    stat,
    orders,
    items,
    badRows: [],
    quarantinePath: undefined,
    parts: parts.map((_, i) => i),
  };
  return { commit, totals: sum };
}
