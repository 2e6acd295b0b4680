// The one codec of totals in the metadata store: scan totals (five Float64Arrays, mostly zeros, so gzip level 1
// shrinks them ~20×) after a JSON head that names the categories (and, for a part, its bad rows and how it was
// read). Totals stay totals, not cells: a file's ranges, a run's files and the output's snapshot all add up as
// typed arrays (ledger-totals.ts), and cells are derived only where an output is written.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PartTotals } from '../read/file-aggregate.js';
import { emptyTotals, type ScanTotals } from '../read/sum-scan.js';

/** What every packed value's head carries: the category of each column of the totals. */
export interface PayloadHead {
  categories: string[];
}

const ARRAYS = [
  'orders',
  'items',
  'bucketOrders',
  'bucketItems',
  'squares',
] as const satisfies readonly (keyof ScanTotals)[];

export function packTotals<H extends PayloadHead>(head: H, totals: ScanTotals): Buffer {
  const headBytes = Buffer.from(JSON.stringify(head), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headBytes.length);
  const arrays = ARRAYS.map((k) => Buffer.from(totals[k].buffer, totals[k].byteOffset, totals[k].byteLength));
  return gzipSync(Buffer.concat([length, headBytes, ...arrays]), { level: 1 });
}

export function unpackTotals<H extends PayloadHead>(bytes: Uint8Array): { head: H; totals: ScanTotals } {
  const raw = gunzipSync(bytes);
  const headLength = raw.readUInt32LE(0);
  const head = JSON.parse(raw.subarray(4, 4 + headLength).toString('utf8')) as H;
  const totals = emptyTotals(head.categories.length);
  let at = 4 + headLength;
  for (const k of ARRAYS) {
    const target = totals[k];
    // Copied: the gunzipped buffer need not be 8-byte aligned for a Float64Array view.
    new Uint8Array(target.buffer).set(raw.subarray(at, at + target.byteLength));
    at += target.byteLength;
  }
  if (at !== raw.length)
    throw new Error(`packed totals: ${raw.length - at} bytes left over (corrupt payload)`);
  return { head, totals };
}

type PartHead = Omit<PartTotals, 'totals'>;

/** A part's staged partial. */
export function packPart(part: PartTotals): Buffer {
  const { totals, ...head } = part;
  return packTotals<PartHead>(head, totals);
}

export function unpackPart(bytes: Uint8Array): PartTotals {
  const { head, totals } = unpackTotals<PartHead>(bytes);
  return { ...head, totals };
}
