// Holdout splits and cross-validation folds over a row set.
// `random`: a seeded shuffle, 20 % test. `md5`: a row is a test row iff the first byte of md5("d|h|c") % 5 == 0,
// the rule of the scikit-learn peer script, so both sides evaluate on exactly the same rows.
import { createHash } from 'node:crypto';
import { createRng, shuffleInPlace } from './random.js';
import type { Rows } from './rows.js';

export type SplitMethod = 'random' | 'md5';
export const SPLIT_METHODS: readonly SplitMethod[] = ['random', 'md5'];

export interface Split {
  train: Uint32Array;
  test: Uint32Array;
}

/** The test fraction of the random holdout. */
const TEST_FRACTION = 0.2;

export function isMd5TestRow(day: number, hour: number, category: string): boolean {
  return createHash('md5').update(`${day}|${hour}|${category}`).digest()[0] % 5 === 0;
}

export function holdoutSplit(
  rows: Rows,
  categories: readonly string[],
  method: SplitMethod,
  seed: number,
): Split {
  const train: number[] = [];
  const test: number[] = [];
  if (method === 'md5') {
    for (let i = 0; i < rows.length; i++) {
      (isMd5TestRow(rows.day[i], rows.hour[i], categories[rows.cat[i]]) ? test : train).push(i);
    }
  } else {
    const order = shuffleInPlace(
      Uint32Array.from({ length: rows.length }, (_, i) => i),
      createRng(seed),
    );
    const testCount = Math.round(rows.length * TEST_FRACTION);
    for (let k = 0; k < order.length; k++) (k < testCount ? test : train).push(order[k]);
    train.sort((a, b) => a - b);
    test.sort((a, b) => a - b);
  }
  return { train: Uint32Array.from(train), test: Uint32Array.from(test) };
}

/** K folds over `length` rows after a seeded shuffle; fold k's test rows are every K-th shuffled row. */
export function kFolds(length: number, k: number, seed: number): Split[] {
  const order = shuffleInPlace(
    Uint32Array.from({ length }, (_, i) => i),
    createRng(seed ^ 0x9e3779b9),
  );
  const folds: Split[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < order.length; i++) (i % k === f ? test : train).push(order[i]);
    folds.push({ train: Uint32Array.from(train), test: Uint32Array.from(test) });
  }
  return folds;
}
