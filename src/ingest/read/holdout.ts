// The evaluation partials every aggregation also produces: per cell, the items of each order bucket
// (order-bucket.ts; bucket 0 is the holdout) and the sum of squared per-order counts, plus the orders per bucket.
// They add up across files like the cells do. Written beside each aggregate CSV as <name>.holdout.json, so the
// training stage can train on the other buckets' orders, score on the held-out ones and estimate the noise floor.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../data/atomic.js';
import { InputError } from '../../base/errors.js';
import { BUCKETS } from './order-bucket.js';
import { type ScanTotals } from './sum-scan.js';
import { cellKey, DAYS, HOURS } from '../../base/cell.js';

export interface HoldoutCell {
  day: number;
  hour: number;
  category: string;
  /** Items of the cell's orders in each bucket (BUCKETS entries). */
  buckets: number[];
  /** Σ over the cell's orders of (the order's count)². */
  squares: number;
}

export interface HoldoutPartial {
  /** Orders per bucket (BUCKETS entries). */
  bucketOrders: number[];
  /** Cells with at least one item. */
  cells: HoldoutCell[];
}

export const HOLDOUT_FORMAT = 'orderflow-holdout';
const HOLDOUT_RULE = 'bucket = md5(order_id as written)[0] mod 5; bucket 0 held out';

/** Where the aggregate's data came from: its input files, and for the incremental output the ledger generation. */
export interface HoldoutSources {
  /** Input files (batch: as given to aggregate; incremental: paths relative to incremental/raw). */
  files: string[];
  /** The ledger generation the incremental output shows (absent for the batch aggregate). */
  generation?: number;
}

export interface HoldoutFile extends HoldoutPartial {
  format: typeof HOLDOUT_FORMAT;
  rule: string;
  /** False when some of the aggregate's input was committed without evaluation partials (before 0007). */
  complete: boolean;
  /** Lineage of the aggregate (absent in files written before it was recorded). */
  sources?: HoldoutSources;
}

const emptyHoldout = (): HoldoutPartial => ({
  bucketOrders: new Array<number>(BUCKETS).fill(0),
  cells: [],
});

export function holdoutFromTotals(totals: ScanTotals, categories: readonly string[]): HoldoutPartial {
  const width = categories.length;
  const perBucket = DAYS * HOURS * width;
  const bucketOrders = new Array<number>(BUCKETS).fill(0);
  for (let b = 0; b < BUCKETS; b++)
    for (let cell = 0; cell < DAYS * HOURS; cell++)
      bucketOrders[b] += totals.bucketOrders[b * DAYS * HOURS + cell];
  const cells: HoldoutCell[] = [];
  for (let day = 0; day < DAYS; day++)
    for (let hour = 0; hour < HOURS; hour++)
      for (let c = 0; c < width; c++) {
        const g = (day * HOURS + hour) * width + c;
        if (totals.items[g] <= 0) continue;
        const buckets = Array.from({ length: BUCKETS }, (_, b) => totals.bucketItems[b * perBucket + g]);
        cells.push({ day, hour, category: categories[c], buckets, squares: totals.squares[g] });
      }
  return { bucketOrders, cells };
}

/** Adds up partials (cells keyed by day, hour and category). */
export function sumHoldouts(parts: Iterable<HoldoutPartial>): HoldoutPartial {
  const out = emptyHoldout();
  const byKey = new Map<string, HoldoutCell>();
  for (const part of parts) {
    part.bucketOrders.forEach((n, b) => (out.bucketOrders[b] += n));
    for (const cell of part.cells) {
      const key = cellKey(cell);
      const have = byKey.get(key);
      if (have) {
        cell.buckets.forEach((n, b) => (have.buckets[b] += n));
        have.squares += cell.squares;
      } else byKey.set(key, { ...cell, buckets: [...cell.buckets] });
    }
  }
  out.cells = [...byKey.values()];
  return out;
}

/** DATA_DIR/processed/orders.csv → DATA_DIR/processed/orders.holdout.json. */
export const holdoutPathFor = (aggregateCsv: string): string =>
  aggregateCsv.replace(/\.csv$/i, '') + '.holdout.json';

export async function writeHoldoutFile(
  file: string,
  partial: HoldoutPartial,
  complete: boolean,
  sources: HoldoutSources,
): Promise<void> {
  const body: HoldoutFile = { format: HOLDOUT_FORMAT, rule: HOLDOUT_RULE, complete, sources, ...partial };
  await writeFileAtomic(file, JSON.stringify(body));
}

/** The holdout file, or undefined when there is none; InputError when it is not one. */
export async function readHoldoutFile(file: string): Promise<HoldoutFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const raw = JSON.parse(text) as Partial<HoldoutFile>;
  if (raw.format !== HOLDOUT_FORMAT || !Array.isArray(raw.cells) || !Array.isArray(raw.bucketOrders))
    throw new InputError(`${file}: not an orderflow holdout file`);
  return raw as HoldoutFile;
}
