// A relational batch in the incremental landing area: a batch folder holding orders.csv and its
// order_products*.csv files (instacart-files.ts) is one ledger entry, named by its orders file
// ("<batch>/orders.csv"), whose stats and content hash cover orders.csv and every order_products file (in
// the order instacart-files.ts lists them). Its other files are not entries of their own. The catalog
// (products.csv, aisles.csv, departments.csv) is read from the batch folder if it holds one, else from the
// landing root (instacart-catalog-read.ts): it is not part of the entry's stats or hash, so a catalog change
// applies to batches read after it, and `orderflow reprocess` re-reads committed batches with the new one.
// Each part records the catalog's hash in its reason column ("catalog sha256:…") to tell which it was read with.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  INSTACART_FILES,
  isInstacartDir,
  orderProductsFiles,
  type InstacartCategory,
} from '../../data/instacart-files.js';
import { chunkCount, chunkStarts, hashChunks } from '../read/content-hash.js';
import type { PartRead } from '../read/file-aggregate.js';
import { catalogFile } from './instacart-catalog-read.js';
import { readInstacartPart, type InstacartPart } from './instacart-part.js';
import type { FileStat } from '../files.js';

/** The files of the relational batch whose orders file is `absolute`, or null (a wide file). */
export function relationalBatchFiles(absolute: string): string[] | null {
  if (path.basename(absolute) !== INSTACART_FILES.orders) return null;
  const dir = path.dirname(absolute);
  if (!isInstacartDir(dir)) return null;
  return [absolute, ...orderProductsFiles(dir)];
}

/** One stat for the batch's files: sizes summed, the latest mtime and ctime, every device:inode. */
export function relationalBatchStat(files: readonly string[]): FileStat | null {
  const stats = files.map((f) => fs.statSync(f, { throwIfNoEntry: false }));
  if (stats.some((s) => s === undefined)) return null;
  const all = stats as fs.Stats[];
  return {
    size: all.reduce((n, s) => n + s.size, 0),
    mtimeMs: Math.max(...all.map((s) => s.mtimeMs)),
    ctimeMs: Math.max(...all.map((s) => s.ctimeMs)),
    inode: all.map((s) => `${s.dev}:${s.ino}`).join(','),
  };
}

/** Whether every file of the batch ends with a newline (each is whole, as far as a reader can tell). */
export async function relationalBatchEndsWithNewlines(files: readonly string[]): Promise<boolean> {
  for (const file of files) {
    const handle = await fsp.open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size === 0) return false;
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 10) return false;
    } finally {
      await handle.close();
    }
  }
  return true;
}

/** SHA-256 of the catalog files a batch folder is joined with (products, then the category names). */
function catalogHash(dir: string, category: InstacartCategory): string {
  const hash = createHash('sha256');
  for (const name of [
    INSTACART_FILES.products,
    category === 'aisle' ? INSTACART_FILES.aisles : INSTACART_FILES.departments,
  ])
    hash.update(fs.readFileSync(catalogFile(dir, name)));
  return hash.digest('hex');
}

export interface RelationalBatchRead {
  part: PartRead;
  catalogSha256: string;
}

/**
 * Reads a relational batch as the one part of its entry: the join's totals (readInstacartPart) and, as its
 * chunk hashes, those of every file of the batch in turn (the content hash the ledger's duplicate rule uses).
 */
export async function readRelationalBatch(
  files: readonly string[],
  options: { category: InstacartCategory; chunkBytes: number; threads?: number },
): Promise<RelationalBatchRead> {
  const dir = path.dirname(files[0]);
  const catalogSha256 = catalogHash(dir, options.category);
  const read: InstacartPart = await readInstacartPart(dir, {
    category: options.category,
    threads: options.threads,
  });
  const hashes: Buffer[] = [];
  for (const file of files) {
    const handle = await fsp.open(file, 'r');
    try {
      const { size } = await handle.stat();
      const count = chunkCount(size, options.chunkBytes);
      const starts = await chunkStarts(handle, size, options.chunkBytes, 0, count);
      hashes.push(await hashChunks(handle, starts));
    } finally {
      await handle.close();
    }
  }
  const { sources: _sources, ...totals } = read;
  void _sources;
  // Every row of the batch was checked and its totals stand for the whole batch: what the ledger calls an exact
  // read (staged-parts.ts keeps the bad rows of such a part for the quarantine).
  const part: PartRead = {
    ...totals,
    method: 'exact',
    whole: true,
    firstChunk: 0,
    chunkHashes: Buffer.concat(hashes),
  };
  return { part, catalogSha256 };
}
