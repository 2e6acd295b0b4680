// The fast path's one-pass scanner: it must never accept a row the exact validator rejects, must add up
// exactly what the exact path adds up, and must give the same totals however the file is cut into
// ranges and blocks.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateOrders } from '../../src/data/generate.js';
import { checkHeader, readOrdersHeader } from '../../src/data/orders-header.js';
import { splitRecord } from '../../src/data/csv-record.js';
import { rowProblem } from '../../src/data/order-rows.js';
import { sumCells } from '../../src/base/cell.js';
import { aggregateFile } from '../../src/ingest/read/file-aggregate.js';
import { scanFile } from '../../src/ingest/read/scan-file.js';
import { emptyTotals, scanLayout, scanLines } from '../../src/ingest/read/sum-scan.js';
import { referenceAggregate } from '../helpers/reference-aggregate.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { HOURS } from '../../src/base/cell.js';

let tmp: TempDir;
before(async () => (tmp = await tempDir()));
after(async () => tmp.remove());

const COLUMNS = [
  'order_id',
  'order_dow',
  'order_hour_of_day',
  'days_since_prior_order',
  'fruit',
  'yogurt',
  'tea',
];
const header = checkHeader('t.csv', COLUMNS);
const layout = scanLayout(header);
const BASE = ['17', '3', '14', '7.0', '2', '0', '1'];

/** Scans one line; null when the scanner gives up, else the items it added per category. */
function scanOne(line: string): number[] | null {
  const totals = emptyTotals(layout.categories);
  const lines = scanLines(Buffer.from(line), 0, Buffer.byteLength(line), layout, totals);
  if (lines < 0) return null;
  assert.equal(lines, 1);
  const cell = totals.orders.findIndex((n) => n === 1);
  return Array.from(totals.items.subarray(cell * layout.categories, (cell + 1) * layout.categories));
}

/** What the exact path makes of the same line: null for a bad row, else the counts it adds. */
function exactOne(line: string): number[] | null {
  const split = splitRecord(line.replace(/\r?\n$/, ''));
  if (split.kind !== 'fields' || rowProblem(split.fields, header) !== null) return null;
  return split.fields.slice(4).map(Number);
}

const ODD_VALUES = [
  '',
  ' ',
  '3.5',
  '1e2',
  '+5',
  '-1',
  ' 5',
  '5 ',
  '"5"',
  '"5',
  '5"',
  '""',
  '0x10',
  '07',
  '00',
  '6',
  '7',
  '23',
  '24',
  '4294967296',
  '999999999',
  '9999999999',
  'nan',
  'inf',
  'Infinity',
  '١',
  'a',
  '"a,b"',
  '.5',
  '5.',
  '1.2.3',
  '"7.0"',
  ' 7',
  'x y',
  '\t5',
  '\u00a05',
  '\u30005',
  '5\u00a0',
  '\u0000',
  '5\u0000',
  'a\u0001b',
  '\u007f',
  'é',
  '"5\u00a0"',
  '0000000000005',
  '"x""y"',
  'x'.repeat(5000),
];

describe('one-pass scanner', () => {
  test('never accepts a row the exact validator rejects, and adds exactly what it adds', () => {
    let accepted = 0;
    let refused = 0;
    for (let column = 0; column < COLUMNS.length; column++) {
      for (const value of ODD_VALUES) {
        const fields = [...BASE];
        fields[column] = value;
        for (const ending of ['\n', '\r\n']) {
          const line = fields.join(',') + ending;
          const fast = scanOne(line);
          const exact = exactOne(line);
          if (fast === null) {
            refused++;
            continue;
          }
          accepted++;
          assert.notEqual(exact, null, `scanner accepted a bad row: ${JSON.stringify(line)}`);
          assert.deepEqual(fast, exact, `different counts for ${JSON.stringify(line)}`);
        }
      }
    }
    // Both outcomes occur: the check above is not vacuous.
    assert.ok(accepted > 20 && refused > 100, `accepted ${accepted}, refused ${refused}`);
  });

  test('gives up on line shapes outside its subset: field counts, blank lines, lone CR', () => {
    const good = BASE.join(',');
    assert.deepEqual(scanOne(good + '\n'), [2, 0, 1]);
    assert.deepEqual(scanOne(`"17","3","14","7.0","2","0","1"\r\n`), [2, 0, 1]);
    for (const line of [
      BASE.slice(0, -1).join(',') + '\n',
      good + ',1\n',
      good + '\n\n',
      '\n',
      good + '\r',
      good + '\r' + good + '\n',
      good + ' \n',
    ])
      assert.equal(scanOne(line), null, JSON.stringify(line));
  });

  test('puts every row in its own (day, hour) cell, also when day and hour come after the counts', () => {
    const late = checkHeader('t.csv', [
      'fruit',
      'order_id',
      'yogurt',
      'order_hour_of_day',
      'days_since_prior_order',
      'order_dow',
    ]);
    const lateLayout = scanLayout(late);
    assert.equal(lateLayout.dayHourFirst, false);
    const text = '5,a,1,9,,6\n2,b,0,9,3,6\n1,c,4,0,,0\n';
    const totals = emptyTotals(2);
    assert.equal(scanLines(Buffer.from(text), 0, text.length, lateLayout, totals), 3);
    const at = (day: number, hour: number) => (day * HOURS + hour) * 2;
    assert.deepEqual(Array.from(totals.items.subarray(at(6, 9), at(6, 9) + 2)), [7, 1]);
    assert.deepEqual(Array.from(totals.items.subarray(at(0, 0), at(0, 0) + 2)), [1, 4]);
    assert.equal(totals.orders[6 * HOURS + 9], 2);
    assert.equal(
      totals.items.reduce((a, b) => a + b, 0),
      13,
    );
  });
});

describe('scanning a whole file', () => {
  let file: string;
  before(async () => {
    file = path.join(tmp.path, 'orders.csv');
    await generateOrders({ orders: 3000, seed: 5, out: file });
  });

  test('the same totals on 1 to 3 threads and with tiny blocks, equal to the reference', async () => {
    const h = await readOrdersHeader(file);
    const runs = await Promise.all(
      [
        { threads: 1 },
        { threads: 2, minRangeBytes: 1024 },
        { threads: 3, minRangeBytes: 1024, blockBytes: 4096 },
        { threads: 1, blockBytes: 700 },
      ].map((options) => scanFile(file, h, options)),
    );
    for (const run of runs) {
      assert.ok(run);
      assert.equal(run.lines, 3000);
      assert.deepEqual(run.totals, runs[0]!.totals);
    }
    const expected = await referenceAggregate([file]);
    const items = runs[0]!.totals.items;
    for (const r of expected) {
      const c = h.categories.indexOf(r.category);
      assert.equal(items[(r.day_of_week * HOURS + r.hour_of_day) * h.categories.length + c], r.items_count);
    }
    assert.equal(
      items.reduce((a, b) => a + b, 0),
      expected.reduce((n, r) => n + r.items_count, 0),
    );
  });

  test('a last line without its newline, CRLF and mixed endings are all read', async () => {
    const text = await fs.readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    const variants = {
      'no-final-newline.csv': lines.join('\n'),
      'crlf.csv': lines.join('\r\n') + '\r\n',
      'mixed.csv': lines.map((l, i) => l + (i % 3 === 0 ? '\r\n' : '\n')).join(''),
    };
    const h = await readOrdersHeader(file);
    const plain = await scanFile(file, h);
    for (const [name, content] of Object.entries(variants)) {
      const variant = path.join(tmp.path, name);
      await fs.writeFile(variant, content);
      const scan = await scanFile(variant, h, { threads: 2, minRangeBytes: 1024, blockBytes: 2048 });
      assert.ok(scan, name);
      assert.equal(scan.lines, plain?.lines, name);
      assert.deepEqual(scan.totals, plain?.totals, name);
    }
  });

  test('one odd line in a later range makes the whole file go to the exact path', async () => {
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    lines[lines.length - 10] = lines[lines.length - 10].replace(/,0,/, ',0.5,');
    const odd = path.join(tmp.path, 'odd.csv');
    await fs.writeFile(odd, lines.join('\n') + '\n');
    const h = await readOrdersHeader(odd);
    assert.equal(await scanFile(odd, h, { threads: 2, minRangeBytes: 1024 }), null);
  });

  test('the exact path and the fast path give the same cells', async () => {
    // A count with ten digits (leading zeros) is valid but outside the scanner's subset: that file takes
    // the exact path.
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    const spaced = path.join(tmp.path, 'spaced.csv');
    await fs.writeFile(
      spaced,
      [lines[0], ...lines.slice(1).map((l) => l.replace(/,1,/g, ',0000000001,'))].join('\n') + '\n',
    );
    const fast = await aggregateFile(file, { threads: 2, minRangeBytes: 1024 });
    const exact = await aggregateFile(spaced);
    assert.equal(fast.validatedRowByRow, false);
    assert.equal(exact.validatedRowByRow, true);
    assert.deepEqual(exact.badRows, []);
    assert.deepEqual(sumCells([exact.cells]), sumCells([fast.cells]));
    assert.ok(fast.cells.length > 1000);
    assert.equal(exact.orders, fast.orders);
    assert.equal(exact.itemsIn, fast.itemsIn);
  });
});
