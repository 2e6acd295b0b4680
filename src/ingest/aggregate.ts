// Part 1: full aggregation of the orders files into data/processed (CSV + Parquet), with bad rows
// quarantined (or, with `strict`, a failure before anything is written).
import { InputError } from '../base/errors.js';
import path from 'node:path';
import {
  INSTACART_FILES,
  isInstacartDir,
  orderProductsFiles,
  type InstacartCategory,
} from '../data/instacart-files.js';
import { writeQuarantine } from '../data/quarantine.js';
import type { BadRow } from '../data/order-rows.js';
import { writeAggregateOutputs } from './output/aggregate-output.js';
import { sumCells, totalItems } from '../base/cell.js';
import { DuckDbEngine } from './output/duckdb-engine.js';
import { aggregateFile, type FileAggregate } from './read/file-aggregate.js';
import { holdoutPathFor, sumHoldouts, writeHoldoutFile } from './read/holdout.js';
import { aggregateInstacartDir } from './instacart/instacart-aggregate.js';

export interface AggregateOptions {
  /** Wide orders files, and relational Instacart folders (instacart-files.ts), in any mix. */
  files: string[];
  /** What a category is in a relational folder (a wide file's categories are its columns). @defaultValue 'aisle' */
  category?: InstacartCategory;
  csvPath: string;
  parquetDir: string;
  quarantineDir: string;
  dataDir: string;
  strict: boolean;
  /** Lines longer than this are bad rows. @defaultValue 1 MiB */
  maxLineBytes?: number;
  onFileDone?: (done: number, total: number) => void;
}

export interface AggregateSummary {
  files: number;
  rows: number;
  categories: number;
  days: number;
  hours: number;
  orders: number;
  badRows: number;
  itemsIn: number;
  itemsOut: number;
  durationMs: number;
  quarantined: string[];
}

export function describeBadRows(rows: BadRow[], limit = 5): string {
  const shown = rows.slice(0, limit).map((r) => `  ${r.file}:${r.line}: ${r.reason}`);
  if (rows.length > limit) shown.push(`  … and ${rows.length - limit} more`);
  return shown.join('\n');
}

/**
 * One quarantine file per source file: a wide file's bad rows are its own; a relational folder's are those of
 * its orders, order_products and catalog files, each under its own name. Every source read appears, so a
 * quarantine file of an earlier run is removed once its source is clean.
 */
function badRowsBySource(parts: readonly FileAggregate[]): Map<string, BadRow[]> {
  const bySource = new Map<string, BadRow[]>();
  const rowsOf = (file: string): BadRow[] => {
    if (!bySource.has(file)) bySource.set(file, []);
    return bySource.get(file)!;
  };
  for (const part of parts) {
    if (isInstacartDir(part.file)) {
      for (const file of [path.join(part.file, INSTACART_FILES.orders), ...orderProductsFiles(part.file)])
        rowsOf(file);
      for (const row of part.badRows) rowsOf(row.file).push(row);
    } else {
      rowsOf(part.file).push(...part.badRows);
    }
  }
  return bySource;
}

export async function aggregateOrders(options: AggregateOptions): Promise<AggregateSummary> {
  const started = performance.now();
  const engine = new DuckDbEngine();
  engine.warm(); // the outputs are written by DuckDB: load it while the files are scanned
  try {
    const parts: FileAggregate[] = [];
    for (const file of options.files) {
      parts.push(
        isInstacartDir(file)
          ? await aggregateInstacartDir(file, { category: options.category })
          : await aggregateFile(file, { maxLineBytes: options.maxLineBytes }),
      );
      options.onFileDone?.(parts.length, options.files.length);
    }
    const badRows = parts.flatMap((p) => p.badRows);
    if (badRows.length === 0 && parts.every((p) => p.orders === 0)) {
      throw new InputError(
        `${options.files.join(', ')}: a header and no data rows; nothing to aggregate, the previous output is kept`,
      );
    }
    if (options.strict && badRows.length > 0) {
      throw new InputError(
        `${badRows.length} bad row(s) and --strict is set; nothing was written:\n${describeBadRows(badRows)}`,
      );
    }
    const cells = sumCells(parts.map((p) => p.cells));
    await writeAggregateOutputs(engine, cells, options.csvPath, options.parquetDir);
    const holdout = sumHoldouts(parts.map((p) => p.holdout));
    await writeHoldoutFile(holdoutPathFor(options.csvPath), holdout, true, { files: options.files });
    const quarantined: string[] = [];
    for (const [source, rows] of badRowsBySource(parts)) {
      const written = await writeQuarantine(options.quarantineDir, options.dataDir, source, rows);
      if (written) quarantined.push(written);
    }
    return {
      files: parts.length,
      rows: cells.length,
      categories: new Set(cells.map((c) => c.category)).size,
      days: new Set(cells.map((c) => c.day)).size,
      hours: new Set(cells.map((c) => c.hour)).size,
      orders: parts.reduce((n, p) => n + p.orders, 0),
      badRows: badRows.length,
      itemsIn: parts.reduce((n, p) => n + p.itemsIn, 0),
      itemsOut: totalItems(cells),
      durationMs: performance.now() - started,
      quarantined,
    };
  } finally {
    engine.close();
  }
}
