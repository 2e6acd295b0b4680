// Row-level validation of a wide orders CSV, streamed with csv-parse. Every row is either good or bad
// with a reason; nothing is dropped silently. This is the exact (slow) path: the DuckDB fast path in
// processing/ only decides whether a file needs it.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { OrdersHeader } from './orders-header.js';

export interface BadRow {
  file: string;
  line: number;
  reason: string;
  raw: string;
}

export interface GoodRow {
  line: number;
  /** The row as written in the file, without its line ending. */
  raw: string;
  fields: string[];
  day: number;
  hour: number;
}

const UNSIGNED_INTEGER = /^\d+$/;
/** The largest item count a cell of one order may hold: the engine reads counts as UINTEGER (unsigned 32-bit). */
const MAX_ITEM_COUNT = 4_294_967_295;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function checkInteger(value: string, column: string, max: number): string | null {
  const v = value.trim();
  if (v === '') return `${column} is empty; expected an integer 0–${max}`;
  if (!UNSIGNED_INTEGER.test(v)) return `${column}=${JSON.stringify(value)} is not an integer 0–${max}`;
  if (Number(v) > max) return `${column}=${v} is outside 0–${max}`;
  return null;
}

/** Why a record is bad, or null when it is good. */
export function rowProblem(fields: string[], header: OrdersHeader): string | null {
  if (fields.length !== header.columns.length) {
    return `has ${fields.length} fields; expected ${header.columns.length} (one per header column)`;
  }
  const { index } = header;
  if (fields[index.order_id].trim() === '') return 'order_id is empty';
  const problem =
    checkInteger(fields[index.order_dow], 'order_dow', 6) ??
    checkInteger(fields[index.order_hour_of_day], 'order_hour_of_day', 23);
  if (problem) return problem;
  const prior = fields[index.days_since_prior_order].trim();
  if (prior !== '' && (!NUMBER.test(prior) || Number(prior) < 0)) {
    return `days_since_prior_order=${JSON.stringify(prior)} is not empty or a non-negative number`;
  }
  for (let i = 0; i < fields.length; i++) {
    if (
      i === index.order_id ||
      i === index.order_dow ||
      i === index.order_hour_of_day ||
      i === index.days_since_prior_order
    )
      continue;
    const countProblem = checkInteger(fields[i], `"${header.columns[i]}"`, MAX_ITEM_COUNT);
    if (countProblem) return countProblem.replace(' is not ', ' is not a valid item count: expected ');
  }
  return null;
}

export interface ScanHandlers {
  good(row: GoodRow): void | Promise<void>;
  bad(row: BadRow): void | Promise<void>;
  /** Bytes consumed so far, for progress bars. */
  progress?(bytes: number): void;
}

/** Streams the data rows of `file` (after its header) through the validator. Returns row counts. */
export async function scanOrderRows(
  file: string,
  header: OrdersHeader,
  handlers: ScanHandlers,
): Promise<{ good: number; bad: number }> {
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      from_line: 2,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      raw: true,
      info: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }),
  );
  let good = 0;
  let bad = 0;
  const skipped: BadRow[] = [];
  parser.on('skip', (err: Error & { lines?: number; raw?: string }) => {
    skipped.push({
      file,
      line: err.lines ?? 0,
      reason: `unparseable CSV: ${err.message}`,
      raw: err.raw ?? '',
    });
  });
  for await (const entry of parser as AsyncIterable<{
    record: string[];
    raw: string;
    info: { lines: number; bytes: number };
  }>) {
    while (skipped.length > 0) {
      bad++;
      await handlers.bad(skipped.shift()!);
    }
    const raw = entry.raw.replace(/[\r\n]+$/, '');
    const line = entry.info.lines;
    const problem = rowProblem(entry.record, header);
    if (problem) {
      bad++;
      await handlers.bad({ file, line, reason: problem, raw });
    } else {
      good++;
      await handlers.good({
        line,
        raw,
        fields: entry.record,
        day: Number(entry.record[header.index.order_dow]),
        hour: Number(entry.record[header.index.order_hour_of_day]),
      });
    }
    if (handlers.progress && (good + bad) % 5000 === 0) handlers.progress(entry.info.bytes);
  }
  for (const row of skipped) {
    bad++;
    await handlers.bad(row);
  }
  return { good, bad };
}
