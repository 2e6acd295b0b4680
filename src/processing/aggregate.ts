// Part 1: full aggregation of the orders files into data/processed (CSV + Parquet), with bad rows
// quarantined (or, with `strict`, a failure before anything is written).
import { InputError } from '../errors.js';
import { writeQuarantine } from '../data/quarantine.js';
import type { BadRow } from '../data/order-rows.js';
import { writeAggregateOutputs } from './aggregate-output.js';
import { sumCells, totalItems } from './cells.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { aggregateFile, type FileAggregate } from './file-aggregate.js';
import { holdoutPathFor, sumHoldouts, writeHoldoutFile } from './holdout.js';

export interface AggregateOptions {
  files: string[];
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

export async function aggregateOrders(options: AggregateOptions): Promise<AggregateSummary> {
  const started = performance.now();
  const engine = new DuckDbEngine();
  engine.warm(); // the outputs are written by DuckDB: load it while the files are scanned
  try {
    const parts: FileAggregate[] = [];
    for (const file of options.files) {
      parts.push(await aggregateFile(file, { maxLineBytes: options.maxLineBytes }));
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
    for (const part of parts) {
      const written = await writeQuarantine(options.quarantineDir, options.dataDir, part.file, part.badRows);
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
