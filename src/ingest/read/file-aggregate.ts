// Aggregates one wide orders file into cells. Fast path: a one-pass byte scanner (sum-scan.ts, one thread
// per core) validates and sums every line, accepting only a plain subset of what is valid. If it meets
// anything outside that subset, the exact validator reads the file row by row, bad rows are collected with
// their line and reason, and the good rows are summed from the very fields the validator checked.
// (The exact path used to hand a clean copy to DuckDB to sum; a row the validator accepted could then fail
// DuckDB's cast and take the whole file down, and DuckDB refused a valid 200 MB order_id outright. Summing
// what was validated makes "accepted" and "counted" one decision. Both paths end in the same toCells.)
import { open, stat } from 'node:fs/promises';
import { readOrdersHeader, type OrdersHeader } from '../../data/orders-header.js';
import { scanOrderRows, type BadRow } from '../../data/order-rows.js';
import type { Cell } from '../../base/cell.js';
import { holdoutFromTotals, type HoldoutPartial } from './holdout.js';
import { orderBucket } from './order-bucket.js';
import { chunkCount, chunksOfPart, chunkStarts, hashChunks } from './content-hash.js';
import { dataRange, scanFileRange, type ScanOptions } from './scan-file.js';
import { emptyTotals, type ScanTotals } from './sum-scan.js';
import { DAYS, HOURS } from '../../base/cell.js';

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

/** Cells, orders, items and the evaluation partial of a file's (or several ranges' summed) totals. */
export function toCells(
  totals: ScanTotals,
  categories: readonly string[],
): { cells: Cell[]; orders: number; itemsIn: number; holdout: HoldoutPartial } {
  const width = categories.length;
  const cells: Cell[] = [];
  let itemsIn = 0;
  for (let day = 0; day < DAYS; day++)
    for (let hour = 0; hour < HOURS; hour++) {
      const base = (day * HOURS + hour) * width;
      for (let c = 0; c < width; c++) {
        const items = totals.items[base + c];
        itemsIn += items;
        if (items > 0) cells.push({ day, hour, category: categories[c], items });
      }
    }
  return {
    cells,
    orders: totals.orders.reduce((n, o) => n + o, 0),
    itemsIn,
    holdout: holdoutFromTotals(totals, categories),
  };
}

export interface AggregateFileOptions extends ScanOptions {
  /** Lines longer than this are bad rows. @defaultValue 1 MiB */
  maxLineBytes?: number;
  /**
   * Where the whole file can be read when the exact validator must read it (a part read from a partial local
   * copy of an object: landing-s3.ts). @defaultValue the file itself
   */
  wholeFile?: () => Promise<string>;
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

/** The totals of one part of a file: the data lines of its chunks (content-hash.ts), or the whole file. */
export interface PartTotals {
  categories: string[];
  totals: ScanTotals;
  badRows: BadRow[];
  /** `scan`: the scanner read the range; `exact`: the validator read the whole file. */
  method: 'scan' | 'exact';
  /**
   * The exact validator read the whole file (the scanner gave up somewhere in the range): these totals stand
   * for the file, whatever part was asked for, so its line numbers and multi-line records are those of one pass.
   */
  whole: boolean;
  /** The part's bytes (its chunks; part 0 includes the header), whichever path read them. */
  start: number;
  end: number;
}

/** Where a part lies in its file: chunks [first, end) of a file cut into chunks of `chunkBytes`. */
export interface PartChunks {
  chunkBytes: number;
  index: number;
  count: number;
}

/** A part's totals and the SHA-256 of each chunk it covers (the file's content hash is made of them). */
export interface PartRead extends PartTotals {
  firstChunk: number;
  chunkHashes: Buffer;
}

/**
 * Reads part `index` of `count` of a wide orders file: hashes its chunks and sums their data lines. Ranges are
 * scanned on their own, so a large file can be read by several workers at once; anything the scanner does not
 * accept sends the whole file to the exact path (the chunks hashed are still only this part's).
 */
export async function readPart(
  file: string,
  chunks: PartChunks,
  options: AggregateFileOptions = {},
): Promise<PartRead> {
  const { firstChunk, chunkHashes, from, to } = await hashPart(file, chunks);
  return { ...(await readTotals(file, from, to, options)), firstChunk, chunkHashes };
}

/** The totals of the data lines in the file's bytes [from, to) (line starts), or of the whole file. */
async function readTotals(
  file: string,
  from: number,
  to: number,
  options: AggregateFileOptions,
): Promise<PartTotals> {
  const header = await readOrdersHeader(file);
  const { categories } = header;
  const range = await dataRange(file, from, to);
  const scan = range && (await scanFileRange(file, header, range.start, range.end, options));
  if (scan)
    return {
      categories,
      totals: scan.totals,
      badRows: [],
      method: 'scan',
      whole: false,
      start: from,
      end: to,
    };
  const whole = options.wholeFile ? await options.wholeFile() : file;
  const { totals, badRows } = await aggregateRowByRow(whole, header, options.maxLineBytes);
  return { categories, totals, badRows, method: 'exact', whole: true, start: from, end: to };
}

async function hashPart(
  file: string,
  chunks: PartChunks,
): Promise<{ firstChunk: number; chunkHashes: Buffer; from: number; to: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const { first, end } = chunksOfPart(chunkCount(size, chunks.chunkBytes), chunks.index, chunks.count);
    const starts = await chunkStarts(handle, size, chunks.chunkBytes, first, end);
    const chunkHashes = await hashChunks(handle, starts);
    return { firstChunk: first, chunkHashes, from: starts[0], to: starts[starts.length - 1] };
  } finally {
    await handle.close();
  }
}

export async function aggregateFile(
  file: string,
  options: AggregateFileOptions = {},
): Promise<FileAggregate> {
  const part = await readTotals(file, 0, (await stat(file)).size, options);
  return {
    file,
    categories: part.categories,
    ...toCells(part.totals, part.categories),
    badRows: part.badRows,
    validatedRowByRow: part.method === 'exact',
  };
}
