// The public Instacart dataset's file names and columns, as published (the "Instacart Market Basket
// Analysis" download): what the generator writes and what the relational reader looks for in a folder.
import fs from 'node:fs';
import path from 'node:path';

export const INSTACART_FILES = {
  orders: 'orders.csv',
  prior: 'order_products__prior.csv',
  train: 'order_products__train.csv',
  products: 'products.csv',
  aisles: 'aisles.csv',
  departments: 'departments.csv',
} as const;

/** Sizes of the public download: `generate --format instacart --orders 3421083` writes a set this large. */
export const INSTACART_FULL = {
  orders: 3_421_083,
  users: 206_209,
  priorRows: 32_434_489,
  trainRows: 1_384_617,
  products: 49_688,
} as const;

/** What a category is: the product's aisle (134 of them) or its department (21). */
export type InstacartCategory = 'aisle' | 'department';

/**
 * The order_products files of a folder: the two published ones (prior, then train) if present, then any other
 * `order_products*.csv` (a day batch may carry its line items under another name), in name order.
 */
export function orderProductsFiles(dir: string): string[] {
  const names = fs.readdirSync(dir).filter((n) => /^order_products.*\.csv$/.test(n));
  const published: string[] = [INSTACART_FILES.prior, INSTACART_FILES.train];
  const rank = (n: string): number => (published.includes(n) ? published.indexOf(n) : published.length);
  return names
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => path.join(dir, n));
}

/** Whether `dir` is a folder in the relational form: an orders.csv and at least one order_products file. */
export function isInstacartDir(dir: string): boolean {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return false;
  return fs.existsSync(path.join(dir, INSTACART_FILES.orders)) && orderProductsFiles(dir).length > 0;
}
