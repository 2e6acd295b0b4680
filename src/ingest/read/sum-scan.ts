// The fast path's inner loop: validates and sums complete lines of a wide orders CSV in one pass over the
// bytes. It accepts only a strict subset of what the exact validator (data/order-rows.ts) accepts — plain
// digits for day, hour and counts, a plain decimal or nothing for days_since_prior_order, an order id of
// printable ASCII without quotes or commas, each field optionally wrapped in double quotes, LF or CRLF line ends — and
// gives up on anything else, so a file it accepts gets exactly the result the exact path would give.
// Giving up is never a verdict on a row: the exact validator then reads the file and decides.
import type { OrdersHeader } from '../../data/orders-header.js';
import { BUCKETS, orderBucketOfBytes } from './order-bucket.js';
import { DAYS, HOURS } from '../../base/cell.js';

/** What each column is, in file order; built once per header and shared with the scan threads. */
export interface ScanLayout {
  /** One of the KIND_* values per column. */
  kinds: Uint8Array;
  /** Category index (position in header.categories) per column, -1 for the order columns. */
  categoryOf: Int32Array;
  categories: number;
  /** Day and hour come before every count column, so a row's counts can be added as they are read. */
  dayHourFirst: boolean;
}

const KIND_COUNT = 0;
const KIND_ORDER_ID = 1;
const KIND_DAY = 2;
const KIND_HOUR = 3;
const KIND_PRIOR = 4;

/** More digits than this could overflow the exact path's UINTEGER column: let the exact path decide. */
const MAX_COUNT_DIGITS = 9;

export function scanLayout(header: OrdersHeader): ScanLayout {
  const { index } = header;
  const kinds = new Uint8Array(header.columns.length);
  const categoryOf = new Int32Array(header.columns.length).fill(-1);
  const categoryIndex = new Map(header.categories.map((name, i) => [name, i]));
  header.columns.forEach((name, i) => {
    if (i === index.order_id) kinds[i] = KIND_ORDER_ID;
    else if (i === index.order_dow) kinds[i] = KIND_DAY;
    else if (i === index.order_hour_of_day) kinds[i] = KIND_HOUR;
    else if (i === index.days_since_prior_order) kinds[i] = KIND_PRIOR;
    else {
      kinds[i] = KIND_COUNT;
      categoryOf[i] = categoryIndex.get(name)!;
    }
  });
  const firstCount = kinds.indexOf(KIND_COUNT);
  const dayHourFirst =
    firstCount < 0 || (index.order_dow < firstCount && index.order_hour_of_day < firstCount);
  return { kinds, categoryOf, categories: header.categories.length, dayHourFirst };
}

/**
 * Running totals of one scan: orders per (day, hour) cell and items per (day, hour, category), and for judging
 * models on held-out orders (see order-bucket.ts) the same split by order bucket plus each cell's sum of squared
 * per-order counts (the noise floor's raw material).
 */
export interface ScanTotals {
  /** DAYS × HOURS. */
  orders: Float64Array<ArrayBuffer>;
  /** DAYS × HOURS × categories, category fastest. */
  items: Float64Array<ArrayBuffer>;
  /** BUCKETS × DAYS × HOURS: orders per bucket and cell. */
  bucketOrders: Float64Array<ArrayBuffer>;
  /** BUCKETS × DAYS × HOURS × categories: items per bucket and cell (they add up to `items`). */
  bucketItems: Float64Array<ArrayBuffer>;
  /** DAYS × HOURS × categories: Σ over orders of (the order's count in the cell)². */
  squares: Float64Array<ArrayBuffer>;
}

export function emptyTotals(categories: number): ScanTotals {
  return {
    orders: new Float64Array(DAYS * HOURS),
    items: new Float64Array(DAYS * HOURS * categories),
    bucketOrders: new Float64Array(BUCKETS * DAYS * HOURS),
    bucketItems: new Float64Array(BUCKETS * DAYS * HOURS * categories),
    squares: new Float64Array(DAYS * HOURS * categories),
  };
}

/** The buffers of a totals value, to move them to another thread. */
export function totalsBuffers(t: ScanTotals): ArrayBuffer[] {
  return [t.orders.buffer, t.items.buffer, t.bucketOrders.buffer, t.bucketItems.buffer, t.squares.buffer];
}

export function addTotals(into: ScanTotals, from: ScanTotals): void {
  const add = (a: Float64Array, b: Float64Array): void => {
    for (let i = 0; i < a.length; i++) a[i] += b[i];
  };
  add(into.orders, from.orders);
  add(into.items, from.items);
  add(into.bucketOrders, from.bucketOrders);
  add(into.bucketItems, from.bucketItems);
  add(into.squares, from.squares);
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const DOT = 46;
const SPACE = 32;
const DEL = 127;
const ZERO = 48;
const NINE = 57;

/**
 * Scans the complete lines in bytes[start, end) — `end` must be just past a LF — into `totals`.
 * Returns the number of lines, or -1 at the first byte outside the accepted subset (totals are then
 * partial and must be thrown away).
 */
export function scanLines(
  bytes: Uint8Array,
  start: number,
  end: number,
  layout: ScanLayout,
  totals: ScanTotals,
): number {
  const { kinds, categoryOf, categories, dayHourFirst } = layout;
  const last = kinds.length - 1;
  const { orders, items, bucketOrders, bucketItems, squares } = totals;
  const cellsPerBucket = DAYS * HOURS * categories;
  // Counts of a row whose day or hour comes after some counts wait here until the row's cell is known.
  const pending = new Float64Array(categories);
  // The row's non-zero counts, added to its bucket and squares once the order id (and cell) are known.
  const rowCat = new Int32Array(categories);
  const rowVal = new Float64Array(categories);
  let lines = 0;
  let i = start;
  while (i < end) {
    let day = -1;
    let hour = -1;
    let base = -1;
    let idStart = -1;
    let idEnd = -1;
    let nonzero = 0;
    if (!dayHourFirst) pending.fill(0);
    for (let col = 0; ; col++) {
      const kind = kinds[col];
      let b = bytes[i];
      // Most counts are a bare 0: nothing to add, skip it and its comma.
      if (kind === KIND_COUNT && b === ZERO && bytes[i + 1] === COMMA && col < last) {
        i += 2;
        continue;
      }
      const quoted = b === QUOTE;
      if (quoted) b = bytes[++i];
      if (kind === KIND_COUNT || kind === KIND_DAY || kind === KIND_HOUR) {
        let value = 0;
        const first = i;
        while (b >= ZERO && b <= NINE) {
          value = value * 10 + (b - ZERO);
          b = bytes[++i];
        }
        const digits = i - first;
        if (digits === 0 || digits > MAX_COUNT_DIGITS) return -1;
        if (kind === KIND_COUNT) {
          if (base >= 0) items[base + categoryOf[col]] += value;
          else pending[categoryOf[col]] = value;
          if (value > 0) {
            rowCat[nonzero] = categoryOf[col];
            rowVal[nonzero++] = value;
          }
        } else {
          if (kind === KIND_DAY) {
            if (value >= DAYS) return -1;
            day = value;
          } else {
            if (value >= HOURS) return -1;
            hour = value;
          }
          if (dayHourFirst && day >= 0 && hour >= 0) base = (day * HOURS + hour) * categories;
        }
      } else if (kind === KIND_PRIOR) {
        // Empty (a first order) or a plain non-negative decimal such as 7 or 7.0.
        let digits = 0;
        let dots = 0;
        for (;;) {
          if (b >= ZERO && b <= NINE) digits++;
          else if (b === DOT) dots++;
          else break;
          b = bytes[++i];
        }
        if (dots > 1 || (dots === 1 && digits === 0)) return -1;
      } else {
        // order_id: printable ASCII but separators and quotes, and not blank. Control characters and
        // anything beyond ASCII (which may not be UTF-8 at all) are left to the exact path to judge.
        let visible = 0;
        idStart = i;
        while (b !== COMMA && b !== LF && b !== CR && b !== QUOTE) {
          if (b < SPACE || b >= DEL) return -1;
          if (b !== SPACE) visible++;
          b = bytes[++i];
        }
        idEnd = i;
        if (visible === 0) return -1;
      }
      if (quoted) {
        if (b !== QUOTE) return -1;
        b = bytes[++i];
      }
      if (col < last) {
        if (b !== COMMA) return -1;
        i++;
        continue;
      }
      if (b === CR) b = bytes[++i];
      if (b !== LF) return -1;
      i++;
      break;
    }
    const cell = day * HOURS + hour;
    orders[cell]++;
    const rowBase = cell * categories;
    if (!dayHourFirst) for (let c = 0; c < categories; c++) items[rowBase + c] += pending[c];
    const bucket = orderBucketOfBytes(bytes, idStart, idEnd);
    bucketOrders[bucket * DAYS * HOURS + cell]++;
    const bucketBase = bucket * cellsPerBucket + rowBase;
    for (let k = 0; k < nonzero; k++) {
      const v = rowVal[k];
      bucketItems[bucketBase + rowCat[k]] += v;
      squares[rowBase + rowCat[k]] += v * v;
    }
    lines++;
  }
  return lines;
}
