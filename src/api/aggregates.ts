// The day × hour × category aggregate for GET /api/aggregates: read from DATA_DIR/incremental/processed/orders.csv
// when present, else DATA_DIR/processed/orders.csv, re-read only when the file changes, and summarized with filters
// into what the dashboard draws (a 7 × 24 heatmap and the top categories) plus the matching rows.
import { stat, readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { DataPaths } from '../config.js';
import { InputError } from '../errors.js';
import { normalizeCategory } from '../ml/predictor.js';
import type { AggregateRow, AggregateSource } from './deps.js';

export class CsvAggregateSource implements AggregateSource {
  private cached: { file: string; mtimeMs: number; size: number; rows: AggregateRow[] } | undefined;

  constructor(private readonly paths: Pick<DataPaths, 'incrementalCsv' | 'processedCsv'>) {}

  async rows(): Promise<{ file: string | null; rows: readonly AggregateRow[] }> {
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

export function parseAggregateCsv(file: string, text: Buffer | string): AggregateRow[] {
  const records = parse(text, { columns: true, skip_empty_lines: true, bom: true }) as Record<
    string,
    string
  >[];
  return records.map((r, i) => {
    const row = {
      day_of_week: Number(r.day_of_week),
      hour_of_day: Number(r.hour_of_day),
      category: r.category,
      items_count: Number(r.items_count),
    };
    if (
      ![row.day_of_week, row.hour_of_day, row.items_count].every(Number.isFinite) ||
      row.category === undefined
    ) {
      throw new InputError(
        `${file}:${i + 2}: not an aggregate row (day_of_week,hour_of_day,category,items_count)`,
      );
    }
    return row;
  });
}

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
  rows: AggregateRow[];
}

export function summarize(
  file: string | null,
  rows: readonly AggregateRow[],
  f: AggregateFilters,
): AggregateSummary {
  const wanted = f.category === undefined ? undefined : normalizeCategory(f.category);
  const heatmap = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const byCategory = new Map<string, number>();
  const matching: AggregateRow[] = [];
  let total = 0;
  for (const r of rows) {
    if (f.day !== undefined && r.day_of_week !== f.day) continue;
    if (f.hour !== undefined && r.hour_of_day !== f.hour) continue;
    if (wanted !== undefined && normalizeCategory(r.category) !== wanted) continue;
    matching.push(r);
    total += r.items_count;
    if (heatmap[r.day_of_week]?.[r.hour_of_day] !== undefined)
      heatmap[r.day_of_week][r.hour_of_day] += r.items_count;
    byCategory.set(r.category, (byCategory.get(r.category) ?? 0) + r.items_count);
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
    rows: matching.slice(0, f.limit),
  };
}
