// The fast path over one whole file: the data lines are cut into as many ranges as there are cores (at
// line ends) and each range is scanned on its own thread; the totals are then added up. Small files are
// scanned on the calling thread, where starting a thread would cost more than the scan.
import fs from 'node:fs/promises';
import os from 'node:os';
import type { OrdersHeader } from '../../data/orders-header.js';
import { DEFAULT_BLOCK_BYTES } from '../../data/line-blocks.js';
import { runModuleWorker, siblingModule } from './module-worker.js';
import { scanRange, type RangeResult } from './scan-range.js';
import { addTotals, emptyTotals, scanLayout, type ScanLayout, type ScanTotals } from './sum-scan.js';

export interface ScanJob {
  file: string;
  start: number;
  end: number;
  layout: ScanLayout;
  blockBytes: number;
}

export interface ScanOptions {
  /** Threads to use at most. @defaultValue os.availableParallelism() */
  threads?: number;
  /** Smallest range worth a thread of its own. @defaultValue 16 MiB */
  minRangeBytes?: number;
  /** Read size per block (tests make it tiny to cross many block edges). */
  blockBytes?: number;
}

export interface FileScan {
  /** The bytes scanned: from the first data line (just past the header) to the end of the file. */
  dataStart: number;
  dataEnd: number;
  /** Data lines (orders) scanned. */
  lines: number;
  totals: ScanTotals;
}

const LF = 10;

const WORKER_URL = siblingModule(import.meta.url, 'scan-worker');

/** Offset just past the end of the header line (its quoted parts included), or -1 when there is none. */
async function dataStart(handle: fs.FileHandle): Promise<number> {
  const probe = Buffer.alloc(1 << 20);
  const { bytesRead } = await handle.read(probe, 0, probe.length, 0);
  const end = probe.subarray(0, bytesRead).indexOf(LF);
  if (end < 0) return -1;
  // A header with a quoted line break is legal CSV but not worth a fast path.
  const quotes = probe.subarray(0, end).filter((b) => b === 34).length;
  return quotes % 2 === 0 ? end + 1 : -1;
}

/** The first line start at or after `offset`. */
async function nextLineStart(handle: fs.FileHandle, offset: number, size: number): Promise<number> {
  const window = Buffer.alloc(64 * 1024);
  for (let at = offset; at < size; at += window.length) {
    const { bytesRead } = await handle.read(window, 0, window.length, at);
    const lf = window.subarray(0, bytesRead).indexOf(LF);
    if (lf >= 0) return at + lf + 1;
  }
  return size;
}

/** Cut points that split [start, end) into up to `threads` ranges of whole lines, none under minRangeBytes. */
export async function cutRange(
  handle: fs.FileHandle,
  start: number,
  end: number,
  threads: number,
  minRangeBytes: number,
): Promise<number[]> {
  const count = Math.max(1, Math.min(threads, Math.floor((end - start) / minRangeBytes)));
  const cuts = [start];
  for (let k = 1; k < count; k++) {
    const cut = await nextLineStart(handle, start + Math.floor(((end - start) * k) / count), end);
    if (cut > cuts[cuts.length - 1] && cut < end) cuts.push(cut);
  }
  cuts.push(end);
  return cuts;
}

/**
 * The data lines of a part that covers the file's bytes [from, to) (whole chunks: content-hash.ts), i.e. the
 * range without the header. Null when the header itself is not a plain line (the exact validator reads it).
 */
export async function dataRange(
  file: string,
  from: number,
  to: number,
): Promise<{ start: number; end: number } | null> {
  const handle = await fs.open(file, 'r');
  try {
    const first = await dataStart(handle);
    if (first < 0) return null;
    const start = Math.max(first, from);
    return { start, end: Math.max(start, to) };
  } finally {
    await handle.close();
  }
}

function scanOnThread(job: ScanJob): Promise<RangeResult> {
  return runModuleWorker<RangeResult>(WORKER_URL, job, `scan of ${job.file}`);
}

/**
 * Scans every data line of `file`. Null when the scanner gave up anywhere (then nothing of it counts and
 * the exact validator has to read the file).
 */
export async function scanFile(
  file: string,
  header: OrdersHeader,
  options: ScanOptions = {},
): Promise<FileScan | null> {
  const range = await dataRange(file, 0, (await fs.stat(file)).size);
  return range ? scanFileRange(file, header, range.start, range.end, options) : null;
}

/** Scans the whole lines in [start, end) of `file`, on up to `threads` threads. Null when the scanner gave up. */
export async function scanFileRange(
  file: string,
  header: OrdersHeader,
  start: number,
  end: number,
  options: ScanOptions = {},
): Promise<FileScan | null> {
  const layout = scanLayout(header);
  const threads = options.threads ?? os.availableParallelism();
  const blockBytes = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
  const handle = await fs.open(file, 'r');
  const cuts = await cutRange(handle, start, end, threads, options.minRangeBytes ?? 16 << 20).finally(() =>
    handle.close(),
  );
  const jobs: ScanJob[] = cuts
    .slice(1)
    .map((to, k) => ({ file, start: cuts[k], end: to, layout, blockBytes }));
  const results =
    jobs.length === 1
      ? [scanRange(file, jobs[0].start, jobs[0].end, layout, blockBytes)]
      : await Promise.all(jobs.map(scanOnThread));
  if (results.some((r) => r.lines < 0)) return null;
  const totals = emptyTotals(layout.categories);
  for (const r of results) addTotals(totals, r.totals);
  return {
    dataStart: start,
    dataEnd: end,
    lines: results.reduce((n, r) => n + r.lines, 0),
    totals,
  };
}
