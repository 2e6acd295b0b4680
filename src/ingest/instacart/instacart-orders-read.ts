// Reads orders.csv of a relational Instacart folder into the join's left side: order_id → slot (a frozen
// IdIndex) and per slot its (day, hour) cell and holdout bucket packed in a Uint16Array (cell | bucket << 8),
// both over shared memory for the scan threads. The file is cut into one range per core, parsed on threads
// (instacart-orders-range.ts), and the ids are indexed here in file order; a few bytes per order.
// Rows that cannot be used (field count, an id that is not an integer, day or hour out of range, an order id
// seen before) are bad rows with file, line and reason; their line items are then "unknown order".
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import { InputError } from '../../base/errors.js';
import type { BadRow } from '../../data/order-rows.js';
import { lineBlocks } from '../../data/line-blocks.js';
import { IdIndexBuilder, type FrozenIdIndex } from '../read/id-index.js';
import {
  parseOrdersRange,
  text,
  type OrdersRangeJob,
  type OrdersRangeResult,
} from './instacart-orders-range.js';
import { runModuleWorker, siblingModule } from '../read/module-worker.js';
import { cutRange } from '../read/scan-file.js';

const WORKER_URL = siblingModule(import.meta.url, 'instacart-orders-worker');

export interface InstacartOrders {
  file: string;
  /** order_id → slot. */
  index: FrozenIdIndex;
  /** Per slot: day × 24 + hour in the low byte, the holdout bucket above it. */
  cellBucket: Uint16Array;
  count: number;
  badRows: BadRow[];
}

const LF = 10;
const CR = 13;

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

/** The text of the given line numbers of `file` (for the rare duplicate ids), by one pass over its lines. */
function linesAt(file: string, dataStart: number, wanted: Set<number>): Map<number, string> {
  const found = new Map<number, string>();
  let line = 1;
  for (const block of lineBlocks(file, dataStart, fs.statSync(file).size)) {
    let start = 0;
    while (start < block.end) {
      const lf = block.bytes.indexOf(LF, start);
      if (wanted.has(++line))
        found.set(line, text(block.bytes, start, lf > start && block.bytes[lf - 1] === CR ? lf - 1 : lf));
      start = lf + 1;
    }
    if (found.size === wanted.size) break;
  }
  return found;
}

export async function readInstacartOrders(
  file: string,
  options: { threads?: number; minRangeBytes?: number } = {},
): Promise<InstacartOrders> {
  const { columns, dataStart } = headerColumns(file);
  const [idCol, dayCol, hourCol] = requireColumns(file, columns, [
    'order_id',
    'order_dow',
    'order_hour_of_day',
  ]);
  const handle = await fsp.open(file, 'r');
  const { size } = await handle.stat();
  const cuts = await cutRange(
    handle,
    dataStart,
    size,
    options.threads ?? os.availableParallelism(),
    options.minRangeBytes ?? 16 << 20,
  ).finally(() => handle.close());
  const jobs: OrdersRangeJob[] = cuts
    .slice(1)
    .map((end, k) => ({ file, start: cuts[k], end, width: columns.length, idCol, dayCol, hourCol }));
  const results =
    jobs.length === 1
      ? [parseOrdersRange(jobs[0])]
      : await Promise.all(
          jobs.map((job) => runModuleWorker<OrdersRangeResult>(WORKER_URL, job, `read of ${file}`)),
        );
  const total = results.reduce((n, r) => n + r.count, 0);
  const builder = new IdIndexBuilder(total);
  const cellBucket = new Uint16Array(new SharedArrayBuffer(Math.max(1, total) * 2));
  const badRows: BadRow[] = [];
  const duplicates: { line: number; id: number }[] = [];
  let linesBefore = 0;
  let slot = 0;
  for (const r of results) {
    for (const bad of r.bad)
      badRows.push({ file, line: 2 + linesBefore + bad.index, reason: bad.reason, raw: bad.raw });
    for (let k = 0; k < r.count; k++) {
      // Slots of duplicates stay unused (no line item reaches them): the first row of an id counts.
      if (builder.add(r.ids[k], slot)) cellBucket[slot] = r.packed[k];
      else duplicates.push({ line: 2 + linesBefore + r.lineOf[k], id: r.ids[k] });
      slot++;
    }
    linesBefore += r.lines;
  }
  if (duplicates.length > 0) {
    const raws = linesAt(file, dataStart, new Set(duplicates.map((d) => d.line)));
    for (const d of duplicates)
      badRows.push({
        file,
        line: d.line,
        reason: `order_id ${d.id} appears twice (the first row counts)`,
        raw: raws.get(d.line) ?? '',
      });
    badRows.sort((a, b) => a.line - b.line);
  }
  return { file, index: builder.freeze(), cellBucket, count: total, badRows };
}
