// An independent, plain TypeScript reference of Part 1: sums item counts per (day, hour, category)
// over the category columns of wide orders files. Used only to check the DuckDB engine.
import fs from 'node:fs/promises';
import { parse } from 'csv-parse/sync';

const META = new Set(['order_id', 'order_dow', 'order_hour_of_day', 'days_since_prior_order']);

export interface ReferenceRow {
  day_of_week: number;
  hour_of_day: number;
  category: string;
  items_count: number;
}

export async function referenceAggregate(files: string[]): Promise<ReferenceRow[]> {
  const totals = new Map<string, ReferenceRow>();
  for (const file of files) {
    const records = parse(await fs.readFile(file), {
      bom: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as string[][];
    const [header, ...rows] = records;
    const names = header.map((h) => h.trim());
    const dow = names.indexOf('order_dow');
    const hour = names.indexOf('order_hour_of_day');
    for (const row of rows) {
      names.forEach((name, i) => {
        if (META.has(name)) return;
        const key = `${row[dow]}|${row[hour]}|${name}`;
        const entry = totals.get(key) ?? {
          day_of_week: Number(row[dow]),
          hour_of_day: Number(row[hour]),
          category: name,
          items_count: 0,
        };
        entry.items_count += Number(row[i]);
        totals.set(key, entry);
      });
    }
  }
  return [...totals.values()]
    .filter((r) => r.items_count > 0)
    .sort(
      (a, b) =>
        a.day_of_week - b.day_of_week ||
        a.hour_of_day - b.hour_of_day ||
        (a.category < b.category ? -1 : a.category > b.category ? 1 : 0),
    );
}

export async function readAggregateCsv(file: string): Promise<ReferenceRow[]> {
  const records = parse(await fs.readFile(file), { columns: true }) as Record<string, string>[];
  return records.map((r) => ({
    day_of_week: Number(r.day_of_week),
    hour_of_day: Number(r.hour_of_day),
    category: r.category,
    items_count: Number(r.items_count),
  }));
}
