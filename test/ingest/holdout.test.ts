// The order holdout of the aggregation: deterministic (md5 of the order id as written), identical on the
// scanner's fast path and the exact (DuckDB) path, and carried through the incremental ledger's partials so the
// incremental output's holdout equals the one of aggregating the same files at once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { aggregateFile } from '../../src/ingest/read/file-aggregate.js';
import {
  holdoutPathFor,
  readHoldoutFile,
  sumHoldouts,
  type HoldoutPartial,
} from '../../src/ingest/read/holdout.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import { aggregateOrders } from '../../src/ingest/aggregate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { makeDaySource, openStage } from './helpers.js';

const HEADER = 'order_id,order_dow,order_hour_of_day,days_since_prior_order,milk,eggs,yogurt';
// Ids as written: plain, quoted, with letters; a few share a cell so squares and sums differ.
const ROWS = [
  '1,0,9,,2,0,1',
  '"2",0,9,3.0,1,1,0',
  'A-17,0,9,7,0,3,0',
  '404,1,10,,4,0,2',
  '"x y",1,10,30.0,1,1,1',
  '77,6,23,1,0,0,5',
  '1000000001,6,23,2.0,3,0,0',
  '12,3,4,,0,2,0',
  '13,3,4,,1,0,0',
  '14,3,4,,2,2,2',
];

const bucketOf = (id: string): number => createHash('md5').update(id).digest()[0] % 5;

/** The holdout computed directly from the rows, the way the peer's script does. */
function direct(rows: readonly string[]): HoldoutPartial {
  const categories = ['milk', 'eggs', 'yogurt'];
  const bucketOrders = [0, 0, 0, 0, 0];
  const cells = new Map<
    string,
    { day: number; hour: number; category: string; buckets: number[]; squares: number }
  >();
  for (const line of rows) {
    const fields = line.split(',');
    const id = fields[0].replace(/^"|"$/g, '');
    const b = bucketOf(id);
    bucketOrders[b]++;
    const day = Number(fields[1]);
    const hour = Number(fields[2]);
    categories.forEach((category, c) => {
      const v = Number(fields[4 + c]);
      if (v === 0) return;
      const key = `${day}|${hour}|${category}`;
      const cell = cells.get(key) ?? { day, hour, category, buckets: [0, 0, 0, 0, 0], squares: 0 };
      cell.buckets[b] += v;
      cell.squares += v * v;
      cells.set(key, cell);
    });
  }
  return { bucketOrders, cells: [...cells.values()] };
}

const sorted = (h: HoldoutPartial): HoldoutPartial => ({
  bucketOrders: h.bucketOrders,
  cells: [...h.cells].sort(
    (a, b) => a.day - b.day || a.hour - b.hour || a.category.localeCompare(b.category),
  ),
});

describe('order holdout of the aggregation', () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await dir.remove();
  });

  test('the scan path and the exact path give the same holdout, equal to a direct computation', async () => {
    const clean = path.join(dir.path, 'clean.csv');
    await writeFile(clean, [HEADER, ...ROWS].join('\n') + '\n');
    // A bad row (day 9) makes the scanner give up: the exact validator reads that file.
    const mixed = path.join(dir.path, 'mixed.csv');
    await writeFile(
      mixed,
      [HEADER, ...ROWS.slice(0, 4), '99,9,1,,1,1,1', ...ROWS.slice(4)].join('\n') + '\n',
    );
    const fast = await aggregateFile(clean);
    const exact = await aggregateFile(mixed);
    assert.equal(fast.validatedRowByRow, false);
    assert.equal(exact.validatedRowByRow, true);
    assert.deepEqual(sorted(fast.holdout), sorted(direct(ROWS)));
    assert.deepEqual(sorted(exact.holdout), sorted(direct(ROWS)));
    // The buckets add up to the cells' items.
    for (const cell of fast.cells) {
      const h = fast.holdout.cells.find(
        (x) => x.day === cell.day && x.hour === cell.hour && x.category === cell.category,
      )!;
      assert.equal(
        h.buckets.reduce((s, v) => s + v, 0),
        cell.items,
      );
    }
  });

  test('a multi-threaded scan of a large file gives the holdout of a single-threaded one', async () => {
    const src = await makeDaySource(path.join(dir.path, 'src-mt'), 3000, 8);
    const file = path.join(src, '0', 'orders_0.csv');
    const one = await aggregateFile(file, { threads: 1 });
    const many = await aggregateFile(file, { threads: 3, minRangeBytes: 1024, blockBytes: 4096 });
    assert.deepEqual(sorted(many.holdout), sorted(one.holdout));
    const lines = (await readFile(file, 'utf8')).trim().split('\n').slice(1);
    assert.deepEqual(
      one.holdout.bucketOrders,
      direct(lines.map((l) => l.split(',').slice(0, 4).join(',') + ',0,0,0')).bucketOrders,
    );
  });
});

describe('order holdout through the incremental ledger', () => {
  let dir: TempDir;
  let redis: RedisServer;
  let database: TestDatabase;
  before(async () => {
    dir = await tempDir();
    redis = await startRedis();
    database = await createTestDatabase();
  });
  after(async () => {
    await redis.stop();
    await database.drop();
    await dir.remove();
  });

  test('the incremental output holdout equals the batch aggregation of the same files', async () => {
    const source = await makeDaySource(path.join(dir.path, 'source'), 1200, 6);
    const stage = await openStage(path.join(dir.path, 'data'), source, {
      REDIS_URL: redis.url,
      DATABASE_URL: database.url,
    });
    try {
      for (const batch of ['1', '4']) {
        await stage.deliver(batch);
        await runIncremental(stage.deps);
      }
      await stage.deliver('6');
      await runIncremental(stage.deps);
      const incremental = await readHoldoutFile(holdoutPathFor(stage.config.paths.incrementalCsv));
      assert.ok(incremental);
      assert.equal(incremental.complete, true);
      const out = path.join(dir.path, 'batch', 'orders.csv');
      await aggregateOrders({
        files: ['1', '4', '6'].map((b) => path.join(source, b, `orders_${b}.csv`)),
        csvPath: out,
        parquetDir: path.join(dir.path, 'batch', 'parquet'),
        quarantineDir: path.join(dir.path, 'batch', 'q'),
        dataDir: path.join(dir.path, 'batch'),
        strict: false,
      });
      const batch = await readHoldoutFile(holdoutPathFor(out));
      assert.ok(batch);
      assert.deepEqual(sorted(sumHoldouts([incremental])), sorted(sumHoldouts([batch])));
      assert.ok(
        batch.bucketOrders.every((n) => n > 20),
        JSON.stringify(batch.bucketOrders),
      );
    } finally {
      await stage.close();
    }
  });
});
