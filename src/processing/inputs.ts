// Which files an aggregation reads: an explicit file or glob, else the per-day split files.
import fs from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { InputError } from '../errors.js';

export async function resolveInputs(input: string | undefined, rawDir: string): Promise<string[]> {
  if (input === undefined) {
    const files = await glob('*/orders_*.csv', { cwd: rawDir, absolute: true });
    if (files.length === 0) {
      throw new InputError(
        `no input files: ${path.join(rawDir, '*/orders_*.csv')} matches nothing (run \`orderflow split\` first, or pass --input)`,
      );
    }
    return files.sort();
  }
  if (isDynamicPattern(input)) {
    const files = await glob(input, { absolute: true });
    if (files.length === 0) throw new InputError(`no input files: ${input} matches nothing`);
    return files.sort();
  }
  const stat = await fs.stat(input).catch(() => null);
  if (!stat || !stat.isFile()) throw new InputError(`${input}: no such file`);
  return [path.resolve(input)];
}
