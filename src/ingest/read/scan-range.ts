// Scans one byte range of an orders file, block by block of whole lines, with the one-pass scanner.
// A range starts at the beginning of a line and ends just past a LF or at the end of the file.
// Synchronous on purpose: it runs in a scan thread, or on the main thread only for small files.
import { DEFAULT_BLOCK_BYTES, lineBlocks } from '../../data/line-blocks.js';
import { emptyTotals, scanLines, type ScanLayout, type ScanTotals } from './sum-scan.js';

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
  let lines = 0;
  for (const block of lineBlocks(file, start, end, blockBytes)) {
    const scanned = block.end > 0 ? scanLines(block.bytes, 0, block.end, layout, totals) : -1;
    if (scanned < 0) return { lines: -1, totals };
    lines += scanned;
  }
  return { lines, totals };
}
