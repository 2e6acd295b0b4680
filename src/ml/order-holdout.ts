// Reads the order holdout written beside each training input (ingest/read/holdout.ts) onto the training set's
// dense grid: items per order bucket per cell, per-cell sums of squares and orders per bucket, summed over the
// inputs. Null (and why) when an input has no holdout file, an incomplete one, or one that does not add up to
// the aggregate it sits beside: training then falls back to holding out cells.
import { BUCKETS } from '../ingest/read/order-bucket.js';
import { holdoutPathFor, readHoldoutFile } from '../ingest/read/holdout.js';
import type { TrainingSet } from './dataset.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface OrderHoldout {
  /** BUCKETS dense grids, index (day × 24 + hour) × C + category (the training set's categories). */
  bucketItems: Float64Array[];
  /** Dense grid of Σ squared per-order counts. */
  squares: Float64Array;
  bucketOrders: number[];
  /** The holdout files read, in input order. */
  files: string[];
}

export async function readOrderHoldout(
  inputs: readonly string[],
  set: TrainingSet,
): Promise<{ holdout: OrderHoldout | null; reason: string }> {
  const c = set.categories.length;
  const index = new Map(set.categories.map((name, i) => [name, i]));
  const size = DAYS * HOURS * c;
  const holdout: OrderHoldout = {
    bucketItems: Array.from({ length: BUCKETS }, () => new Float64Array(size)),
    squares: new Float64Array(size),
    bucketOrders: new Array<number>(BUCKETS).fill(0),
    files: [],
  };
  for (const input of inputs) {
    const file = holdoutPathFor(input);
    const read = await readHoldoutFile(file);
    if (!read) return { holdout: null, reason: `no order holdout beside ${input} (${file})` };
    if (!read.complete)
      return { holdout: null, reason: `${file} is incomplete (files committed before the holdout existed)` };
    holdout.files.push(file);
    read.bucketOrders.forEach((n, b) => (holdout.bucketOrders[b] += n));
    for (const cell of read.cells) {
      const k = index.get(cell.category);
      if (k === undefined)
        return { holdout: null, reason: `${file}: category ${cell.category} not in the aggregate` };
      const g = (cell.day * HOURS + cell.hour) * c + k;
      cell.buckets.forEach((n, b) => (holdout.bucketItems[b][g] += n));
      holdout.squares[g] += cell.squares;
    }
  }
  // The buckets must add up to the aggregate's cells, or the holdout describes other data.
  if (set.mode === 'grid') {
    for (let i = 0; i < set.rows.length; i++) {
      const g = (set.rows.day[i] * HOURS + set.rows.hour[i]) * c + set.rows.cat[i];
      let sum = 0;
      for (let b = 0; b < BUCKETS; b++) sum += holdout.bucketItems[b][g];
      if (Math.abs(sum - set.rows.y[i]) > 1e-6)
        return {
          holdout: null,
          reason: 'the order holdout does not add up to the aggregate (written at another time?)',
        };
    }
  }
  return { holdout, reason: `orders held out by bucket (${holdout.files.join(', ')})` };
}
