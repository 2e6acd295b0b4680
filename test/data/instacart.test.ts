import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { aggregateFile } from '../../src/ingest/read/file-aggregate.js';
import { aggregateInstacartDir } from '../../src/ingest/instacart/instacart-aggregate.js';
import { toCells } from '../../src/ingest/read/file-aggregate.js';
import { readInstacartPart } from '../../src/ingest/instacart/instacart-part.js';
import { runCli } from '../helpers/cli.js';
import { pivotInstacartToWide } from '../helpers/instacart-pivot.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

let tmp: TempDir;
let set: string;
before(async () => {
  tmp = await tempDir();
  set = path.join(tmp.path, 'instacart');
  const r = await runCli([
    'generate',
    '--format',
    'instacart',
    '--orders',
    '3000',
    '--seed',
    '7',
    '--out',
    set,
  ]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => tmp.remove());

// Small ranges on two threads: runs cut by range edges and the scan threads themselves are exercised.
const threaded = { threads: 2, minRangeBytes: 1 << 14, blockBytes: 4096 };

async function copySet(name: string): Promise<string> {
  const dir = path.join(tmp.path, name);
  await fs.cp(set, dir, { recursive: true });
  return dir;
}

async function digest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await fs.readdir(dir)).sort())
    out[name] = createHash('sha256')
      .update(await fs.readFile(path.join(dir, name)))
      .digest('hex');
  return out;
}

describe('instacart generator', () => {
  test('writes the published file names and headers, deterministically per seed', async () => {
    assert.deepEqual(Object.keys(await digest(set)), [
      'aisles.csv',
      'departments.csv',
      'order_products__prior.csv',
      'order_products__train.csv',
      'orders.csv',
      'products.csv',
    ]);
    const head = async (name: string) => (await fs.readFile(path.join(set, name), 'utf8')).split('\n')[0];
    assert.equal(
      await head('orders.csv'),
      'order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order',
    );
    assert.equal(await head('order_products__prior.csv'), 'order_id,product_id,add_to_cart_order,reordered');
    assert.equal(await head('products.csv'), 'product_id,product_name,aisle_id,department_id');
    const products = parse(await fs.readFile(path.join(set, 'products.csv')), { columns: true }) as {
      product_name: string;
    }[];
    assert.equal(products.length, 49_688);
    assert.ok(
      products.some((p) => p.product_name.includes(',')),
      'some names hold commas (quoted)',
    );
    const again = path.join(tmp.path, 'again');
    assert.equal(
      (await runCli(['generate', '--format', 'instacart', '--orders', '3000', '--seed', '7', '--out', again]))
        .code,
      0,
    );
    assert.deepEqual(await digest(again), await digest(set));
  });

  test('users have 4–100 orders; test orders have no line items', async () => {
    const orders = parse(await fs.readFile(path.join(set, 'orders.csv')), { columns: true }) as Record<
      string,
      string
    >[];
    assert.equal(orders.length, 3000);
    const perUser = new Map<string, number>();
    for (const o of orders) perUser.set(o.user_id, (perUser.get(o.user_id) ?? 0) + 1);
    for (const n of perUser.values()) assert.ok(n >= 4 && n <= 100, `a user with ${n} orders`);
    const testIds = new Set(orders.filter((o) => o.eval_set === 'test').map((o) => o.order_id));
    assert.ok(testIds.size > 0);
    const items = parse(await fs.readFile(path.join(set, 'order_products__train.csv')), {
      columns: true,
    }) as {
      order_id: string;
    }[];
    assert.ok(items.every((i) => !testIds.has(i.order_id)));
  });
});

describe('instacart reader', () => {
  for (const category of ['aisle', 'department'] as const) {
    test(`a relational set and its pivot to wide aggregate to exactly the same cells and holdout (${category})`, async () => {
      const wide = path.join(tmp.path, `wide-${category}.csv`);
      await pivotInstacartToWide(set, wide, category);
      const relational = await aggregateInstacartDir(set, { category, ...threaded });
      const pivoted = await aggregateFile(wide);
      assert.ok(relational.itemsIn > 20_000);
      assert.deepEqual(relational.cells, pivoted.cells);
      assert.deepEqual(relational.holdout, pivoted.holdout);
      assert.equal(relational.orders, pivoted.orders);
      assert.deepEqual(relational.badRows, []);
    });
  }

  test('line items not sorted by order_id give the same totals (each order counted once, squares whole)', async () => {
    const dir = await copySet('shuffled');
    const file = path.join(dir, 'order_products__prior.csv');
    const [header, ...rows] = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    // A fixed interleaving: every third line moved to the end.
    const moved = [...rows.filter((_, i) => i % 3 !== 0), ...rows.filter((_, i) => i % 3 === 0)];
    await fs.writeFile(file, [header, ...moved].join('\n') + '\n');
    const sorted = await aggregateInstacartDir(set, threaded);
    const shuffled = await aggregateInstacartDir(dir, threaded);
    assert.deepEqual(shuffled.cells, sorted.cells);
    assert.deepEqual(shuffled.holdout, sorted.holdout);
    assert.equal(shuffled.orders, sorted.orders);
  });

  test('rows of unknown orders or products are quarantined with file and line, and not counted', async () => {
    const dataDir = path.join(tmp.path, 'quarantine-data');
    const dir = await copySet('with-bad-rows');
    const prior = path.join(dir, 'order_products__prior.csv');
    const lines = (await fs.readFile(prior, 'utf8')).split('\n').length - 1;
    await fs.appendFile(prior, '999999,1,1,0\n1,999999,2,0\nnot,a,row\n');
    const clean = await runCli([
      '--data-dir',
      path.join(tmp.path, 'clean-data'),
      'aggregate',
      '--input',
      set,
      '--json',
    ]);
    const dirty = await runCli(['--data-dir', dataDir, 'aggregate', '--input', dir, '--json']);
    assert.equal(dirty.code, 0, dirty.stderr);
    const a = JSON.parse(clean.stdout) as { itemsOut: number; rows: number };
    const b = JSON.parse(dirty.stdout) as {
      itemsOut: number;
      rows: number;
      badRows: number;
      quarantined: string[];
    };
    assert.equal(b.itemsOut, a.itemsOut);
    assert.equal(b.badRows, 3);
    assert.equal(b.quarantined.length, 1);
    const rejected = parse(await fs.readFile(b.quarantined[0]), { columns: true }) as Record<
      string,
      string
    >[];
    assert.deepEqual(
      rejected.map((r) => [r.file, Number(r.line), r.raw]),
      [
        [prior, lines + 1, '999999,1,1,0'],
        [prior, lines + 2, '1,999999,2,0'],
        [prior, lines + 3, 'not,a,row'],
      ],
    );
    assert.match(rejected[0].reason, /order_id 999999 is not in orders.csv/);
    assert.match(rejected[1].reason, /product_id 999999 is not in products.csv/);
  });

  test('an order listed twice in orders.csv is quarantined there, the first row counts', async () => {
    const dir = await copySet('duplicate-order');
    const orders = path.join(dir, 'orders.csv');
    const text = await fs.readFile(orders, 'utf8');
    const second = text.split('\n')[1];
    const [id, user, set_, n, day, hour] = second.split(',');
    await fs.appendFile(orders, `${id},${user},${set_},${n},${(Number(day) + 1) % 7},${hour},\n`);
    const result = await aggregateInstacartDir(dir);
    const clean = await aggregateInstacartDir(set);
    assert.deepEqual(result.cells, clean.cells);
    assert.equal(result.badRows.length, 1);
    assert.equal(result.badRows[0].file, orders);
    assert.equal(result.badRows[0].line, text.split('\n').length);
    assert.match(result.badRows[0].reason, /appears twice/);
  });

  test('a batch folder read as one part gives the same cells, and names every file it read', async () => {
    const part = await readInstacartPart(set);
    const whole = await aggregateInstacartDir(set);
    assert.deepEqual(toCells(part.totals, part.categories).cells, whole.cells);
    assert.deepEqual(
      part.sources.map((s) => path.basename(s.file)),
      ['products.csv', 'aisles.csv', 'orders.csv', 'order_products__prior.csv', 'order_products__train.csv'],
    );
  });
});
