// A cheap byte-level pre-check run beside DuckDB's fast path. DuckDB's CSV casts are lenient ("3.5" is read
// as 4 in an integer column, "1e2" as 100, "+5" as 5), so before trusting its sums we check that every count
// field holds only digits (and optional quotes/spaces), is not empty, and that every line has one field per
// header column. Anything else sends the file to the exact row-by-row validator; this never decides on its
// own that a row is bad. It runs on the main thread while DuckDB parses on its own threads.
import { createReadStream } from 'node:fs';
import type { OrdersHeader } from '../data/orders-header.js';

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const ZERO = 48;
const NINE = 57;

/** True when every data line looks like plain integer counts with the right number of fields. */
export async function looksClean(file: string, header: OrdersHeader): Promise<boolean> {
  const last = header.columns.length - 1;
  const isCount = new Uint8Array(header.columns.length + 1);
  const categories = new Set(header.categories);
  header.columns.forEach((name, i) => (isCount[i] = categories.has(name) ? 1 : 0));
  let field = 0;
  let digits = 0;
  let lineHasContent = false;
  let inHeader = true;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 }) as AsyncIterable<Buffer>) {
    let i = 0;
    if (inHeader) {
      const end = chunk.indexOf(LF);
      if (end < 0) continue;
      inHeader = false;
      i = end + 1;
    }
    // Ordered by frequency: digits, then commas; the rest is rare.
    for (const n = chunk.length; i < n; i++) {
      const b = chunk[i];
      if (b >= ZERO && b <= NINE) {
        digits++;
        lineHasContent = true;
      } else if (b === COMMA) {
        if (isCount[field] === 1 && digits === 0) return false;
        if (++field > last) return false;
        digits = 0;
        lineHasContent = true;
      } else if (b === LF) {
        if (lineHasContent && (field !== last || (isCount[field] === 1 && digits === 0))) return false;
        field = 0;
        digits = 0;
        lineHasContent = false;
      } else if (b !== CR) {
        lineHasContent = true;
        if (isCount[field] === 1 && b !== QUOTE && b !== SPACE) return false;
      }
    }
  }
  // A last line without a newline.
  return !lineHasContent || (field === last && !(isCount[field] === 1 && digits === 0));
}
