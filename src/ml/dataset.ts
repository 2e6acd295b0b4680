// Reads the aggregate CSV (day_of_week,hour_of_day,category,items_count) and builds the training rows.
// Default mode `grid`: every known category × 7 days × 24 hours, zero where nothing sold, because predictions are
// served for the whole grid. Mode `nonzero`: the aggregate rows alone (what the original Spark job trained on).
// Categories are sorted (code-unit order, as Python's sorted()), so category indexes match the scikit-learn peer.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { InputError } from '../base/errors.js';
import { allocateRows, type Rows } from './rows.js';
import { AGGREGATE_COLUMNS, DAYS, HOURS, type Cell } from '../base/cell.js';

export type TrainingMode = 'grid' | 'nonzero';

export interface TrainingSet {
  mode: TrainingMode;
  categories: string[];
  rows: Rows;
  /** sha256 over the training rows in canonical order (mode, categories, every d,h,c,y). */
  fingerprint: string;
}

function parseInteger(text: string, min: number, max: number, what: string, where: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(`${where}: ${what} ${JSON.stringify(text)} is not an integer in ${min}–${max}`);
  }
  return v;
}

/** Parses aggregate CSV text; `source` names the file in error messages. Duplicate cells are summed. */
export function parseAggregateCsv(text: string, source: string): Cell[] {
  const records = parse(text, { skip_empty_lines: true, relax_column_count: true }) as string[][];
  if (records.length === 0)
    throw new InputError(`${source}: empty file, expected header ${AGGREGATE_COLUMNS.join(',')}`);
  const header = records[0].map((h) => h.trim().replace(/^\uFEFF/, ''));
  const col = AGGREGATE_COLUMNS.map((name) => header.indexOf(name));
  const missing = AGGREGATE_COLUMNS.filter((_, i) => col[i] < 0);
  if (missing.length > 0) {
    throw new InputError(
      `${source}:1: missing column(s) ${missing.join(', ')}; header must include ${AGGREGATE_COLUMNS.join(',')}`,
    );
  }
  const out: Cell[] = [];
  for (let i = 1; i < records.length; i++) {
    const r = records[i];
    const where = `${source}:${i + 1}`;
    const category = (r[col[2]] ?? '').trim();
    if (category === '') throw new InputError(`${where}: empty category`);
    const items = Number(r[col[3]]);
    if ((r[col[3]] ?? '').trim() === '' || !Number.isFinite(items) || items < 0) {
      throw new InputError(`${where}: items_count ${JSON.stringify(r[col[3]])} is not a number ≥ 0`);
    }
    out.push({
      day: parseInteger(r[col[0]] ?? '', 0, DAYS - 1, 'day_of_week', where),
      hour: parseInteger(r[col[1]] ?? '', 0, HOURS - 1, 'hour_of_day', where),
      category,
      items,
    });
  }
  if (out.length === 0) throw new InputError(`${source}: no data rows`);
  return out;
}

export async function readAggregateCsv(file: string): Promise<Cell[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read aggregate ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseAggregateCsv(text, file);
}

export function buildTrainingSet(aggregate: readonly Cell[], mode: TrainingMode): TrainingSet {
  const categories = [...new Set(aggregate.map((r) => r.category))].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  const c = categories.length;
  const grid = new Float64Array(DAYS * HOURS * c);
  const seen = new Uint8Array(grid.length);
  for (const r of aggregate) {
    const g = (r.day * HOURS + r.hour) * c + index.get(r.category)!;
    grid[g] += r.items;
    seen[g] = 1;
  }
  let n = 0;
  for (let g = 0; g < grid.length; g++) if (mode === 'grid' || seen[g]) n++;
  const rows = allocateRows(n, c);
  const hash = createHash('sha256').update(`${mode}\n${categories.join('\n')}\n`);
  const line = new Float64Array(4);
  let i = 0;
  for (let d = 0; d < DAYS; d++) {
    for (let h = 0; h < HOURS; h++) {
      for (let k = 0; k < c; k++) {
        const g = (d * HOURS + h) * c + k;
        if (mode === 'nonzero' && !seen[g]) continue;
        rows.day[i] = d;
        rows.hour[i] = h;
        rows.cat[i] = k;
        rows.y[i] = grid[g];
        line[0] = d;
        line[1] = h;
        line[2] = k;
        line[3] = grid[g];
        hash.update(new Uint8Array(line.buffer));
        i++;
      }
    }
  }
  return { mode, categories, rows, fingerprint: hash.digest('hex') };
}
