// What the models train on: all the data the system holds. That is the batch history (the Part 1 aggregate of
// DATA_DIR/raw, DATA_DIR/processed/orders.csv) plus everything the incremental stage has committed since
// (DATA_DIR/incremental/processed/orders.csv), summed cell by cell. The incremental folders hold orders that are
// new to the history (as in the original system), so adding the two only ever grows the data. `--input` replaces
// both with the one aggregate given.
import { access } from 'node:fs/promises';
import type { DataPaths } from '../base/config.js';
import { InputError } from '../base/errors.js';
import type { Cell } from '../base/cell.js';
import { readAggregateCsv } from './dataset.js';

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** `[explicit]` when given; else the batch aggregate and the incremental output, those that exist, in that order. */
export async function resolveTrainingInputs(paths: DataPaths, explicit?: string): Promise<string[]> {
  if (explicit !== undefined) {
    if (!(await exists(explicit))) throw new InputError(`--input ${explicit}: no such file`);
    return [explicit];
  }
  const found: string[] = [];
  for (const candidate of [paths.processedCsv, paths.incrementalCsv])
    if (await exists(candidate)) found.push(candidate);
  if (found.length === 0) {
    throw new InputError(
      `no aggregate to train on: neither ${paths.processedCsv} nor ${paths.incrementalCsv} exists; ` +
        'run `orderflow aggregate` (or the incremental stage) first, or pass --input AGGREGATE.csv',
    );
  }
  return found;
}

/** Every input's rows, one list (buildTrainingSet sums cells that appear in several). */
export async function readTrainingInputs(files: readonly string[]): Promise<Cell[]> {
  const rows: Cell[] = [];
  for (const file of files) for (const row of await readAggregateCsv(file)) rows.push(row);
  return rows;
}
