// `orderflow split` of a relational Instacart folder: the same day files as the split of its pivot to wide
// (rows compared exactly, as sets: the relational split writes them in orders.csv order), bad rows quarantined
// with file and line.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
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
    '1500',
    '--seed',
    '3',
    '--out',
    set,
  ]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => tmp.remove());

async function dayFiles(dataDir: string): Promise<{ header: string; rows: string[] }[]> {
  const out = [];
  for (let day = 0; day < 7; day++) {
    const lines = (await fs.readFile(path.join(dataDir, 'raw', String(day), `orders_${day}.csv`), 'utf8'))
      .split('\n')
      .filter((l) => l !== '');
    out.push({ header: lines[0], rows: lines.slice(1).sort() });
  }
  return out;
}

describe('split of a relational folder', () => {
  for (const category of ['aisle', 'department'] as const) {
    test(`writes the day files of the split of its pivot to wide, exactly (${category})`, async () => {
      const wide = path.join(tmp.path, `wide-${category}.csv`);
      await pivotInstacartToWide(set, wide, category);
      const a = path.join(tmp.path, `rel-${category}`);
      const b = path.join(tmp.path, `wide-${category}`);
      const rel = await runCli(['--data-dir', a, 'split', '--input', set, '--category', category]);
      assert.equal(rel.code, 0, rel.stderr);
      const pivoted = await runCli(['--data-dir', b, 'split', '--input', wide]);
      assert.equal(pivoted.code, 0, pivoted.stderr);
      assert.equal(rel.stdout.replaceAll(a, ''), pivoted.stdout.replaceAll(b, ''));
      const [x, y] = [await dayFiles(a), await dayFiles(b)];
      assert.deepEqual(x, y);
      assert.ok(x.reduce((n, d) => n + d.rows.length, 0) > 1000);
      // The day files aggregate like any wide split.
      const agg = await runCli(['--data-dir', a, 'aggregate', '--json']);
      const direct = await runCli([
        '--data-dir',
        path.join(tmp.path, `agg-${category}`),
        'aggregate',
        '--input',
        set,
        '--category',
        category,
        '--json',
      ]);
      const [p, q] = [JSON.parse(agg.stdout), JSON.parse(direct.stdout)] as {
        itemsOut: number;
        orders: number;
        rows: number;
      }[];
      assert.deepEqual([p.itemsOut, p.orders, p.rows], [q.itemsOut, q.orders, q.rows]);
    });
  }

  test('rows of unknown orders or products are quarantined with file and line; --strict writes nothing', async () => {
    const dir = path.join(tmp.path, 'bad');
    await fs.cp(set, dir, { recursive: true });
    const train = path.join(dir, 'order_products__train.csv');
    const lines = (await fs.readFile(train, 'utf8')).split('\n').length - 1;
    await fs.appendFile(train, '999999,1,1,0\n1,999999,2,0\n');
    const dataDir = path.join(tmp.path, 'bad-data');
    const strict = await runCli(['--data-dir', dataDir, 'split', '--input', dir, '--strict']);
    assert.notEqual(strict.code, 0);
    await assert.rejects(fs.stat(path.join(dataDir, 'raw', '0', 'orders_0.csv')));
    const r = await runCli(['--data-dir', dataDir, 'split', '--input', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 bad row\(s\) quarantined/);
    const clean = await dayFiles(path.join(tmp.path, 'rel-aisle'));
    assert.deepEqual(await dayFiles(dataDir), clean);
    const quarantine = (await fs.readdir(path.join(dataDir, 'quarantine')))[0];
    const rejected = parse(await fs.readFile(path.join(dataDir, 'quarantine', quarantine)), {
      columns: true,
    }) as Record<string, string>[];
    assert.deepEqual(
      rejected.map((row) => [row.file, Number(row.line), row.raw]),
      [
        [train, lines + 1, '999999,1,1,0'],
        [train, lines + 2, '1,999999,2,0'],
      ],
    );
  });
});
