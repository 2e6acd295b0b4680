import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCli } from '../helpers/cli.js';
import { readAggregateCsv, referenceAggregate } from '../helpers/reference-aggregate.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

let tmp: TempDir;
before(async () => (tmp = await tempDir()));
after(async () => tmp.remove());

async function freshDataDir(name: string): Promise<string> {
  const dir = path.join(tmp.path, name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

describe('aggregate', () => {
  for (const [seed, orders] of [
    [1, 1],
    [2, 700],
    [3, 4000],
  ] as const) {
    test(`equals the plain TypeScript reference (seed ${seed}, ${orders} orders) and items in = out`, async () => {
      const dataDir = await freshDataDir(`ref-${seed}`);
      assert.equal(
        (
          await runCli([
            '--data-dir',
            dataDir,
            'generate',
            '--orders',
            String(orders),
            '--seed',
            String(seed),
          ])
        ).code,
        0,
      );
      assert.equal((await runCli(['--data-dir', dataDir, 'split'])).code, 0);
      const result = await runCli(['--data-dir', dataDir, 'aggregate', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout);
      const files = Array.from({ length: 7 }, (_, d) =>
        path.join(dataDir, 'raw', String(d), `orders_${d}.csv`),
      );
      const expected = await referenceAggregate(files);
      const actual = await readAggregateCsv(path.join(dataDir, 'processed', 'orders.csv'));
      assert.deepEqual(actual, expected);
      assert.equal(summary.orders, orders);
      assert.equal(summary.itemsIn, summary.itemsOut);
      assert.equal(
        summary.itemsOut,
        expected.reduce((n, r) => n + r.items_count, 0),
      );
    });
  }

  test('never counts order_id, order_dow, order_hour_of_day or days_since_prior_order as categories', async () => {
    const dataDir = await freshDataDir('meta');
    await runCli(['--data-dir', dataDir, 'generate', '--orders', '300']);
    await runCli(['--data-dir', dataDir, 'aggregate', '--input', path.join(dataDir, 'orders.csv')]);
    const rows = await readAggregateCsv(path.join(dataDir, 'processed', 'orders.csv'));
    const categories = new Set(rows.map((r) => r.category));
    for (const meta of ['order_id', 'order_dow', 'order_hour_of_day', 'days_since_prior_order'])
      assert.ok(!categories.has(meta));
    assert.ok(categories.has('fresh fruits'));
  });

  test('a quoted-header, quoted-dow, CRLF file with a BOM aggregates the same as its unquoted LF twin', async () => {
    const dataDir = await freshDataDir('twin');
    await runCli(['--data-dir', dataDir, 'generate', '--orders', '800', '--seed', '9']);
    const plain = await fs.readFile(path.join(dataDir, 'orders.csv'), 'utf8');
    const lines = plain.trimEnd().split('\n');
    const quotedHeader = lines[0]
      .split(',')
      .map((h) => `"${h}"`)
      .join(',');
    const quotedRows = lines.slice(1).map((line) => {
      const f = line.split(',');
      f[1] = `"${f[1]}"`;
      return f.join(',');
    });
    // CRLF everywhere, a UTF-8 BOM, and no final newline.
    const twin = path.join(dataDir, 'twin.csv');
    await fs.writeFile(twin, '\uFEFF' + [quotedHeader, ...quotedRows].join('\r\n'));
    const a = await runCli(['--data-dir', dataDir, 'aggregate', '--input', path.join(dataDir, 'orders.csv')]);
    assert.equal(a.code, 0, a.stderr);
    const fromPlain = await fs.readFile(path.join(dataDir, 'processed', 'orders.csv'), 'utf8');
    const b = await runCli(['--data-dir', dataDir, 'aggregate', '--input', twin]);
    assert.equal(b.code, 0, b.stderr);
    const fromTwin = await fs.readFile(path.join(dataDir, 'processed', 'orders.csv'), 'utf8');
    assert.equal(fromTwin, fromPlain);
    assert.equal(b.stderr, '', 'the twin has no bad rows');
  });

  test('mixed CRLF and LF line endings are read as one file', async () => {
    const dataDir = await freshDataDir('mixed');
    await runCli(['--data-dir', dataDir, 'generate', '--orders', '400', '--seed', '4']);
    const lines = (await fs.readFile(path.join(dataDir, 'orders.csv'), 'utf8')).trimEnd().split('\n');
    const mixed = path.join(dataDir, 'mixed.csv');
    await fs.writeFile(mixed, lines.map((l, i) => l + (i % 3 === 0 ? '\r\n' : '\n')).join(''));
    const r = await runCli(['--data-dir', dataDir, 'aggregate', '--input', mixed]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      await readAggregateCsv(path.join(dataDir, 'processed', 'orders.csv')),
      await referenceAggregate([path.join(dataDir, 'orders.csv')]),
    );
  });

  test('writes Hive-partitioned Parquet that DuckDB reads back as the CSV', async () => {
    const dataDir = await freshDataDir('parquet');
    await runCli(['--data-dir', dataDir, 'generate', '--orders', '600']);
    await runCli(['--data-dir', dataDir, 'aggregate', '--input', path.join(dataDir, 'orders.csv')]);
    const parquetDir = path.join(dataDir, 'processed', 'orders_parquet');
    const partitions = (await fs.readdir(parquetDir)).sort();
    assert.deepEqual(
      partitions,
      Array.from({ length: 7 }, (_, d) => `day_of_week=${d}`),
    );
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const reader = await connection.runAndReadAll(
      `SELECT day_of_week::INTEGER, hour_of_day::INTEGER, category, items_count::INTEGER FROM read_parquet('${parquetDir}/*/*.parquet', hive_partitioning = true) ORDER BY 1, 2, 3`,
    );
    const fromParquet = reader.getRows().map(([d, h, c, n]) => ({
      day_of_week: Number(d),
      hour_of_day: Number(h),
      category: String(c),
      items_count: Number(n),
    }));
    connection.closeSync();
    db.closeSync();
    assert.deepEqual(fromParquet, await readAggregateCsv(path.join(dataDir, 'processed', 'orders.csv')));
  });

  test('a missing required column fails with exit 2, names the column, and writes nothing', async () => {
    const dataDir = await freshDataDir('missing-col');
    const file = path.join(dataDir, 'bad.csv');
    await fs.writeFile(file, 'order_id,order_dow,days_since_prior_order,yogurt\n1,0,,3\n');
    const r = await runCli(['--data-dir', dataDir, 'aggregate', '--input', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.csv:1: missing required column order_hour_of_day/);
    await assert.rejects(fs.stat(path.join(dataDir, 'processed', 'orders.csv')));
  });

  test('an empty file fails with a clear error and writes nothing', async () => {
    const dataDir = await freshDataDir('empty');
    const file = path.join(dataDir, 'empty.csv');
    await fs.writeFile(file, '');
    const r = await runCli(['--data-dir', dataDir, 'aggregate', '--input', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /empty\.csv: the file is empty/);
    await assert.rejects(fs.stat(path.join(dataDir, 'processed')));
  });
});
