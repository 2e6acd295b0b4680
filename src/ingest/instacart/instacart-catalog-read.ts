// Reads the catalog of a relational Instacart folder (products.csv with aisles.csv or departments.csv) into
// what the join needs: the category names, and product_id → category index in a frozen IdIndex. The catalog
// is looked for in the folder itself, then in its parent (day batches under one folder share one catalog).
// A catalog row that cannot be used (bad id, unknown aisle or department, a duplicate id) is a bad row with
// its file and line; line items of such a product are then quarantined as "unknown product".
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError } from '../../base/errors.js';
import type { BadRow } from '../../data/order-rows.js';
import { INSTACART_FILES, type InstacartCategory } from '../../data/instacart-files.js';
import { IdIndexBuilder, MAX_ID, type FrozenIdIndex } from '../read/id-index.js';

export interface InstacartCatalog {
  category: InstacartCategory;
  /** Category names (aisle or department names, each once), in the order of their first id. */
  categories: string[];
  /** product_id → index in `categories`. */
  products: FrozenIdIndex;
  productCount: number;
  /** The files read. */
  files: { products: string; names: string };
  badRows: BadRow[];
}

/** The first of `dir`/name, parent/name that exists. */
export function catalogFile(dir: string, name: string): string {
  for (const candidate of [path.join(dir, name), path.join(path.dirname(path.resolve(dir)), name)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new InputError(
    `${path.join(dir, name)}: no such file (the catalog is read from the folder or its parent); ` +
      `a relational folder needs ${INSTACART_FILES.products} and ${INSTACART_FILES.aisles} or ${INSTACART_FILES.departments}`,
  );
}

/** A whole CSV file as records with their line numbers (quoted names may hold commas and quotes). */
function readRecords(file: string, expected: readonly string[]): { line: number; fields: string[] }[] {
  const records = parse(fs.readFileSync(file), {
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const header = (records[0]?.record ?? []).map((n) => n.trim());
  const missing = expected.filter((name, i) => header[i] !== name);
  if (missing.length > 0) {
    throw new InputError(`${file}:1: expected the header ${expected.join(',')}, found ${header.join(',')}`);
  }
  return records.slice(1).map((r) => ({ line: r.info.lines, fields: r.record }));
}

function parseId(text: string | undefined): number | null {
  if (text === undefined || !/^\s*\d{1,10}\s*$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_ID ? n : null;
}

/** id → index in the returned names, from aisles.csv or departments.csv. */
function readNames(file: string, idColumn: string, nameColumn: string, badRows: BadRow[]) {
  const indexOf = new Map<number, number>();
  const names: string[] = [];
  const byName = new Map<string, number>();
  for (const { line, fields } of readRecords(file, [idColumn, nameColumn])) {
    const id = parseId(fields[0]);
    const name = fields[1]?.trim() ?? '';
    const bad = (reason: string) => badRows.push({ file, line, reason, raw: fields.join(',') });
    if (fields.length !== 2) bad(`expected 2 fields (${idColumn},${nameColumn}), found ${fields.length}`);
    else if (id === null) bad(`${idColumn} ${JSON.stringify(fields[0])} is not an integer 0–${MAX_ID}`);
    else if (name === '') bad(`${nameColumn} is empty`);
    else if (indexOf.has(id)) bad(`${idColumn} ${id} appears twice (the first row counts)`);
    else {
      if (!byName.has(name)) byName.set(name, names.push(name) - 1);
      indexOf.set(id, byName.get(name)!);
    }
  }
  return { indexOf, names };
}

export function readInstacartCatalog(dir: string, category: InstacartCategory): InstacartCatalog {
  const badRows: BadRow[] = [];
  const namesFile = catalogFile(
    dir,
    category === 'aisle' ? INSTACART_FILES.aisles : INSTACART_FILES.departments,
  );
  const { indexOf, names } =
    category === 'aisle'
      ? readNames(namesFile, 'aisle_id', 'aisle', badRows)
      : readNames(namesFile, 'department_id', 'department', badRows);
  const productsFile = catalogFile(dir, INSTACART_FILES.products);
  const column = category === 'aisle' ? 2 : 3;
  const builder = new IdIndexBuilder();
  for (const { line, fields } of readRecords(productsFile, [
    'product_id',
    'product_name',
    'aisle_id',
    'department_id',
  ])) {
    const bad = (reason: string) => badRows.push({ file: productsFile, line, reason, raw: fields.join(',') });
    const id = parseId(fields[0]);
    const of = parseId(fields[column]);
    if (fields.length !== 4) bad(`expected 4 fields, found ${fields.length}`);
    else if (id === null) bad(`product_id ${JSON.stringify(fields[0])} is not an integer 0–${MAX_ID}`);
    else if (of === null || !indexOf.has(of))
      bad(`${category}_id ${JSON.stringify(fields[column])} is not in ${path.basename(namesFile)}`);
    else if (!builder.add(id, indexOf.get(of)!)) bad(`product_id ${id} appears twice (the first row counts)`);
  }
  return {
    category,
    categories: names,
    products: builder.freeze(),
    productCount: builder.size,
    files: { products: productsFile, names: namesFile },
    badRows,
  };
}
