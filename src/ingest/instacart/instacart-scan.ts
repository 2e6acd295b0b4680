// The hot loop of the relational join: one pass over a byte range of an order_products file, each line
// looked up twice in typed arrays (order_id → slot → (cell, bucket); product_id → category) and added to the
// same ScanTotals the wide scanner fills (sum-scan.ts), so both formats end in the same cells.
// A wide row is one order; here an order is a run of consecutive lines with one order_id (the published files
// are sorted by order_id). Σ count² per cell needs each order's whole count per category, so counts are kept
// for the current run and squared when it ends. Runs are counted per order in a shared Int32Array; an order
// seen in more than one run (unsorted input, or a run cut by a range edge) is put right afterwards
// (instacart-aggregate.ts). The first and last run of the range are reported for that.
// Lines that cannot be joined (malformed, unknown order, unknown product) are reported with their line index
// within the range and never counted. Synchronous: it runs in a scan thread.
import { lineBlocks, DEFAULT_BLOCK_BYTES } from '../../data/line-blocks.js';
import { lookupId, type FrozenIdIndex } from '../read/id-index.js';
import { emptyTotals, type ScanTotals } from '../read/sum-scan.js';
import { DAYS, HOURS } from '../../base/cell.js';

export interface LineItemJob {
  file: string;
  start: number;
  end: number;
  orders: FrozenIdIndex;
  cellBucket: Uint16Array;
  products: FrozenIdIndex;
  /** Runs per order slot, shared by every range. */
  runs: Int32Array;
  categories: number;
  fields: number;
  orderCol: number;
  productCol: number;
  blockBytes?: number;
}

/** A run at the edge of a range: its order slot and the categories and counts of its lines. */
export interface RunEdge {
  slot: number;
  categories: number[];
  counts: number[];
}

export interface LineItemBad {
  /** 0-based index of the line within the range. */
  index: number;
  reason: string;
  raw: string;
}

export interface LineItemResult {
  lines: number;
  totals: ScanTotals;
  bad: LineItemBad[];
  first: RunEdge | null;
  last: RunEdge | null;
  /** The range holds one run only (first and last are the same run). */
  oneRun: boolean;
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

const BAD_SHAPE = -2;
const BAD_ORDER_ID = -3;
const BAD_PRODUCT_ID = -4;

export function scanLineItems(job: LineItemJob): LineItemResult {
  const { orders, cellBucket, products, runs, categories, fields, orderCol, productCol } = job;
  const totals = emptyTotals(categories);
  const { items, bucketItems, squares } = totals;
  const cellsPerBucket = DAYS * HOURS * categories;
  const bad: LineItemBad[] = [];
  // The current run: its counts per category, the categories it touched, its order slot and cell.
  const runCounts = new Int32Array(categories);
  const touched = new Int32Array(categories);
  let touchedCount = 0;
  let runSlot = -1;
  let runBase = 0;
  let runBucketBase = 0;
  let first: RunEdge | null = null;
  let runsSeen = 0;
  const edge = (): RunEdge => {
    const cats: number[] = [];
    const counts: number[] = [];
    for (let k = 0; k < touchedCount; k++) {
      cats.push(touched[k]);
      counts.push(runCounts[touched[k]]);
    }
    return { slot: runSlot, categories: cats, counts };
  };
  const closeRun = (): void => {
    if (runsSeen === 1) first = edge();
    for (let k = 0; k < touchedCount; k++) {
      const c = touched[k];
      const n = runCounts[c];
      squares[runBase + c] += n * n;
      runCounts[c] = 0;
    }
    touchedCount = 0;
  };
  let lastOrderId = -1;
  let lastSlot = -1;
  let lines = 0;
  for (const block of lineBlocks(job.file, job.start, job.end, job.blockBytes ?? DEFAULT_BLOCK_BYTES)) {
    if (block.end === 0)
      throw new Error(`${job.file}: a line longer than the read block at byte ≥ ${job.start}`);
    const bytes = block.bytes;
    const stop = block.end;
    let i = 0;
    while (i < stop) {
      const lineStart = i;
      if (bytes[i] === LF || (bytes[i] === CR && bytes[i + 1] === LF)) {
        // A blank line is not a row (it still counts for the line numbers).
        i += bytes[i] === LF ? 1 : 2;
        lines++;
        continue;
      }
      let orderId = -1;
      let productId = -1;
      let status = 0;
      for (let col = 0; ; col++) {
        let b = bytes[i];
        const quoted = b === QUOTE;
        if (quoted) b = bytes[++i];
        if (col === orderCol || col === productCol) {
          let value = 0;
          let digits = 0;
          while (b >= 48 && b <= 57) {
            value = value * 10 + (b - 48);
            digits++;
            b = bytes[++i];
          }
          if (digits === 0 || digits > 10 || value > 0xfffffffe)
            status = col === orderCol ? BAD_ORDER_ID : BAD_PRODUCT_ID;
          if (col === orderCol) orderId = value;
          else productId = value;
        } else {
          while (b !== COMMA && b !== LF && b !== CR && b !== QUOTE) b = bytes[++i];
        }
        if (quoted) {
          if (b === QUOTE) b = bytes[++i];
          else status = BAD_SHAPE;
        }
        if (b === COMMA) {
          i++;
          if (col === fields - 1) status = BAD_SHAPE;
          if (status === BAD_SHAPE) break;
          continue;
        }
        if (b === CR && bytes[i + 1] === LF) b = bytes[++i];
        if (b !== LF || col !== fields - 1) status = BAD_SHAPE;
        break;
      }
      // Past the line end (a malformed line is skipped to its LF as a whole).
      while (bytes[i] !== LF) i++;
      i++;
      const index = lines++;
      let slot = -1;
      let category = -1;
      if (status === 0) {
        slot = orderId === lastOrderId ? lastSlot : lookupId(orders, orderId);
        if (slot < 0) status = BAD_ORDER_ID;
        else {
          lastOrderId = orderId;
          lastSlot = slot;
          category = lookupId(products, productId);
          if (category < 0) status = BAD_PRODUCT_ID;
        }
      }
      if (status !== 0) {
        bad.push({
          index,
          reason: reasonOf(status, orderId, productId, job),
          raw: rawLine(bytes, lineStart, i),
        });
        continue;
      }
      if (slot !== runSlot) {
        if (runSlot >= 0) closeRun();
        runSlot = slot;
        runsSeen++;
        Atomics.add(runs, slot, 1);
        const packed = cellBucket[slot];
        const cell = packed & 0xff;
        runBase = cell * categories;
        runBucketBase = (packed >> 8) * cellsPerBucket + runBase;
      }
      items[runBase + category]++;
      bucketItems[runBucketBase + category]++;
      if (runCounts[category]++ === 0) touched[touchedCount++] = category;
    }
  }
  let last: RunEdge | null = null;
  if (runSlot >= 0) {
    last = edge();
    closeRun();
  }
  return { lines, totals, bad, first, last, oneRun: runsSeen === 1 };
}

function rawLine(bytes: Uint8Array, start: number, end: number): string {
  let to = end - 1;
  if (to > start && bytes[to - 1] === CR) to--;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, to - start).toString('utf8');
}

function reasonOf(status: number, orderId: number, productId: number, job: LineItemJob): string {
  if (status === BAD_SHAPE)
    return `expected ${job.fields} comma-separated fields (order_id and product_id integers)`;
  if (status === BAD_ORDER_ID)
    return orderId >= 0 && orderId <= 0xfffffffe
      ? `order_id ${orderId} is not in orders.csv (or its row there was rejected)`
      : 'order_id is not an integer 0–4294967294';
  return productId >= 0 && productId <= 0xfffffffe
    ? `product_id ${productId} is not in products.csv (or its row there was rejected)`
    : 'product_id is not an integer 0–4294967294';
}
