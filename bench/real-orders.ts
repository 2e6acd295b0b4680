// The real-data section's input: a wide orders CSV (order_id, order_dow, order_hour_of_day,
// days_since_prior_order, one column per category) read straight into a training set (the dense grid) and an
// order holdout whose "buckets" are the K-fold folds: fold = md5(order_id as written)[byte] mod 5. Byte 0 is the
// order bucket of the aggregation (`train --folds` sees the same folds); another byte gives independent folds on a
// file that is itself one side of a bucket split (the shared real file has no order in bucket 0).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { buildTrainingSet, type TrainingSet } from '../src/ml/dataset.js';
import type { OrderHoldout } from '../src/ml/order-holdout.js';
import { DAYS, HOURS, type Cell } from '../src/base/cell.js';

const META = ['order_id', 'order_dow', 'order_hour_of_day', 'days_since_prior_order'];
const FOLDS = 5;

export interface RealOrders {
  set: TrainingSet;
  holdout: OrderHoldout;
  orders: number;
}

export function readWideOrders(file: string, byte: number): RealOrders {
  const records = parse(fs.readFileSync(file, 'utf8'), { skip_empty_lines: true }) as string[][];
  const header = records[0].map((h) => h.trim());
  const col = (name: string): number => header.indexOf(name);
  const catCols = header.map((h, i) => i).filter((i) => !META.includes(header[i]));
  const names = catCols.map((i) => header[i]);
  const sorted = [...names].sort();
  const rank = new Map(sorted.map((n, i) => [n, i]));
  const c = sorted.length;
  const size = DAYS * HOURS * c;
  const holdout: OrderHoldout = {
    bucketItems: Array.from({ length: FOLDS }, () => new Float64Array(size)),
    squares: new Float64Array(size),
    bucketOrders: new Array<number>(FOLDS).fill(0),
    files: [file],
  };
  const total = new Float64Array(size);
  const [id, dow, hod] = [col('order_id'), col('order_dow'), col('order_hour_of_day')];
  for (let r = 1; r < records.length; r++) {
    const row = records[r];
    const fold = createHash('md5').update(row[id]).digest()[byte] % FOLDS;
    holdout.bucketOrders[fold]++;
    const base = (Number(row[dow]) * HOURS + Number(row[hod])) * c;
    catCols.forEach((ci, k) => {
      const n = Number(row[ci]);
      if (!(n > 0)) return;
      const g = base + rank.get(names[k])!;
      holdout.bucketItems[fold][g] += n;
      holdout.squares[g] += n * n;
      total[g] += n;
    });
  }
  const aggregate: Cell[] = [];
  for (let g = 0; g < size; g++)
    aggregate.push({
      day: Math.floor(g / (HOURS * c)),
      hour: Math.floor(g / c) % HOURS,
      category: sorted[g % c],
      items: total[g],
    });
  return { set: buildTrainingSet(aggregate, 'grid'), holdout, orders: records.length - 1 };
}
