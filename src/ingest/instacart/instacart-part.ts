// A relational batch folder read as one part, in the packed form file-aggregate.ts `readPart` gives for a wide
// file (categories, ScanTotals, bad rows), plus the files it was made of and their sizes. The incremental landing
// reads relational batches through it (instacart-batch.ts adds the content hash and the catalog's hash). A folder
// is one part: its order_products lines only mean something with its orders.csv, so it is not cut into chunks
// the way a wide file is.
import fs from 'node:fs';
import path from 'node:path';
import { INSTACART_FILES } from '../../data/instacart-files.js';
import type { PartTotals } from '../read/file-aggregate.js';
import { readInstacartTotals, type InstacartReadOptions } from './instacart-aggregate.js';
import { catalogFile } from './instacart-catalog-read.js';

export interface InstacartPart extends PartTotals {
  /** Every file read (orders, order_products, catalog) with its size, in reading order. */
  sources: { file: string; size: number }[];
}

export async function readInstacartPart(
  dir: string,
  options: InstacartReadOptions = {},
): Promise<InstacartPart> {
  const read = await readInstacartTotals(dir, options);
  const category = options.category ?? 'aisle';
  const files = [
    catalogFile(dir, INSTACART_FILES.products),
    catalogFile(dir, category === 'aisle' ? INSTACART_FILES.aisles : INSTACART_FILES.departments),
    path.join(dir, INSTACART_FILES.orders),
    ...read.lineItemFiles,
  ];
  const sources = files.map((file) => ({ file, size: fs.statSync(file).size }));
  const bytes = sources.reduce((n, s) => n + s.size, 0);
  return {
    categories: read.categories,
    totals: read.totals,
    badRows: read.badRows,
    method: 'scan',
    whole: true,
    start: 0,
    end: bytes,
    sources,
  };
}
