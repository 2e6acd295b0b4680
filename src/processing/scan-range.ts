// Reads one byte range of an orders file in blocks and feeds its complete lines to the one-pass scanner.
// A range starts at the beginning of a line and ends just past a LF (or at the end of the file, where a
// last line without its newline gets one). Synchronous on purpose: it runs in a scan thread, or on the
// main thread only for small files.
import fs from 'node:fs';
import { emptyTotals, scanLines, type ScanLayout, type ScanTotals } from './sum-scan.js';

const LF = 10;
/** Read size; large enough that the per-block overhead vanishes, small enough to stay in cache. @defaultValue 4 MiB */
export const DEFAULT_BLOCK_BYTES = 1 << 22;

export interface RangeResult {
  /** Data lines scanned, or -1 when the scanner gave up on the range. */
  lines: number;
  totals: ScanTotals;
}

export function scanRange(
  file: string,
  start: number,
  end: number,
  layout: ScanLayout,
  blockBytes = DEFAULT_BLOCK_BYTES,
): RangeResult {
  const totals = emptyTotals(layout.categories);
  // One spare byte for the newline a last line may lack.
  const buffer = Buffer.allocUnsafe(blockBytes + 1);
  const fd = fs.openSync(file, 'r');
  let lines = 0;
  try {
    let position = start;
    let carried = 0; // bytes of an incomplete line kept at the start of the buffer
    while (position < end || carried > 0) {
      const want = Math.min(blockBytes - carried, end - position);
      const read = want > 0 ? fs.readSync(fd, buffer, carried, want, position) : 0;
      position += read;
      let filled = carried + read;
      const atEnd = position >= end || read === 0;
      if (atEnd && filled > 0 && buffer[filled - 1] !== LF) buffer[filled++] = LF;
      const complete = atEnd ? filled : buffer.lastIndexOf(LF, filled - 1) + 1;
      // A block without a single line end holds a line longer than the block: not an orders row.
      if (complete === 0) return { lines: -1, totals };
      const scanned = scanLines(buffer, 0, complete, layout, totals);
      if (scanned < 0) return { lines: -1, totals };
      lines += scanned;
      carried = filled - complete;
      buffer.copy(buffer, 0, complete, filled);
      if (atEnd) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { lines, totals };
}
