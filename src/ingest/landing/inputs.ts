// Which files an aggregation reads: an explicit file, relational Instacart folder or glob, else the per-day
// split files (wide `raw/<dow>/orders_<dow>.csv`, or relational `raw/<dow>/` folders).
import fs from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { InputError } from '../../base/errors.js';
import { INSTACART_FILES, isInstacartDir } from '../../data/instacart-files.js';

export async function resolveInputs(input: string | undefined, rawDir: string): Promise<string[]> {
  if (input === undefined) {
    const wide = await glob('*/orders_*.csv', { cwd: rawDir, absolute: true });
    const folders = (await glob(`*/${INSTACART_FILES.orders}`, { cwd: rawDir, absolute: true }))
      .map((f) => path.dirname(f))
      .filter(isInstacartDir);
    const files = [...wide, ...folders];
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
  if (stat?.isDirectory()) {
    if (isInstacartDir(input)) return [path.resolve(input)];
    throw new InputError(
      `${input}: a folder, but not in the relational Instacart form (expected ${INSTACART_FILES.orders} and ` +
        `${INSTACART_FILES.prior} or another order_products*.csv, with ${INSTACART_FILES.products} and ${INSTACART_FILES.aisles} beside or above them)`,
    );
  }
  if (!stat || !stat.isFile()) throw new InputError(`${input}: no such file`);
  return [path.resolve(input)];
}
