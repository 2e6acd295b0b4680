// Aggregates a relational Instacart folder (orders.csv, order_products*.csv, and the catalog: see
// instacart-files.ts) into the same totals and cells as a wide file (file-aggregate.ts). In order:
//   1. the catalog and orders.csv become typed-array lookups in shared memory (product → category,
//      order → (cell, bucket));
//   2. each order_products file is cut into one range per core at line ends and each range joined on its own
//      thread, once, streaming (instacart-scan.ts);
//   3. the ranges' totals are added; a run of one order cut by a range edge is joined up again, and orders that
//      still come in several runs (input not sorted by order_id) get their Σ count² put right by a second pass
//      over their lines only (instacart-split-orders.ts);
//   4. an order counts (in `orders` per cell and bucket) when at least one of its line items was joined:
//      the published `test` orders, which have no line items, count nowhere.
// Bad rows of every file are collected with their file and line, never counted.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BadRow } from '../../data/order-rows.js';
import { InputError } from '../../base/errors.js';
import { INSTACART_FILES, orderProductsFiles, type InstacartCategory } from '../../data/instacart-files.js';
import { toCells, type FileAggregate } from '../read/file-aggregate.js';
import { readInstacartCatalog } from './instacart-catalog-read.js';
import {
  headerColumns,
  readInstacartOrders,
  requireColumns,
  type InstacartOrders,
} from './instacart-orders-read.js';
import { scanLineItems, type LineItemJob, type LineItemResult, type RunEdge } from './instacart-scan.js';
import { fixSplitOrders, type SplitFileLayout } from './instacart-split-orders.js';
import { runModuleWorker, siblingModule } from '../read/module-worker.js';
import { cutRange } from '../read/scan-file.js';
import { addTotals, emptyTotals, type ScanTotals } from '../read/sum-scan.js';
import { DAYS, HOURS } from '../../base/cell.js';

const WORKER_URL = siblingModule(import.meta.url, 'instacart-scan-worker');

export interface InstacartReadOptions {
  /** What a category is. @defaultValue 'aisle' */
  category?: InstacartCategory;
  /** Threads to use at most. @defaultValue os.availableParallelism() */
  threads?: number;
  /** Smallest range worth a thread of its own. @defaultValue 16 MiB */
  minRangeBytes?: number;
  /** Read size per block (tests make it tiny to cross many block edges). */
  blockBytes?: number;
}

export interface InstacartTotals {
  categories: string[];
  totals: ScanTotals;
  badRows: BadRow[];
  /** The order_products files read. */
  lineItemFiles: string[];
  /** Orders in orders.csv, line items joined, and orders whose items came in more than one run. */
  ordersListed: number;
  lineItems: number;
  splitOrders: number;
}

/** Joins one order_products file: its ranges on threads (or here, for one range), merged in file order. */
async function joinFile(
  file: string,
  base: Omit<LineItemJob, 'file' | 'start' | 'end' | 'fields' | 'orderCol' | 'productCol'>,
  options: InstacartReadOptions,
): Promise<{ layout: SplitFileLayout; results: LineItemResult[] }> {
  const { columns, dataStart } = headerColumns(file);
  const [orderCol, productCol] = requireColumns(file, columns, ['order_id', 'product_id']);
  const handle = await fs.open(file, 'r');
  const { size } = await handle.stat();
  const threads = options.threads ?? os.availableParallelism();
  const cuts = await cutRange(handle, dataStart, size, threads, options.minRangeBytes ?? 16 << 20).finally(
    () => handle.close(),
  );
  const jobs: LineItemJob[] = cuts.slice(1).map((end, k) => ({
    ...base,
    file,
    start: cuts[k],
    end,
    fields: columns.length,
    orderCol,
    productCol,
    blockBytes: options.blockBytes,
  }));
  const results =
    jobs.length === 1
      ? [scanLineItems(jobs[0])]
      : await Promise.all(
          jobs.map((job) => runModuleWorker<LineItemResult>(WORKER_URL, job, `join of ${file}`)),
        );
  return { layout: { file, dataStart, end: size, fields: columns.length, orderCol, productCol }, results };
}

/**
 * Adds the ranges of one file into `totals` and joins up the runs cut by range edges: the last run of a range
 * and the first of the next are one run when they are the same order (Σ count² gains 2ab, one run less).
 */
function mergeRanges(
  file: string,
  results: readonly LineItemResult[],
  orders: InstacartOrders,
  categories: number,
  runs: Int32Array,
  totals: ScanTotals,
  badRows: BadRow[],
): number {
  let carry: RunEdge | null = null;
  let linesBefore = 0;
  let items = 0;
  for (const r of results) {
    addTotals(totals, r.totals);
    for (const bad of r.bad)
      badRows.push({ file, line: 2 + linesBefore + bad.index, reason: bad.reason, raw: bad.raw });
    linesBefore += r.lines;
    for (let i = 0; i < r.totals.items.length; i++) items += r.totals.items[i];
    if (!r.first || !r.last) continue; // no joined line: the carried run goes on
    if (carry && carry.slot === r.first.slot) {
      const base = (orders.cellBucket[carry.slot] & 0xff) * categories;
      const counts = new Map(carry.categories.map((c, k) => [c, carry!.counts[k]]));
      r.first.categories.forEach((c, k) => {
        totals.squares[base + c] += 2 * (counts.get(c) ?? 0) * r.first!.counts[k];
        counts.set(c, (counts.get(c) ?? 0) + r.first!.counts[k]);
      });
      runs[carry.slot]--;
      const merged: RunEdge = {
        slot: carry.slot,
        categories: [...counts.keys()],
        counts: [...counts.values()],
      };
      carry = r.oneRun ? merged : r.last;
    } else {
      carry = r.last;
    }
  }
  return items;
}

export async function readInstacartTotals(
  dir: string,
  options: InstacartReadOptions = {},
): Promise<InstacartTotals> {
  const catalog = readInstacartCatalog(dir, options.category ?? 'aisle');
  const orders = await readInstacartOrders(path.join(dir, INSTACART_FILES.orders), {
    threads: options.threads,
    minRangeBytes: options.minRangeBytes,
  });
  const files = orderProductsFiles(dir);
  if (files.length === 0)
    throw new InputError(`${dir}: no order_products*.csv file beside ${INSTACART_FILES.orders}`);
  const width = catalog.categories.length;
  const runs = new Int32Array(new SharedArrayBuffer(Math.max(1, orders.count) * 4));
  const totals = emptyTotals(width);
  const badRows: BadRow[] = [...catalog.badRows, ...orders.badRows];
  const layouts: SplitFileLayout[] = [];
  let lineItems = 0;
  const base = {
    orders: orders.index,
    cellBucket: orders.cellBucket,
    products: catalog.products,
    runs,
    categories: width,
  };
  for (const file of files) {
    const { layout, results } = await joinFile(file, base, options);
    layouts.push(layout);
    lineItems += mergeRanges(file, results, orders, width, runs, totals, badRows);
  }
  const split = new Uint8Array(orders.count);
  let splitOrders = 0;
  for (let slot = 0; slot < orders.count; slot++) {
    if (runs[slot] === 0) continue;
    if (runs[slot] > 1) {
      split[slot] = 1;
      splitOrders++;
    }
    const packed = orders.cellBucket[slot];
    const cell = packed & 0xff;
    totals.orders[cell]++;
    totals.bucketOrders[(packed >> 8) * DAYS * HOURS + cell]++;
  }
  if (splitOrders > 0)
    fixSplitOrders(layouts, split, orders.index, orders.cellBucket, catalog.products, width, totals);
  return {
    categories: catalog.categories,
    totals,
    badRows,
    lineItemFiles: files,
    ordersListed: orders.count,
    lineItems,
    splitOrders,
  };
}

/** A relational folder as one FileAggregate, as aggregate.ts sums them (`file` is the folder). */
export async function aggregateInstacartDir(
  dir: string,
  options: InstacartReadOptions = {},
): Promise<FileAggregate> {
  const read = await readInstacartTotals(dir, options);
  return {
    file: dir,
    categories: read.categories,
    ...toCells(read.totals, read.categories),
    badRows: read.badRows,
    validatedRowByRow: false,
  };
}
