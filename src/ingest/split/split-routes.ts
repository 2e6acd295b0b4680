// The fast path of `split`: once the one-pass scanner has accepted every line of a file (so each line is a
// plain row: no quoted commas, no blank lines, day 0–6), lines are routed to their day by reading only the
// day field and copying the line's bytes, without its CR/LF. The output is byte for byte what the exact
// path writes for the same rows (the split tests compare the two).
import { lineBlocks } from '../../data/line-blocks.js';
import type { OrdersHeader } from '../../data/orders-header.js';

const LF = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
const ZERO = 48;

/** The file no longer holds what the scanner accepted: it was written to between the two passes. */
export class ChangedWhileReadingError extends Error {
  constructor() {
    super('the file changed while it was being split');
  }
}

export interface RoutedBlock {
  /** Per day, the block's rows of that day, each ending in LF. */
  days: Buffer[];
  rows: number[];
}

/** Routes the complete lines of bytes[0, end) (end just past a LF) by their order_dow field. */
function routeLines(bytes: Buffer, end: number, dayColumn: number): RoutedBlock {
  // A day can hold at most the whole block; unused tails are cut off below.
  const days = Array.from({ length: 7 }, () => Buffer.allocUnsafe(end));
  const used = new Array<number>(7).fill(0);
  const rows = new Array<number>(7).fill(0);
  let i = 0;
  while (i < end) {
    const lineEnd = bytes.indexOf(LF, i);
    let field = i;
    for (let k = 0; k < dayColumn; k++) field = bytes.indexOf(COMMA, field) + 1;
    if (bytes[field] === QUOTE) field++;
    const day = bytes[field] - ZERO;
    if (!(day >= 0 && day < 7)) throw new ChangedWhileReadingError();
    const contentEnd = bytes[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    used[day] += bytes.copy(days[day], used[day], i, contentEnd);
    days[day][used[day]++] = LF;
    rows[day]++;
    i = lineEnd + 1;
  }
  return { days: days.map((d, day) => d.subarray(0, used[day])), rows };
}

/**
 * Reads bytes [start, end) of `file` (its data lines, as the scanner saw them) block by block and hands
 * each block's rows per day to `write`, in file order. Only for files the scanner accepted.
 */
export async function routeByDay(
  file: string,
  start: number,
  end: number,
  header: OrdersHeader,
  write: (block: RoutedBlock) => Promise<void>,
  onProgress?: (bytesRead: number) => void,
): Promise<void> {
  let routed = start;
  for (const block of lineBlocks(file, start, end)) {
    // The scanner refused any line longer than a block, so a block without a line end is a changed file.
    if (block.end === 0) throw new ChangedWhileReadingError();
    await write(routeLines(block.bytes, block.end, header.index.order_dow));
    routed += block.end;
    onProgress?.(routed);
  }
}
