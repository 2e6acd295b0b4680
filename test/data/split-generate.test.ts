import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { AISLES } from '../../src/data/aisles.js';
import { readOrdersHeader } from '../../src/data/orders-header.js';
import { ChangedWhileReadingError, routeByDay } from '../../src/ingest/split/split-routes.js';
import { scanFile } from '../../src/ingest/read/scan-file.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

let tmp: TempDir;
before(async () => (tmp = await tempDir()));
after(async () => tmp.remove());

describe('generate', () => {
  test('is deterministic for a seed and differs across seeds', async () => {
    const a = path.join(tmp.path, 'a.csv');
    const b = path.join(tmp.path, 'b.csv');
    const c = path.join(tmp.path, 'c.csv');
    await runCli(['generate', '--orders', '500', '--seed', '7', '--out', a]);
    await runCli(['generate', '--orders', '500', '--seed', '7', '--out', b]);
    await runCli(['generate', '--orders', '500', '--seed', '8', '--out', c]);
    assert.equal(await fs.readFile(a, 'utf8'), await fs.readFile(b, 'utf8'));
    assert.notEqual(await fs.readFile(a, 'utf8'), await fs.readFile(c, 'utf8'));
  });

  test('writes the wide format with the 134 aisles and a realistic shape', async () => {
    const file = path.join(tmp.path, 'shape.csv');
    const r = await runCli(['generate', '--orders', '20000', '--seed', '1', '--out', file]);
    assert.equal(r.code, 0);
    const [header, ...rows] = parse(await fs.readFile(file)) as string[][];
    assert.deepEqual(header.slice(0, 4), [
      'order_id',
      'order_dow',
      'order_hour_of_day',
      'days_since_prior_order',
    ]);
    assert.equal(header.length, 138);
    assert.deepEqual(header.slice(4), AISLES);
    assert.equal(rows.length, 20000);
    const perDay = new Array(7).fill(0);
    const perHour = new Array(24).fill(0);
    const perAisle = new Map<string, number>();
    let items = 0;
    for (const row of rows) {
      perDay[Number(row[1])]++;
      perHour[Number(row[2])]++;
      row.slice(4).forEach((v, i) => {
        items += Number(v);
        perAisle.set(header[4 + i], (perAisle.get(header[4 + i]) ?? 0) + Number(v));
      });
    }
    // Days 0–1 busiest, a daytime peak, few orders at night, ~10 items per order.
    assert.ok(Math.min(perDay[0], perDay[1]) > Math.max(...perDay.slice(2)));
    const daytime = perHour.slice(9, 18).reduce((x, y) => x + y, 0);
    const night = perHour.slice(0, 6).reduce((x, y) => x + y, 0);
    assert.ok(daytime > 0.6 * rows.length, `daytime share ${daytime / rows.length}`);
    assert.ok(night < 0.05 * rows.length, `night share ${night / rows.length}`);
    assert.ok(items / rows.length > 8 && items / rows.length < 12, `items per order ${items / rows.length}`);
    const top = [...perAisle.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 4)
      .map(([name]) => name);
    assert.deepEqual(top.slice(0, 2).sort(), ['fresh fruits', 'fresh vegetables']);
  });
});

describe('split', () => {
  test('writes one file per day with the header and rows preserved; running twice gives the same files', async () => {
    const dataDir = path.join(tmp.path, 'split');
    await runCli(['--data-dir', dataDir, 'generate', '--orders', '1500']);
    const first = await runCli(['--data-dir', dataDir, 'split']);
    assert.equal(first.code, 0, first.stderr);
    const read = () =>
      Promise.all(
        Array.from({ length: 7 }, (_, d) =>
          fs.readFile(path.join(dataDir, 'raw', String(d), `orders_${d}.csv`), 'utf8'),
        ),
      );
    const once = await read();
    await runCli(['--data-dir', dataDir, 'split']);
    assert.deepEqual(await read(), once);
    const source = (await fs.readFile(path.join(dataDir, 'orders.csv'), 'utf8')).trimEnd().split('\n');
    const [header, ...rows] = source;
    let total = 0;
    once.forEach((text, day) => {
      const lines = text.trimEnd().split('\n');
      assert.equal(lines[0], header);
      for (const line of lines.slice(1)) assert.equal(line.split(',')[1], String(day));
      total += lines.length - 1;
      assert.match(first.stdout, new RegExp(`day ${day}: ${lines.length - 1} orders`));
    });
    assert.equal(total, rows.length);
    assert.deepEqual(once.flatMap((t) => t.trimEnd().split('\n').slice(1)).sort(), [...rows].sort());
  });
});

describe('split fast and exact paths', () => {
  const readDays = (dataDir: string) =>
    Promise.all(
      Array.from({ length: 7 }, (_, d) =>
        fs.readFile(path.join(dataDir, 'raw', String(d), `orders_${d}.csv`)),
      ),
    );

  test('write byte-identical day files (plain LF, and quoted CRLF with a BOM and no final newline)', async () => {
    const base = path.join(tmp.path, 'paths');
    await runCli(['--data-dir', base, 'generate', '--orders', '1500', '--seed', '4']);
    const lines = (await fs.readFile(path.join(base, 'orders.csv'), 'utf8')).trimEnd().split('\n');
    const quoted = [
      '\uFEFF' +
        lines[0]
          .split(',')
          .map((h) => `"${h}"`)
          .join(','),
      ...lines.slice(1).map((l) => l.replace(/^(\d+),(\d)/, '$1,"$2"')),
    ].join('\r\n');
    for (const [name, text] of [
      ['plain', lines.join('\n') + '\n'],
      ['quoted', quoted],
    ]) {
      const fastDir = path.join(tmp.path, `fast-${name}`);
      const exactDir = path.join(tmp.path, `exact-${name}`);
      await fs.mkdir(fastDir, { recursive: true });
      await fs.mkdir(exactDir, { recursive: true });
      const fastInput = path.join(fastDir, 'orders.csv');
      await fs.writeFile(fastInput, text);
      // One bad row at the end sends the whole file through the exact validator.
      const sep = name === 'plain' ? '' : '\r\n';
      await fs.writeFile(path.join(exactDir, 'orders.csv'), text + sep + '99,1,10,,3.5' + '\n');
      assert.ok(await scanFile(fastInput, await readOrdersHeader(fastInput)), `${name}: fast path taken`);

      const fast = await runCli(['--data-dir', fastDir, 'split']);
      const exact = await runCli(['--data-dir', exactDir, 'split']);
      assert.equal(fast.code, 0, fast.stderr);
      assert.equal(exact.code, 0, exact.stderr);
      assert.match(exact.stderr + exact.stdout, /1 bad row\(s\) quarantined/);
      const [a, b] = await Promise.all([readDays(fastDir), readDays(exactDir)]);
      assert.equal(
        a.reduce((n, f) => n + f.toString().trimEnd().split('\n').length - 1, 0),
        1500,
        name,
      );
      a.forEach((file, day) => assert.ok(file.equals(b[day]), `${name}: day ${day} differs`));
    }
  });
});

describe('routing by day', () => {
  test('routes each row to its day without its line end, and refuses a line the scanner never saw', async () => {
    const file = path.join(tmp.path, 'route.csv');
    const head = 'order_id,order_dow,order_hour_of_day,days_since_prior_order,tea\n';
    await fs.writeFile(file, head + '1,2,9,,1\r\n2,"0",9,,3\n3,2,1,4.0,0');
    const header = await readOrdersHeader(file);
    const size = (await fs.stat(file)).size;
    const days: string[] = Array.from({ length: 7 }, () => '');
    await routeByDay(file, head.length, size, header, async (block) => {
      block.days.forEach((bytes, day) => (days[day] += bytes.toString()));
    });
    assert.equal(days[0], '2,"0",9,,3\n');
    assert.equal(days[2], '1,2,9,,1\n3,2,1,4.0,0\n');
    // Written to after the scan: a day outside 0–6 where the scanner had accepted every line.
    await fs.writeFile(file, head + '1,9,9,,1\n');
    await assert.rejects(
      routeByDay(file, head.length, size, header, async () => {}),
      ChangedWhileReadingError,
    );
  });
});

describe('cli', () => {
  test('--help lists every command; a bad flag value exits 2 naming the flag', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['generate', 'split', 'aggregate'])
      assert.match(help.stdout, new RegExp(`\\n  ${command}`));
    const bad = await runCli(['generate', '--orders', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--orders "many": expected an integer/);
  });

  test('a bad environment value exits 2 with one line naming the variable', async () => {
    const r = await runCli(['generate', '--orders', '1', '--out', path.join(tmp.path, 'x.csv')], {
      PORT: 'eighty',
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^orderflow: PORT="eighty" is not allowed/);
  });
});
