// Row-level validation of a wide orders CSV: the exact (slow) path, and the one acceptance rule every path
// shares. The fast scanner (ingest/read/sum-scan.ts) accepts a subset of these rows and hands anything else
// here, so what is accepted never depends on the path. Every row is either good or bad with a reason;
// nothing is dropped silently.
//
// The rule, field by field (after CSV unquoting: "5" is the value 5):
// - order_id: at least one character that is not a space, and no control characters;
// - order_dow 0–6, order_hour_of_day 0–23, every item count 0–4,294,967,295: ASCII digits only (leading
//   zeros allowed: 007 is 7); no sign, no decimal point, no spaces of any kind (not even NBSP or a tab);
// - days_since_prior_order: empty, or a non-negative decimal (7, 7.0, .5) with no sign, exponent or spaces.
// Lines are read with bounded memory (data/physical-lines.ts): a line over the limit is one bad row, an
// unterminated quote costs the one line it starts on, and a file that is not UTF-8 is rejected as a whole.
import { splitRecord } from './csv-record.js';
import type { OrdersHeader } from './orders-header.js';
import { DEFAULT_MAX_LINE_BYTES, physicalLines, type PhysicalLine } from './physical-lines.js';

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

const DIGITS = /^[0-9]+$/;
/** The largest item count a cell of one order may hold (unsigned 32-bit, as the outputs store it). */
const MAX_ITEM_COUNT = 4_294_967_295;
const DECIMAL = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A multi-line quoted record may span at most this many lines before the quote counts as unterminated. */
const MAX_RECORD_LINES = 1000;

function checkInteger(value: string, column: string, max: number): string | null {
  if (value === '') return `${column} is empty; expected an integer 0–${max}`;
  if (!DIGITS.test(value)) {
    return `${column}=${JSON.stringify(value)} is not an integer 0–${max} (digits only: no sign, decimal point or spaces)`;
  }
  if (Number(value) > max) return `${column}=${value} is outside 0–${max}`;
  return null;
}

/** Why a record is bad, or null when it is good. */
export function rowProblem(fields: string[], header: OrdersHeader): string | null {
  if (fields.length !== header.columns.length) {
    return `has ${fields.length} fields; expected ${header.columns.length} (one per header column)`;
  }
  const { index } = header;
  const orderId = fields[index.order_id];
  if (orderId.trim() === '') return 'order_id is empty';
  if (CONTROL.test(orderId)) return `order_id=${JSON.stringify(orderId)} contains a control character`;
  const problem =
    checkInteger(fields[index.order_dow], 'order_dow', 6) ??
    checkInteger(fields[index.order_hour_of_day], 'order_hour_of_day', 23);
  if (problem) return problem;
  const prior = fields[index.days_since_prior_order];
  if (prior !== '' && !DECIMAL.test(prior)) {
    return `days_since_prior_order=${JSON.stringify(prior)} is not empty or a non-negative decimal number`;
  }
  for (let i = 0; i < fields.length; i++) {
    if (
      i === index.order_id ||
      i === index.order_dow ||
      i === index.order_hour_of_day ||
      i === index.days_since_prior_order
    )
      continue;
    const value = fields[i];
    if (DIGITS.test(value) && value.length < 10) continue; // the common case, certainly in range
    const countProblem = checkInteger(value, `"${header.columns[i]}"`, MAX_ITEM_COUNT);
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

export interface ScanRowOptions {
  /** @defaultValue 1 MiB */
  maxLineBytes?: number;
}

/** A record assembled from one or more physical lines. */
type Assembled =
  | { kind: 'record'; line: number; offset: number; raw: string; fields: string[] }
  | { kind: 'bad'; line: number; offset: number; raw: string; reason: string };

/** Lines of the file after its header, with look-ahead for quoted fields that span lines. */
class RecordReader {
  private readonly ahead: PhysicalLine[] = [];
  private readonly lines: AsyncGenerator<PhysicalLine>;

  constructor(
    file: string,
    private readonly header: OrdersHeader,
    private readonly maxLineBytes: number,
  ) {
    this.lines = physicalLines(file, { maxLineBytes });
  }

  private async peek(k: number): Promise<PhysicalLine | undefined> {
    while (this.ahead.length <= k) {
      const next = await this.lines.next();
      if (next.done) return undefined;
      this.ahead.push(next.value);
    }
    return this.ahead[k];
  }

  async skipHeader(): Promise<void> {
    if (await this.peek(0)) this.ahead.shift();
  }

  async next(): Promise<Assembled | 'empty' | undefined> {
    const first = await this.peek(0);
    if (!first) return undefined;
    this.ahead.shift();
    if (first.tooLong) {
      return {
        kind: 'bad',
        line: first.line,
        offset: first.offset,
        raw: first.text + '…',
        reason: `line is longer than ${this.maxLineBytes} bytes (the limit; set ORDERFLOW_MAX_LINE_BYTES to raise it)`,
      };
    }
    if (first.text === '') return 'empty';
    const split = splitRecord(first.text);
    const at = { line: first.line, offset: first.offset, raw: first.text };
    if (split.kind === 'fields') return { kind: 'record', ...at, fields: split.fields };
    if (split.kind === 'error') return { kind: 'bad', ...at, reason: split.reason };
    return this.joinQuotedLines(first);
  }

  /**
   * A quoted field opened on `first` and not closed on it: the record continues on the next lines only if
   * the quote closes within the limits and the joined record has the header's shape. Otherwise the quote
   * is unterminated, `first` alone is the bad row and reading resumes on the line after it.
   */
  private async joinQuotedLines(first: PhysicalLine): Promise<Assembled> {
    let text = first.text;
    let quotes = countQuotes(text);
    for (let k = 0; k < MAX_RECORD_LINES; k++) {
      const next = await this.peek(k);
      if (!next || next.tooLong || text.length + next.text.length >= this.maxLineBytes) break;
      text += '\n' + next.text;
      quotes += countQuotes(next.text);
      if (quotes % 2 === 1) continue;
      const split = splitRecord(text);
      if (split.kind === 'open') continue;
      if (split.kind === 'fields' && split.fields.length === this.header.columns.length) {
        this.ahead.splice(0, k + 1);
        return { kind: 'record', line: first.line, offset: first.offset, raw: text, fields: split.fields };
      }
      break;
    }
    return {
      kind: 'bad',
      line: first.line,
      offset: first.offset,
      raw: first.text,
      reason: 'unterminated quote: a quoted field starts on this line and never closes',
    };
  }

  close(): Promise<unknown> {
    return this.lines.return(undefined);
  }
}

function countQuotes(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) n++;
  return n;
}

/** Streams the data rows of `file` (after its header) through the validator. Returns row counts. */
export async function scanOrderRows(
  file: string,
  header: OrdersHeader,
  handlers: ScanHandlers,
  options: ScanRowOptions = {},
): Promise<{ good: number; bad: number }> {
  const reader = new RecordReader(file, header, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  let good = 0;
  let bad = 0;
  try {
    await reader.skipHeader();
    for (let entry = await reader.next(); entry !== undefined; entry = await reader.next()) {
      if (entry === 'empty') continue;
      if (handlers.progress && (good + bad) % 5000 === 0) handlers.progress(entry.offset);
      if (entry.kind === 'bad') {
        bad++;
        await handlers.bad({ file, line: entry.line, reason: entry.reason, raw: entry.raw });
        continue;
      }
      const problem = rowProblem(entry.fields, header);
      if (problem) {
        bad++;
        await handlers.bad({ file, line: entry.line, reason: problem, raw: entry.raw });
      } else {
        good++;
        await handlers.good({
          line: entry.line,
          raw: entry.raw,
          fields: entry.fields,
          day: Number(entry.fields[header.index.order_dow]),
          hour: Number(entry.fields[header.index.order_hour_of_day]),
        });
      }
    }
  } finally {
    await reader.close();
  }
  return { good, bad };
}
