// Reads orders.csv of a relational Instacart folder into the join's left side: order_id → slot (a frozen
// IdIndex) and per slot its (day, hour) cell and holdout bucket packed in a Uint16Array (cell | bucket << 8),
// both over shared memory for the scan threads. One pass over the bytes, a few bytes per order.
// Rows that cannot be used (field count, an id that is not an integer, day or hour out of range, an order id
// seen before) are bad rows with file, line and reason; their line items are then "unknown order".
import fs from 'node:fs';
import { InputError } from '../errors.js';
import type { BadRow } from '../data/order-rows.js';
import { lineBlocks } from '../data/line-blocks.js';
import { IdIndexBuilder, MAX_ID, type FrozenIdIndex } from './id-index.js';
import { orderBucketOfBytes } from './order-bucket.js';
import { DAYS, HOURS } from './sum-scan.js';

export interface InstacartOrders {
  file: string;
  /** order_id → slot. */
  index: FrozenIdIndex;
  /** Per slot: day × 24 + hour in the low byte, the holdout bucket above it. */
  cellBucket: Uint16Array;
  count: number;
  badRows: BadRow[];
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

/** Column names of a CSV header line (quotes and a BOM stripped). */
export function headerColumns(file: string): { columns: string[]; dataStart: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const probe = Buffer.alloc(64 * 1024);
    const read = fs.readSync(fd, probe, 0, probe.length, 0);
    const lf = probe.subarray(0, read).indexOf(LF);
    const text = probe
      .subarray(0, lf < 0 ? read : lf)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .replace(/\r$/, '');
    if (text.trim() === '') throw new InputError(`${file}:1: the file is empty; expected a header line`);
    const columns = text.split(',').map((n) => n.trim().replace(/^"(.*)"$/, '$1'));
    return { columns, dataStart: lf < 0 ? read : lf + 1 };
  } finally {
    fs.closeSync(fd);
  }
}

export function requireColumns(file: string, columns: string[], required: readonly string[]): number[] {
  const missing = required.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new InputError(
      `${file}:1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found ${columns.join(',')})`,
    );
  }
  return required.map((name) => columns.indexOf(name));
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

export function readInstacartOrders(file: string): InstacartOrders {
  const { columns, dataStart } = headerColumns(file);
  const [idCol, dayCol, hourCol] = requireColumns(file, columns, [
    'order_id',
    'order_dow',
    'order_hour_of_day',
  ]);
  const size = fs.statSync(file).size;
  const builder = new IdIndexBuilder();
  let cellBucket = new Uint16Array(1 << 16);
  const badRows: BadRow[] = [];
  const bounds = new Int32Array(columns.length * 2 + 2);
  let line = 1;
  for (const block of lineBlocks(file, dataStart, size)) {
    if (block.end === 0)
      throw new InputError(`${file}:${line + 1}: a line longer than 4 MiB; not an orders row`);
    const { bytes } = block;
    let start = 0;
    while (start < block.end) {
      // A plain loop: Buffer#indexOf per line costs more than the short scan to the LF.
      let lf = start;
      while (bytes[lf] !== LF) lf++;
      const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
      line++;
      const reason = orderRowProblem(bytes, start, end, bounds, columns.length, idCol, dayCol, hourCol);
      if (reason === null) {
        const id = parseUint(bytes, bounds[idCol * 2], bounds[idCol * 2 + 1]);
        const cell =
          parseUint(bytes, bounds[dayCol * 2], bounds[dayCol * 2 + 1]) * HOURS +
          parseUint(bytes, bounds[hourCol * 2], bounds[hourCol * 2 + 1]);
        const slot = builder.size;
        if (builder.add(id, slot)) {
          if (slot === cellBucket.length) {
            const grown = new Uint16Array(cellBucket.length * 2);
            grown.set(cellBucket);
            cellBucket = grown;
          }
          cellBucket[slot] =
            cell | (orderBucketOfBytes(bytes, bounds[idCol * 2], bounds[idCol * 2 + 1]) << 8);
        } else {
          badRows.push({
            file,
            line,
            reason: `order_id ${id} appears twice (the first row counts)`,
            raw: text(bytes, start, end),
          });
        }
      } else if (end > start) {
        badRows.push({ file, line, reason, raw: text(bytes, start, end) });
      }
      start = lf + 1;
    }
  }
  const shared = new Uint16Array(new SharedArrayBuffer(builder.size * 2));
  shared.set(cellBucket.subarray(0, builder.size));
  return { file, index: builder.freeze(), cellBucket: shared, count: builder.size, badRows };
}

function text(bytes: Uint8Array, start: number, end: number): string {
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
