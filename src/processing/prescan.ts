// A cheap byte-level pre-check run beside DuckDB's fast path. DuckDB's CSV casts are lenient ("3.5" is
// read as 4, "1e2" as 100), so before trusting its sums we check that every count field holds only
// digits (and optional quotes/spaces) and that every line has one field per header column. Anything
// else marks the file for the exact row-by-row validator. It never decides a row is bad by itself.
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
  const fieldCount = header.columns.length;
  const isCount = new Uint8Array(fieldCount + 1);
  header.columns.forEach((name, i) => (isCount[i] = header.categories.includes(name) ? 1 : 0));
  let field = 0;
  let digits = 0;
  let lineHasContent = false;
  let inHeader = true;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (inHeader) {
        if (b === LF) inHeader = false;
        continue;
      }
      if (b === LF) {
        if (lineHasContent && (field !== fieldCount - 1 || (isCount[field] === 1 && digits === 0)))
          return false;
        field = 0;
        digits = 0;
        lineHasContent = false;
      } else if (b === COMMA) {
        if (isCount[field] === 1 && digits === 0) return false;
        field++;
        digits = 0;
        lineHasContent = true;
        if (field >= fieldCount) return false;
      } else if (b === CR) {
        continue;
      } else {
        lineHasContent = true;
        if (isCount[field] === 1) {
          if (b >= ZERO && b <= NINE) digits++;
          else if (b !== QUOTE && b !== SPACE) return false;
        }
      }
    }
  }
  // A final line without a newline.
  if (lineHasContent && (field !== fieldCount - 1 || (isCount[field] === 1 && digits === 0))) return false;
  return true;
}
