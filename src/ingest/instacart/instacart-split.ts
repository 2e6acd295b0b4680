// `orderflow split` of a relational Instacart folder: the day files the wide path writes
// (raw/<dow>/orders_<dow>.csv, split.ts), one wide row per order with at least one joined line item —
// order_id and days_since_prior_order as written in orders.csv, day and hour, then one count per category in
// catalog order — so that everything after split (aggregate, the incremental landing) reads what it reads
// for a wide input. Rows come in orders.csv order. Bad rows (catalog, orders, unknown order or product) are
// those the relational reader finds (instacart-aggregate.ts), with their file and line, quarantined under the
// folder's name; nothing is written when --strict is set and there are any.
// Memory: 6 bytes per joined line item (its order slot and category), counting-sorted by order.
import path from 'node:path';
import { openAtomicWriter, type AtomicWriter } from '../../data/atomic.js';
import { INSTACART_FILES, orderProductsFiles, type InstacartCategory } from '../../data/instacart-files.js';
import { lineBlocks } from '../../data/line-blocks.js';
import type { BadRow } from '../../data/order-rows.js';
import { writeQuarantine } from '../../data/quarantine.js';
import { dayFilePath, type SplitSummary } from '../split/split.js';
import { InputError } from '../../base/errors.js';
import { lookupId } from '../read/id-index.js';
import { readInstacartTotals } from './instacart-aggregate.js';
import { readInstacartCatalog } from './instacart-catalog-read.js';
import { parseUint, splitFields, text } from './instacart-orders-range.js';
import { headerColumns, readInstacartOrders, requireColumns } from './instacart-orders-read.js';

export interface InstacartSplitOptions {
  /** The relational folder. */
  input: string;
  category?: InstacartCategory;
  rawDir: string;
  quarantineDir: string;
  dataDir: string;
  strict: boolean;
}

const LF = 10;
const CR = 13;

/** The non-empty data lines of `file` as bytes[start, end) (no line end); `bytes` is reused per block. */
function* dataLines(
  file: string,
  dataStart: number,
): Generator<{ bytes: Uint8Array; start: number; end: number }> {
  for (const block of lineBlocks(file, dataStart, Number.MAX_SAFE_INTEGER)) {
    const { bytes } = block;
    let start = 0;
    while (start < block.end) {
      const lf = bytes.indexOf(LF, start);
      const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
      if (end > start) yield { bytes, start, end };
      start = lf + 1;
    }
  }
}

/** Slot and category of each joined line item, grown as read. */
class LineItems {
  slots = new Int32Array(1 << 16);
  cats = new Uint16Array(1 << 16);
  length = 0;
  push(slot: number, cat: number): void {
    if (this.length === this.slots.length) {
      const slots = new Int32Array(this.length * 2);
      slots.set(this.slots);
      const cats = new Uint16Array(this.length * 2);
      cats.set(this.cats);
      this.slots = slots;
      this.cats = cats;
    }
    this.slots[this.length] = slot;
    this.cats[this.length++] = cat;
  }
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export interface WidePivot {
  /** The wide header line: order_id, order_dow, order_hour_of_day, days_since_prior_order, categories. */
  header: string;
  /** The wide rows with their day, in orders.csv order. */
  rows: Generator<{ day: number; line: string }>;
}

/** The wide form of a relational folder (see the top of this file). */
async function pivotInstacartDir(dir: string, category: InstacartCategory): Promise<WidePivot> {
  const catalog = readInstacartCatalog(dir, category);
  const ordersFile = path.join(dir, INSTACART_FILES.orders);
  const orders = await readInstacartOrders(ordersFile, { threads: 1 });
  const items = new LineItems();
  for (const file of orderProductsFiles(dir)) {
    const { columns, dataStart } = headerColumns(file);
    const [orderCol, productCol] = requireColumns(file, columns, ['order_id', 'product_id']);
    const bounds = new Int32Array(columns.length * 2 + 2);
    for (const { bytes, start, end } of dataLines(file, dataStart)) {
      if (splitFields(bytes, start, end, bounds) !== columns.length) continue;
      const orderId = parseUint(bytes, bounds[orderCol * 2], bounds[orderCol * 2 + 1]);
      const productId = parseUint(bytes, bounds[productCol * 2], bounds[productCol * 2 + 1]);
      const slot = orderId < 0 ? -1 : lookupId(orders.index, orderId);
      const cat = slot < 0 || productId < 0 ? -1 : lookupId(catalog.products, productId);
      if (cat >= 0) items.push(slot, cat); // else a bad row: the reader quarantines it
    }
  }
  // Counting sort of the line items by order slot.
  const offsets = new Int32Array(orders.count + 1);
  for (let i = 0; i < items.length; i++) offsets[items.slots[i] + 1]++;
  for (let s = 0; s < orders.count; s++) offsets[s + 1] += offsets[s];
  const fill = offsets.slice(0, orders.count);
  const sorted = new Uint16Array(items.length);
  for (let i = 0; i < items.length; i++) sorted[fill[items.slots[i]]++] = items.cats[i];
  const header = [
    'order_id',
    'order_dow',
    'order_hour_of_day',
    'days_since_prior_order',
    ...catalog.categories,
  ]
    .map(csvField)
    .join(',');

  function* rows(): Generator<{ day: number; line: string }> {
    const counts = new Int32Array(catalog.categories.length);
    const { columns, dataStart } = headerColumns(ordersFile);
    const [idCol, daysCol] = requireColumns(ordersFile, columns, ['order_id', 'days_since_prior_order']);
    const bounds = new Int32Array(columns.length * 2 + 2);
    let next = 0; // slots are the good rows of orders.csv in file order: a row of another slot is a bad row
    for (const { bytes, start, end } of dataLines(ordersFile, dataStart)) {
      if (splitFields(bytes, start, end, bounds) !== columns.length) continue;
      const id = parseUint(bytes, bounds[idCol * 2], bounds[idCol * 2 + 1]);
      const slot = id < 0 ? -1 : lookupId(orders.index, id);
      if (slot !== next) continue;
      next++;
      if (offsets[slot + 1] === offsets[slot]) continue; // no joined line item: the order counts nowhere
      counts.fill(0);
      for (let k = offsets[slot]; k < offsets[slot + 1]; k++) counts[sorted[k]]++;
      const cell = orders.cellBucket[slot] & 0xff;
      const day = Math.floor(cell / 24);
      const id_ = text(bytes, bounds[idCol * 2], bounds[idCol * 2 + 1]);
      const days = text(bytes, bounds[daysCol * 2], bounds[daysCol * 2 + 1]);
      yield { day, line: `${id_},${day},${cell % 24},${days},${counts.join(',')}` };
    }
  }
  return { header, rows: rows() };
}

/** Splits a relational folder into the wide day files; bad rows quarantined under the folder's name. */
export async function splitInstacartByDay(options: InstacartSplitOptions): Promise<SplitSummary> {
  const category = options.category ?? 'aisle';
  const { badRows } = await readInstacartTotals(options.input, { category });
  if (options.strict && badRows.length > 0) {
    const first: BadRow = badRows[0];
    throw new InputError(
      `${badRows.length} bad row(s) in ${options.input} and --strict is set; nothing was written. ` +
        `First: ${first.file}:${first.line}: ${first.reason}`,
    );
  }
  const files = Array.from({ length: 7 }, (_, day) => dayFilePath(options.rawDir, day));
  const writers: AtomicWriter[] = [];
  const rowsPerDay = new Array<number>(7).fill(0);
  try {
    const pivot = await pivotInstacartDir(options.input, category);
    for (const file of files) {
      const writer = await openAtomicWriter(file);
      writers.push(writer);
      await writer.write(pivot.header + '\n');
    }
    let pending: string[][] = Array.from({ length: 7 }, () => []);
    const flush = async () => {
      for (let day = 0; day < 7; day++)
        if (pending[day].length > 0) await writers[day].write(pending[day].join('\n') + '\n');
      pending = Array.from({ length: 7 }, () => []);
    };
    let buffered = 0;
    for (const { day, line } of pivot.rows) {
      rowsPerDay[day]++;
      pending[day].push(line);
      if (++buffered === 4096) {
        await flush();
        buffered = 0;
      }
    }
    await flush();
    for (const writer of writers) await writer.commit();
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    throw err;
  }
  const quarantine = await writeQuarantine(options.quarantineDir, options.dataDir, options.input, badRows);
  return { rowsPerDay, badRows, files, quarantine };
}
