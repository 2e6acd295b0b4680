// Part 0: splits the orders file by day into raw/<dow>/orders_<dow>.csv (dow 0–6). Rows are copied as
// written (header and row text preserved, line endings normalised to LF); bad rows are quarantined.
// All seven files are written beside their final names and renamed in only when the whole input was read.
// Fast path: when the one-pass scanner accepts every line, lines are routed by their day field as bytes
// (1M orders: ~2 s instead of ~25 s through csv-parse); otherwise the exact validator reads every row.
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../base/errors.js';
import { openAtomicWriter, type AtomicWriter } from '../../data/atomic.js';
import { readOrdersHeader } from '../../data/orders-header.js';
import { scanOrderRows, type BadRow } from '../../data/order-rows.js';
import { writeQuarantine } from '../../data/quarantine.js';
import { ChangedWhileReadingError, routeByDay } from './split-routes.js';
import { scanFile } from '../read/scan-file.js';

export interface SplitOptions {
  input: string;
  rawDir: string;
  quarantineDir: string;
  dataDir: string;
  strict: boolean;
  /** Lines longer than this are bad rows. @defaultValue 1 MiB */
  maxLineBytes?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface SplitSummary {
  rowsPerDay: number[];
  badRows: BadRow[];
  files: string[];
  quarantine: string | undefined;
}

export function dayFilePath(rawDir: string, day: number): string {
  return path.join(rawDir, String(day), `orders_${day}.csv`);
}

async function rawHeaderLine(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    return text.split(/\r?\n|\r/, 1)[0];
  } finally {
    await handle.close();
  }
}

export async function splitByDay(options: SplitOptions): Promise<SplitSummary> {
  const header = await readOrdersHeader(options.input);
  const headerLine = await rawHeaderLine(options.input);
  const { size } = await fs.stat(options.input);
  const files = Array.from({ length: 7 }, (_, day) => dayFilePath(options.rawDir, day));
  const writers: AtomicWriter[] = [];
  const rowsPerDay = new Array<number>(7).fill(0);
  const badRows: BadRow[] = [];
  const pending: string[][] = Array.from({ length: 7 }, () => []);
  try {
    for (const file of files) {
      const writer = await openAtomicWriter(file);
      writers.push(writer);
      await writer.write(headerLine + '\n');
    }
    const scan = await scanFile(options.input, header);
    if (scan) {
      const changed = () =>
        new InputError(
          `${options.input} changed while it was being split; nothing was written, run split again`,
        );
      await routeByDay(
        options.input,
        scan.dataStart,
        scan.dataEnd,
        header,
        async (block) => {
          for (let day = 0; day < 7; day++) {
            rowsPerDay[day] += block.rows[day];
            if (block.days[day].length > 0) await writers[day].write(block.days[day]);
          }
        },
        (bytes) => options.onProgress?.(bytes, size),
      ).catch((err: unknown) => {
        throw err instanceof ChangedWhileReadingError ? changed() : err;
      });
      if (rowsPerDay.reduce((n, r) => n + r, 0) !== scan.lines) throw changed();
    } else {
      const flush = async (day: number) => {
        await writers[day].write(pending[day].join('\n') + '\n');
        pending[day] = [];
      };
      await scanOrderRows(
        options.input,
        header,
        {
          good: async (row) => {
            rowsPerDay[row.day]++;
            pending[row.day].push(row.raw);
            if (pending[row.day].length === 1000) await flush(row.day);
          },
          bad: (row) => void badRows.push(row),
          progress: (bytes) => options.onProgress?.(bytes, size),
        },
        { maxLineBytes: options.maxLineBytes },
      );
      for (let day = 0; day < 7; day++) if (pending[day].length > 0) await flush(day);
    }
    if (options.strict && badRows.length > 0) {
      throw new InputError(
        `${badRows.length} bad row(s) in ${options.input} and --strict is set; nothing was written. First: line ${badRows[0].line}: ${badRows[0].reason}`,
      );
    }
    for (const writer of writers) await writer.commit();
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    throw err;
  }
  const quarantine = await writeQuarantine(options.quarantineDir, options.dataDir, options.input, badRows);
  return { rowsPerDay, badRows, files, quarantine };
}
