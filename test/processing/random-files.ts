// Random committed files for the ledger's property tests: reproducible from a seed, a few cells each, with an
// evaluation (holdout) partial that adds up like the cells.
import type { Cell } from '../../src/processing/cells.js';
import type { HoldoutPartial } from '../../src/processing/holdout.js';
import type { FileCommit } from '../../src/processing/ledger.js';
import { BUCKETS } from '../../src/processing/order-bucket.js';

const CATEGORIES = ['fruit', 'tea', 'yogurt', 'bread'];

/** A small deterministic pseudo-random generator (the sequence is reproducible from the seed). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export function randomCells(next: () => number): Cell[] {
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

/** A holdout partial of `cells`: each cell's items spread over the buckets, squares at least the items. */
export function randomHoldout(cells: Cell[], next: () => number): HoldoutPartial {
  return {
    bucketOrders: Array.from({ length: BUCKETS }, () => Math.floor(next() * 20)),
    cells: cells.map((c) => {
      const buckets = new Array<number>(BUCKETS).fill(0);
      for (let i = 0; i < c.items; i++) buckets[Math.floor(next() * BUCKETS)]++;
      return {
        day: c.day,
        hour: c.hour,
        category: c.category,
        buckets,
        squares: c.items + Math.floor(next() * 1000),
      };
    }),
  };
}

export function commitOf(
  path: string,
  cells: Cell[],
  replaces: boolean,
  holdout?: HoldoutPartial,
): FileCommit {
  const items = cells.reduce((n, c) => n + c.items, 0);
  return {
    path,
    batch: path.split('/')[0],
    sha256: `${path}:${items}:${cells.length}`,
    stat: { size: items, mtimeMs: 1, ctimeMs: 1, inode: path },
    orders: cells.length,
    items,
    cells,
    holdout,
    badRows: [],
    quarantinePath: undefined,
    replaces,
  };
}
