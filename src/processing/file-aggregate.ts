// Aggregates one wide orders file into cells. Fast path: a one-pass byte scanner (sum-scan.ts, one thread
// per core) validates and sums every line, accepting only a plain subset of what is valid. If it meets
// anything outside that subset, the exact validator reads the file row by row, bad rows are collected with
// their line and reason, and the good rows are summed from the very fields the validator checked.
// (The exact path used to hand a clean copy to DuckDB to sum; a row the validator accepted could then fail
// DuckDB's cast and take the whole file down, and DuckDB refused a valid 200 MB order_id outright. Summing
// what was validated makes "accepted" and "counted" one decision. Both paths end in the same toCells.)
import { readOrdersHeader, type OrdersHeader } from '../data/orders-header.js';
import { scanOrderRows, type BadRow } from '../data/order-rows.js';
import type { Cell } from './cells.js';
import { holdoutFromTotals, type HoldoutPartial } from './holdout.js';
import { orderBucket } from './order-bucket.js';
import { scanFile, type ScanOptions } from './scan-file.js';
import { DAYS, emptyTotals, HOURS, type ScanTotals } from './sum-scan.js';

export interface FileAggregate {
  file: string;
  categories: string[];
  orders: number;
  /** Items over every category of every good row: what the output must add up to. */
  itemsIn: number;
  cells: Cell[];
  /** The evaluation partial: items per order bucket and sums of squares per cell (holdout.ts). */
  holdout: HoldoutPartial;
  badRows: BadRow[];
  /** Whether the exact row-by-row validator had to read the file. */
  validatedRowByRow: boolean;
}

function toCells(
  totals: ScanTotals,
  header: OrdersHeader,
): { cells: Cell[]; orders: number; itemsIn: number; holdout: HoldoutPartial } {
  const width = header.categories.length;
  const cells: Cell[] = [];
  let itemsIn = 0;
  for (let day = 0; day < DAYS; day++)
    for (let hour = 0; hour < HOURS; hour++) {
      const base = (day * HOURS + hour) * width;
      for (let c = 0; c < width; c++) {
        const items = totals.items[base + c];
        itemsIn += items;
        if (items > 0) cells.push({ day, hour, category: header.categories[c], items });
      }
    }
  return {
    cells,
    orders: totals.orders.reduce((n, o) => n + o, 0),
    itemsIn,
    holdout: holdoutFromTotals(totals, header.categories),
  };
}

export interface AggregateFileOptions extends ScanOptions {
  /** Lines longer than this are bad rows. @defaultValue 1 MiB */
  maxLineBytes?: number;
}

/** The exact path: every row through the validator, good rows summed from the fields it checked. */
async function aggregateRowByRow(
  file: string,
  header: OrdersHeader,
  maxLineBytes: number | undefined,
): Promise<{ totals: ScanTotals; badRows: BadRow[] }> {
  const width = header.categories.length;
  const totals = emptyTotals(width);
  const cellsPerBucket = DAYS * HOURS * width;
  const countColumns = header.columns
    .map((name, column) => ({ column, category: header.categories.indexOf(name) }))
    .filter((c) => c.category >= 0);
  const badRows: BadRow[] = [];
  await scanOrderRows(
    file,
    header,
    {
      good: (row) => {
        const cell = row.day * HOURS + row.hour;
        const bucket = orderBucket(row.fields[header.index.order_id]);
        totals.orders[cell]++;
        totals.bucketOrders[bucket * DAYS * HOURS + cell]++;
        const base = cell * width;
        const bucketBase = bucket * cellsPerBucket + base;
        for (const { column, category } of countColumns) {
          const value = Number(row.fields[column]);
          if (value === 0) continue;
          totals.items[base + category] += value;
          totals.bucketItems[bucketBase + category] += value;
          totals.squares[base + category] += value * value;
        }
      },
      bad: (row) => void badRows.push(row),
    },
    { maxLineBytes },
  );
  return { totals, badRows };
}

export async function aggregateFile(
  file: string,
  options: AggregateFileOptions = {},
): Promise<FileAggregate> {
  const header = await readOrdersHeader(file);
  const scan = await scanFile(file, header, options);
  if (scan) {
    return {
      file,
      categories: header.categories,
      ...toCells(scan.totals, header),
      badRows: [],
      validatedRowByRow: false,
    };
  }
  const { totals, badRows } = await aggregateRowByRow(file, header, options.maxLineBytes);
  return {
    file,
    categories: header.categories,
    ...toCells(totals, header),
    badRows,
    validatedRowByRow: true,
  };
}
