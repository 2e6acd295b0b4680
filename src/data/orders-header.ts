// Reads and checks the header of a wide orders CSV: the four order columns must be there; every other
// column is an item-count category (no hard-coded list). Quoted names, a UTF-8 BOM and CRLF are fine.
import { isUtf8 } from 'node:buffer';
import fs from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { InputError } from '../base/errors.js';
import { META_COLUMNS } from './generate.js';
import { firstInvalidUtf8 } from './physical-lines.js';

export interface OrdersHeader {
  /** Column names in file order, unquoted and trimmed. */
  columns: string[];
  /** The category columns: every column that is not one of META_COLUMNS. */
  categories: string[];
  /** Index of each META column in `columns`. */
  index: Record<(typeof META_COLUMNS)[number], number>;
}

const HEADER_PROBE_BYTES = 1 << 20;

export async function readOrdersHeader(file: string): Promise<OrdersHeader> {
  const handle = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`${file}: cannot open (${err.code ?? err.message})`, { cause: err });
  });
  let text: string;
  try {
    const buffer = Buffer.alloc(HEADER_PROBE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const probe = buffer.subarray(0, bytesRead);
    const lf = probe.indexOf(10);
    const headerBytes = lf < 0 ? probe : probe.subarray(0, lf);
    if (!isUtf8(headerBytes)) {
      const at = firstInvalidUtf8(headerBytes);
      throw new InputError(
        `${file}:1: the header is not valid UTF-8 at byte ${at} (0x${headerBytes[at].toString(16).padStart(2, '0')}); ` +
          'orderflow reads UTF-8 text: convert the file (e.g. iconv -f latin1 -t utf-8)',
      );
    }
    text = headerBytes.toString('utf8');
  } finally {
    await handle.close();
  }
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    throw new InputError(
      `${file}: the file is empty; expected a header line starting with ${META_COLUMNS.join(',')}`,
    );
  }
  const firstRecord = parse(text, {
    bom: true,
    to_line: 1,
    relax_column_count: true,
    relax_quotes: true,
    record_delimiter: ['\r\n', '\n', '\r'],
  }) as string[][];
  const columns = (firstRecord[0] ?? []).map((name) => name.trim());
  return checkHeader(file, columns);
}

export function checkHeader(file: string, columns: string[]): OrdersHeader {
  const missing = META_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new InputError(
      `${file}:1: missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; ` +
        `expected ${META_COLUMNS.join(', ')} followed by one item-count column per category`,
    );
  }
  const seen = new Set<string>();
  columns.forEach((name, i) => {
    if (name === '') throw new InputError(`${file}:1: column ${i + 1} has an empty name`);
    if (seen.has(name)) throw new InputError(`${file}:1: column "${name}" appears twice`);
    seen.add(name);
  });
  const categories = columns.filter((name) => !(META_COLUMNS as readonly string[]).includes(name));
  if (categories.length === 0) {
    throw new InputError(`${file}:1: no category columns after ${META_COLUMNS.join(', ')}`);
  }
  const index = Object.fromEntries(
    META_COLUMNS.map((name) => [name, columns.indexOf(name)]),
  ) as OrdersHeader['index'];
  return { columns, categories, index };
}
