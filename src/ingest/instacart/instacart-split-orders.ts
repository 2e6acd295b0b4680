// Puts Σ count² right for orders whose line items are not one run (instacart-scan.ts squares each run on its
// own): a second pass over the order_products files, reading only the lines of those orders, adds
// (whole count)² − Σ (run count)² per (order, category). The published files are sorted by order_id, so this
// pass does not run on them; memory is one map entry per (split order, category).
import { lineBlocks } from '../../data/line-blocks.js';
import { lookupId, type FrozenIdIndex } from '../read/id-index.js';
import { parseUint, splitFields } from './instacart-orders-range.js';
import type { ScanTotals } from '../read/sum-scan.js';

export interface SplitFileLayout {
  file: string;
  dataStart: number;
  end: number;
  fields: number;
  orderCol: number;
  productCol: number;
}

const LF = 10;
const CR = 13;

export function fixSplitOrders(
  files: readonly SplitFileLayout[],
  split: Uint8Array,
  orders: FrozenIdIndex,
  cellBucket: Uint16Array,
  products: FrozenIdIndex,
  categories: number,
  totals: ScanTotals,
): void {
  const whole = new Map<number, number>();
  const runSquares = new Map<number, number>();
  for (const f of files) {
    const bounds = new Int32Array(f.fields * 2 + 2);
    // The current run (of any order: a run of another order ends a split order's run too).
    let runSlot = -1;
    const run = new Map<number, number>();
    const closeRun = (): void => {
      for (const [key, n] of run) runSquares.set(key, (runSquares.get(key) ?? 0) + n * n);
      run.clear();
    };
    for (const block of lineBlocks(f.file, f.dataStart, f.end)) {
      const { bytes } = block;
      let start = 0;
      while (start < block.end) {
        const lf = bytes.indexOf(LF, start);
        const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
        const lineStart = start;
        start = lf + 1;
        if (end <= lineStart || splitFields(bytes, lineStart, end, bounds) !== f.fields) continue;
        const orderId = parseUint(bytes, bounds[f.orderCol * 2], bounds[f.orderCol * 2 + 1]);
        const productId = parseUint(bytes, bounds[f.productCol * 2], bounds[f.productCol * 2 + 1]);
        const slot = orderId < 0 ? -1 : lookupId(orders, orderId);
        const category = slot < 0 || productId < 0 ? -1 : lookupId(products, productId);
        if (category < 0) continue; // a bad row: quarantined by the first pass, and it does not end a run
        if (slot !== runSlot) {
          closeRun();
          runSlot = slot;
        }
        if (split[slot] === 0) continue;
        const key = slot * categories + category;
        whole.set(key, (whole.get(key) ?? 0) + 1);
        run.set(key, (run.get(key) ?? 0) + 1);
      }
    }
    closeRun();
  }
  for (const [key, n] of whole) {
    const slot = Math.floor(key / categories);
    const category = key - slot * categories;
    totals.squares[(cellBucket[slot] & 0xff) * categories + category] += n * n - (runSquares.get(key) ?? 0);
  }
}
