// Bad rows are never dropped silently: they go to DATA_DIR/quarantine/<source>.rejected.csv with the
// file, line and reason. One quarantine file per source file, replaced on each run (the latest verdict).
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from './atomic.js';
import type { BadRow } from './order-rows.js';

export function quarantinePathFor(quarantineDir: string, dataDir: string, source: string): string {
  if (/^[a-z0-9]+:\/\//.test(source)) {
    // An object in a bucket (s3://bucket/key): its URL, flattened.
    return path.join(quarantineDir, `${source.replace('://', '__').replace(/[/\\]/g, '__')}.rejected.csv`);
  }
  const relative = path.relative(dataDir, path.resolve(source));
  const name = (relative.startsWith('..') ? path.resolve(source) : relative)
    .replace(/^[/\\]+/, '')
    .replace(/[/\\]/g, '__');
  return path.join(quarantineDir, `${name}.rejected.csv`);
}

/** Writes (or, with no bad rows, removes) the quarantine file of `source`; returns its path if written. */
export async function writeQuarantine(
  quarantineDir: string,
  dataDir: string,
  source: string,
  rows: BadRow[],
): Promise<string | undefined> {
  const target = quarantinePathFor(quarantineDir, dataDir, source);
  if (rows.length === 0) {
    await fs.rm(target, { force: true });
    return undefined;
  }
  const text = stringify(
    rows.map((r) => [r.file, r.line, r.reason, r.raw]),
    { header: true, columns: ['file', 'line', 'reason', 'raw'] },
  );
  await writeFileAtomic(target, text);
  return target;
}
