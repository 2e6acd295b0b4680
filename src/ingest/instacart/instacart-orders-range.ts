// Parses one byte range of orders.csv (whole lines) into flat arrays: per good row its order_id, its packed
// (cell | holdout bucket << 8) and its line index within the range; bad rows with their reason and text.
// Synchronous and self-contained: it runs on a scan thread (instacart-orders-worker.ts) or, for one range,
// on the calling thread. Which of two rows with one order_id counts is decided by the caller, in file order.
import { lineBlocks } from '../../data/line-blocks.js';
import { MAX_ID } from '../read/id-index.js';
import { orderBucketOfBytes } from '../read/order-bucket.js';
import { DAYS, HOURS } from '../../base/cell.js';

export interface OrdersRangeJob {
  file: string;
  start: number;
  end: number;
  width: number;
  idCol: number;
  dayCol: number;
  hourCol: number;
}

export interface OrdersRangeResult {
  count: number;
  ids: Uint32Array;
  packed: Uint16Array;
  lineOf: Uint32Array;
  bad: { index: number; reason: string; raw: string }[];
  lines: number;
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

function grown<T extends Uint32Array | Uint16Array>(a: T, make: (n: number) => T): T {
  const b = make(a.length * 2);
  b.set(a);
  return b;
}

export function parseOrdersRange(job: OrdersRangeJob): OrdersRangeResult {
  const { idCol, dayCol, hourCol, width } = job;
  let ids = new Uint32Array(1 << 16);
  let packed = new Uint16Array(1 << 16);
  let lineOf = new Uint32Array(1 << 16);
  const bad: OrdersRangeResult['bad'] = [];
  const bounds = new Int32Array(width * 2 + 2);
  let count = 0;
  let lines = 0;
  for (const block of lineBlocks(job.file, job.start, job.end)) {
    if (block.end === 0) throw new Error(`${job.file}: a line longer than 4 MiB after byte ${job.start}`);
    const { bytes } = block;
    let start = 0;
    while (start < block.end) {
      // A plain loop: Buffer#indexOf per line costs more than the short scan to the LF.
      let lf = start;
      while (bytes[lf] !== LF) lf++;
      const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
      const index = lines++;
      const reason = orderRowProblem(bytes, start, end, bounds, width, idCol, dayCol, hourCol);
      if (reason === null) {
        if (count === ids.length) {
          ids = grown(ids, (n) => new Uint32Array(n));
          packed = grown(packed, (n) => new Uint16Array(n));
          lineOf = grown(lineOf, (n) => new Uint32Array(n));
        }
        const from = bounds[idCol * 2];
        const to = bounds[idCol * 2 + 1];
        ids[count] = parseUint(bytes, from, to);
        const cell =
          parseUint(bytes, bounds[dayCol * 2], bounds[dayCol * 2 + 1]) * HOURS +
          parseUint(bytes, bounds[hourCol * 2], bounds[hourCol * 2 + 1]);
        packed[count] = cell | (orderBucketOfBytes(bytes, from, to) << 8);
        lineOf[count++] = index;
      } else if (end > start) {
        bad.push({ index, reason, raw: text(bytes, start, end) });
      }
      start = lf + 1;
    }
  }
  return {
    count,
    ids: ids.slice(0, count),
    packed: packed.slice(0, count),
    lineOf: lineOf.slice(0, count),
    bad,
    lines,
  };
}

/**
 * The bounds of each field of the line at bytes[start, end) (no line end) into `bounds` (start, end pairs, one
 * pair of surrounding quotes stripped). Returns the field count, or −1 for a quote inside a field (not a form the
 * relational files use: the row is reported, not guessed at).
 */
export function splitFields(bytes: Uint8Array, start: number, end: number, bounds: Int32Array): number {
  let count = 0;
  let i = start;
  for (;;) {
    let from = i;
    while (i < end && bytes[i] !== COMMA) i++;
    let to = i;
    if (to - from >= 2 && bytes[from] === QUOTE && bytes[to - 1] === QUOTE) {
      from++;
      to--;
    }
    for (let k = from; k < to; k++) if (bytes[k] === QUOTE) return -1;
    if (count * 2 + 1 < bounds.length) {
      bounds[count * 2] = from;
      bounds[count * 2 + 1] = to;
    }
    count++;
    if (i >= end) return count;
    i++;
  }
}

/** The non-negative integer in bytes[from, to) (digits only, at most MAX_ID), or −1. */
export function parseUint(bytes: Uint8Array, from: number, to: number): number {
  if (to <= from || to - from > 10) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = bytes[i] - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value <= MAX_ID ? value : -1;
}

export function text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

function fieldText(bytes: Uint8Array, bounds: Int32Array, col: number): string {
  return text(bytes, bounds[col * 2], bounds[col * 2 + 1]);
}

// No closures in here: it runs once per order.
function orderRowProblem(
  bytes: Uint8Array,
  start: number,
  end: number,
  bounds: Int32Array,
  width: number,
  idCol: number,
  dayCol: number,
  hourCol: number,
): string | null {
  if (end <= start) return 'empty line';
  const fields = splitFields(bytes, start, end, bounds);
  if (fields < 0) return 'a quote inside a field';
  if (fields !== width) return `expected ${width} fields, found ${fields}`;
  if (parseUint(bytes, bounds[idCol * 2], bounds[idCol * 2 + 1]) < 0)
    return `order_id ${JSON.stringify(fieldText(bytes, bounds, idCol))} is not an integer 0–${MAX_ID}`;
  const day = parseUint(bytes, bounds[dayCol * 2], bounds[dayCol * 2 + 1]);
  if (day < 0 || day >= DAYS)
    return `order_dow ${JSON.stringify(fieldText(bytes, bounds, dayCol))} is not a day 0–6`;
  const hour = parseUint(bytes, bounds[hourCol * 2], bounds[hourCol * 2 + 1]);
  if (hour < 0 || hour >= HOURS)
    return `order_hour_of_day ${JSON.stringify(fieldText(bytes, bounds, hourCol))} is not an hour 0–23`;
  return null;
}
