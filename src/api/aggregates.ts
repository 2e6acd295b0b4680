// The day × hour × category aggregate for GET /api/aggregates: read from DATA_DIR/incremental/processed/orders.csv
// when present, else DATA_DIR/processed/orders.csv, re-read only when the file changes, and summarized with filters
// into what the dashboard draws (a 7 × 24 heatmap and the top categories) plus the matching rows.
import { stat, readFile } from 'node:fs/promises';
import type { Cell } from '../base/cell.js';
import type { DataPaths } from '../base/config.js';
import { parseAggregateCsv as parseModelAggregate } from '../ml/dataset.js';
import { normalizeCategory } from '../ml/predictor.js';
import type { AggregateSource } from './deps.js';

export class CsvAggregateSource implements AggregateSource {
  private cached: { file: string; mtimeMs: number; size: number; rows: Cell[] } | undefined;
  private syncing: Promise<unknown> | undefined;

  /**
   * `sync` brings this machine's incremental output up to the ledger before a read (the commit may have run on
   * any machine, which leaves the output to whoever reads it); concurrent reads share one sync.
   */
  constructor(
    private readonly paths: Pick<DataPaths, 'incrementalCsv' | 'processedCsv'>,
    private readonly sync?: () => Promise<unknown>,
  ) {}

  async rows(): Promise<{ file: string | null; rows: readonly Cell[] }> {
    if (this.sync) {
      this.syncing ??= this.sync().finally(() => (this.syncing = undefined));
      await this.syncing;
    }
    for (const file of [this.paths.incrementalCsv, this.paths.processedCsv]) {
      const info = await stat(file).catch(() => undefined);
      if (!info) continue;
      const c = this.cached;
      if (c && c.file === file && c.mtimeMs === info.mtimeMs && c.size === info.size) return c;
      const rows = parseAggregateCsv(file, await readFile(file));
      this.cached = { file, mtimeMs: info.mtimeMs, size: info.size, rows };
      return this.cached;
    }
    return { file: null, rows: [] };
  }
}

/** The aggregate CSV through the one parser the models use; a header-only file is an empty aggregate. */
function parseAggregateCsv(file: string, text: Buffer | string): Cell[] {
  const body = String(text);
  if (
    body
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/).length <= 1
  )
    return [];
  return parseModelAggregate(body, file);
}

/** A cell as the HTTP API names its fields: the aggregate CSV's column names. */
export interface AggregateRecord {
  day_of_week: number;
  hour_of_day: number;
  category: string;
  items_count: number;
}

const toRecord = (c: Cell): AggregateRecord => ({
  day_of_week: c.day,
  hour_of_day: c.hour,
  category: c.category,
  items_count: c.items,
});

export interface AggregateFilters {
  day?: number;
  hour?: number;
  /** Case-insensitive exact category name. */
  category?: string;
  /** How many top categories. @defaultValue 10 */
  top: number;
  /** How many matching rows to return (0 = none). @defaultValue 0 */
  limit: number;
}

export interface AggregateSummary {
  file: string | null;
  totalItems: number;
  matchingRows: number;
  /** heatmap[day][hour] = items over the matching rows. */
  heatmap: number[][];
  topCategories: { category: string; items: number }[];
  rows: AggregateRecord[];
}

export function summarize(file: string | null, rows: readonly Cell[], f: AggregateFilters): AggregateSummary {
  const wanted = f.category === undefined ? undefined : normalizeCategory(f.category);
  const heatmap = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const byCategory = new Map<string, number>();
  const matching: Cell[] = [];
  let total = 0;
  for (const r of rows) {
    if (f.day !== undefined && r.day !== f.day) continue;
    if (f.hour !== undefined && r.hour !== f.hour) continue;
    if (wanted !== undefined && normalizeCategory(r.category) !== wanted) continue;
    matching.push(r);
    total += r.items;
    if (heatmap[r.day]?.[r.hour] !== undefined) heatmap[r.day][r.hour] += r.items;
    byCategory.set(r.category, (byCategory.get(r.category) ?? 0) + r.items);
  }
  const topCategories = [...byCategory]
    .map(([category, items]) => ({ category, items }))
    .sort((a, b) => b.items - a.items || a.category.localeCompare(b.category))
    .slice(0, f.top);
  return {
    file,
    totalItems: total,
    matchingRows: matching.length,
    heatmap,
    topCategories,
    rows: matching.slice(0, f.limit).map(toRecord),
  };
}
