// A part's staged partial as bytes for the metadata store: the scan totals (five Float64Arrays, mostly zeros, so
// gzip shrinks them ~20×) after a JSON head with the categories, bad rows and how the part was read. Totals stay
// totals (not cells) so the ranges of one file add up before the file's cells and holdout partial are derived.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PartTotals } from './file-aggregate.js';
import { emptyTotals, type ScanTotals } from './sum-scan.js';

type Head = Omit<PartTotals, 'totals'>;

const ARRAYS = [
  'orders',
  'items',
  'bucketOrders',
  'bucketItems',
  'squares',
] as const satisfies readonly (keyof ScanTotals)[];

export function packPart(part: PartTotals): Buffer {
  const { totals, ...head } = part;
  const headBytes = Buffer.from(JSON.stringify(head satisfies Head), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headBytes.length);
  const arrays = ARRAYS.map((k) => Buffer.from(totals[k].buffer, totals[k].byteOffset, totals[k].byteLength));
  return gzipSync(Buffer.concat([length, headBytes, ...arrays]), { level: 1 });
}

export function unpackPart(bytes: Uint8Array): PartTotals {
  const raw = gunzipSync(bytes);
  const headLength = raw.readUInt32LE(0);
  const head = JSON.parse(raw.subarray(4, 4 + headLength).toString('utf8')) as Head;
  const totals = emptyTotals(head.categories.length);
  let at = 4 + headLength;
  for (const k of ARRAYS) {
    const target = totals[k];
    // Copied: the gunzipped buffer need not be 8-byte aligned for a Float64Array view.
    new Uint8Array(target.buffer).set(raw.subarray(at, at + target.byteLength));
    at += target.byteLength;
  }
  if (at !== raw.length)
    throw new Error(`staged partial: ${raw.length - at} bytes left over (corrupt payload)`);
  return { ...head, totals };
}
