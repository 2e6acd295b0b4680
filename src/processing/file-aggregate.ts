// Aggregates one wide orders file into cells. Fast path: one DuckDB query sums every category per
// (day, hour) and checks field counts, numbers, day/hour ranges and order ids, while a byte-level
// pre-check beside it makes sure no count is fractional or empty (DuckDB's integer cast would round it).
// If either finds anything off, the exact validator reads the file row by row, bad rows are collected
// with their line and reason, and DuckDB sums a clean copy of the good rows.
// (Doing those checks in SQL instead — min/count/fraction per column — measured 4.0 s against 2.2 s here.)
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { readOrdersHeader, type OrdersHeader } from '../data/orders-header.js';
import { scanOrderRows, type BadRow } from '../data/order-rows.js';
import type { Cell } from './cells.js';
import type { DuckDbEngine, GroupSums } from './duckdb-engine.js';
import { looksClean } from './prescan.js';

export interface FileAggregate {
  file: string;
  categories: string[];
  orders: number;
  /** Items over every category of every good row: what the output must add up to. */
  itemsIn: number;
  cells: Cell[];
  badRows: BadRow[];
  /** Whether the exact row-by-row validator had to read the file. */
  validatedRowByRow: boolean;
}

function groupsAreClean(groups: GroupSums[]): boolean {
  return groups.every(
    (g) =>
      Number.isInteger(g.day) &&
      g.day >= 0 &&
      g.day <= 6 &&
      Number.isInteger(g.hour) &&
      g.hour >= 0 &&
      g.hour <= 23 &&
      g.badIds === 0 &&
      (g.minPrior === null || g.minPrior >= 0) &&
      g.sums.every(Number.isFinite),
  );
}

function toCells(
  groups: GroupSums[],
  header: OrdersHeader,
): { cells: Cell[]; orders: number; itemsIn: number } {
  const cells: Cell[] = [];
  let orders = 0;
  let itemsIn = 0;
  for (const g of groups) {
    orders += g.orders;
    g.sums.forEach((items, i) => {
      itemsIn += items;
      if (items > 0) cells.push({ day: g.day, hour: g.hour, category: header.categories[i], items });
    });
  }
  return { cells, orders, itemsIn };
}

async function fastPath(
  engine: DuckDbEngine,
  file: string,
  header: OrdersHeader,
): Promise<GroupSums[] | null> {
  // Any DuckDB error (a wrong field count, a value that is not a number, mixed line endings) or a doubt of
  // the pre-check only means "look closer": the exact validator then decides, row by row.
  const [clean, groups] = await Promise.all([
    looksClean(file, header),
    engine.groupSums(file, header).catch(() => null),
  ]);
  return clean && groups && groupsAreClean(groups) ? groups : null;
}

export async function aggregateFile(engine: DuckDbEngine, file: string): Promise<FileAggregate> {
  const header = await readOrdersHeader(file);
  const groups = await fastPath(engine, file, header);
  if (groups) {
    return {
      file,
      categories: header.categories,
      ...toCells(groups, header),
      badRows: [],
      validatedRowByRow: false,
    };
  }
  const badRows: BadRow[] = [];
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'orderflow-clean-'));
  const cleanFile = path.join(scratch, 'clean.csv');
  try {
    const lines: string[] = [stringify([header.columns]).trimEnd()];
    await scanOrderRows(file, header, {
      good: (row) => void lines.push(row.raw),
      bad: (row) => void badRows.push(row),
    });
    await fs.writeFile(cleanFile, lines.join('\n') + '\n');
    const cleanGroups = lines.length > 1 ? await engine.groupSums(cleanFile, header) : [];
    return {
      file,
      categories: header.categories,
      ...toCells(cleanGroups, header),
      badRows,
      validatedRowByRow: true,
    };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
