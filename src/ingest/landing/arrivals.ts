// Which incremental input files are present: DATA_DIR/incremental/raw/<batch>/*.csv. Dotfiles and
// *.tmp / *.part are a writer's temp names and ignored. Whether a present file is whole is decided later
// (readiness.ts); a batch folder holding `_SUCCESS` (Spark/Hadoop's marker) says its files are whole.
import fs from 'node:fs/promises';
import path from 'node:path';
import { INSTACART_FILES } from '../../data/instacart-files.js';
import { relationalBatchFiles, relationalBatchStat } from '../instacart/instacart-batch.js';
import type { ArrivedFile } from '../files.js';

export const SUCCESS_MARKER = '_SUCCESS';

export function isCompleteFileName(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('.tmp') && !name.endsWith('.part') && name.endsWith('.csv');
}

export async function listArrivedFiles(rawDir: string): Promise<ArrivedFile[]> {
  const batches = await fs.readdir(rawDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const files: ArrivedFile[] = [];
  for (const batch of batches) {
    if (!batch.isDirectory() || batch.name.startsWith('.')) continue;
    const dir = path.join(rawDir, batch.name);
    const entries = await fs.readdir(dir, { withFileTypes: true });
    const batchMarkedDone = entries.some((e) => e.name === SUCCESS_MARKER);
    const relational = relationalBatchFiles(path.join(dir, INSTACART_FILES.orders));
    if (relational) {
      const stat = relationalBatchStat(relational);
      if (stat)
        files.push({
          path: `${batch.name}/${INSTACART_FILES.orders}`,
          batch: batch.name,
          absolute: relational[0],
          ...stat,
          batchMarkedDone,
          relational: true,
        });
      continue; // its other files (order_products, a catalog of its own) are not entries of their own
    }
    for (const entry of entries) {
      if (!entry.isFile() || !isCompleteFileName(entry.name)) continue;
      const absolute = path.join(dir, entry.name);
      const stat = await fs.stat(absolute).catch(() => null);
      if (!stat) continue; // Renamed away between readdir and stat: it is picked up next run.
      files.push({
        path: `${batch.name}/${entry.name}`,
        batch: batch.name,
        absolute,
        size: stat.size,
        mtimeMs: stat.mtimeMs,
        ctimeMs: stat.ctimeMs,
        inode: `${stat.dev}:${stat.ino}`,
        batchMarkedDone,
      });
    }
  }
  return files.sort((a, b) => compareBatches(a.batch, b.batch) || (a.path < b.path ? -1 : 1));
}

/** Numeric batch names in numeric order ("2" < "10"), others after them by name. */
export function compareBatches(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
