// A 200 MB line costs a bad row, not the machine: aggregate, split and incremental complete with the V8 heap
// capped at 256 MB (before, each held the line several times over and peaked near 2 GB), and the good rows
// around it count.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { readAggregateCsv } from '../helpers/reference-aggregate.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

const CLI = path.resolve(import.meta.dirname, '..', '..', 'bin', 'orderflow.js');
const HEADER = 'order_id,order_dow,order_hour_of_day,days_since_prior_order,fruit,tea\n';
const EXPECTED = [
  { day_of_week: 3, hour_of_day: 14, category: 'fruit', items_count: 3 },
  { day_of_week: 3, hour_of_day: 14, category: 'tea', items_count: 2 },
];

let tmp: TempDir;
let input: string;

/** Runs the built CLI with a 256 MB heap; resolves with its exit code and output. */
function orderflow(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--max-old-space-size=256', CLI, ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, output })),
  );
}

before(async () => {
  tmp = await tempDir();
  input = path.join(tmp.path, 'long.csv');
  const handle = await fs.open(input, 'w');
  await handle.write(HEADER + '1,3,14,7,2,1\n');
  // A valid row but for its 200 MB order_id.
  const block = Buffer.alloc(1 << 20, 'x');
  for (let i = 0; i < 200; i++) await handle.write(block);
  await handle.write(',3,14,7,1,0\n2,3,14,7,1,1\n');
  await handle.close();
});
after(async () => tmp.remove());

describe('a 200 MB line', () => {
  test('aggregate and split quarantine it as too long, with a 256 MB heap', async () => {
    const dataDir = path.join(tmp.path, 'batch');
    const aggregate = await orderflow(['--data-dir', dataDir, 'aggregate', '--input', input]);
    assert.equal(aggregate.code, 0, aggregate.output);
    assert.match(aggregate.output, /1 bad row\(s\) quarantined/);
    assert.deepEqual(await readAggregateCsv(path.join(dataDir, 'processed', 'orders.csv')), EXPECTED);
    const split = await orderflow(['--data-dir', dataDir, 'split', '--input', input]);
    assert.equal(split.code, 0, split.output);
    assert.match(split.output, /long\.csv:3: line is longer than 1048576 bytes/);
    assert.match(split.output, /day 3: 2 orders/);
  });

  test('incremental commits the rows around it, with a 256 MB heap', async () => {
    let redis: RedisServer | undefined;
    let database: TestDatabase | undefined;
    try {
      redis = await startRedis();
      database = await createTestDatabase();
      const dataDir = path.join(tmp.path, 'incremental');
      const landed = path.join(dataDir, 'incremental', 'raw', '1', 'long.csv');
      await fs.mkdir(path.dirname(landed), { recursive: true });
      await fs.copyFile(input, landed);
      const run = await orderflow(['--data-dir', dataDir, 'incremental', '--json'], {
        REDIS_URL: redis.url,
        DATABASE_URL: database.url,
      });
      assert.equal(run.code, 0, run.output);
      const result = JSON.parse(run.output.split('\n')[0]) as { orders: number; badRows: number };
      assert.deepEqual([result.orders, result.badRows], [2, 1]);
      assert.deepEqual(
        await readAggregateCsv(path.join(dataDir, 'incremental', 'processed', 'orders.csv')),
        EXPECTED,
      );
    } finally {
      await database?.drop();
      await redis?.stop();
    }
  });
});
