import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { runCli } from '../helpers/cli.js';
import { readAggregateCsv } from '../helpers/reference-aggregate.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

let tmp: TempDir;
before(async () => (tmp = await tempDir()));
after(async () => tmp.remove());

const HEADER = 'order_id,order_dow,order_hour_of_day,days_since_prior_order,fresh fruits,yogurt';
const GOOD = ['1,0,9,,2,1', '2,0,9,7.0,1,0', '3,6,23,30.0,0,4'];
// Expected aggregate of GOOD alone.
const EXPECTED = [
  { day_of_week: 0, hour_of_day: 9, category: 'fresh fruits', items_count: 3 },
  { day_of_week: 0, hour_of_day: 9, category: 'yogurt', items_count: 1 },
  { day_of_week: 6, hour_of_day: 23, category: 'yogurt', items_count: 4 },
];

const BAD_CASES: { name: string; row: string; reason: RegExp }[] = [
  { name: 'too few columns', row: '4,1,10,,3', reason: /has 5 fields; expected 6/ },
  { name: 'too many columns', row: '4,1,10,,3,1,9', reason: /has 7 fields; expected 6/ },
  {
    name: 'a non-integer count',
    row: '4,1,10,,3.5,1',
    reason: /"fresh fruits"="3\.5" is not a valid item count/,
  },
  {
    name: 'a non-numeric count',
    row: '4,1,10,,lots,1',
    reason: /"fresh fruits"="lots" is not a valid item count/,
  },
  { name: 'a negative count', row: '4,1,10,,2,-1', reason: /"yogurt"="-1" is not a valid item count/ },
  { name: 'an empty count', row: '4,1,10,,2,', reason: /"yogurt" is empty/ },
  {
    // A plain integer, but more than the engine's unsigned 32-bit count column holds: quarantined, not a failed file.
    name: 'a count too large',
    row: '4,1,10,,2,99999999999',
    reason: /"yogurt"=99999999999 is outside 0–4294967295/,
  },
  { name: 'order_dow outside 0–6', row: '4,7,10,,2,1', reason: /order_dow=7 is outside 0–6/ },
  {
    name: 'order_hour_of_day outside 0–23',
    row: '4,1,24,,2,1',
    reason: /order_hour_of_day=24 is outside 0–23/,
  },
  {
    name: 'a non-integer hour',
    row: '4,1,9.5,,2,1',
    reason: /order_hour_of_day="9\.5" is not an integer 0–23/,
  },
  { name: 'an empty order_id', row: ',1,10,,2,1', reason: /order_id is empty/ },
];

describe('bad rows', () => {
  for (const bad of BAD_CASES) {
    test(`${bad.name}: reported with file and line, quarantined with the reason, good rows kept`, async () => {
      const dataDir = path.join(tmp.path, bad.name.replace(/\W+/g, '-'));
      await fs.mkdir(dataDir, { recursive: true });
      const file = path.join(dataDir, 'orders.csv');
      // The bad row is on line 3 (header is line 1).
      await fs.writeFile(file, [HEADER, GOOD[0], bad.row, GOOD[1], GOOD[2]].join('\n') + '\n');
      const r = await runCli(['--data-dir', dataDir, 'aggregate', '--input', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /1 bad row\(s\) quarantined/);
      assert.deepEqual(await readAggregateCsv(path.join(dataDir, 'processed', 'orders.csv')), EXPECTED);
      const quarantine = path.join(dataDir, 'quarantine', 'orders.csv.rejected.csv');
      const rows = parse(await fs.readFile(quarantine), { columns: true }) as Record<string, string>[];
      assert.equal(rows.length, 1);
      assert.equal(rows[0].file, file);
      assert.equal(rows[0].line, '3');
      assert.match(rows[0].reason, bad.reason);
      assert.equal(rows[0].raw, bad.row);
    });
  }

  test('--strict turns a bad row into a failure: exit 1… and nothing is written', async () => {
    const dataDir = path.join(tmp.path, 'strict');
    await fs.mkdir(dataDir, { recursive: true });
    const file = path.join(dataDir, 'orders.csv');
    await fs.writeFile(file, [HEADER, GOOD[0], '4,9,10,,2,1'].join('\n') + '\n');
    const r = await runCli(['--data-dir', dataDir, 'aggregate', '--input', file, '--strict']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /orders\.csv:3: order_dow=9 is outside 0–6/);
    await assert.rejects(fs.stat(path.join(dataDir, 'processed')));
    await assert.rejects(fs.stat(path.join(dataDir, 'quarantine')));
  });

  test('a failed --strict run leaves the previous output untouched', async () => {
    const dataDir = path.join(tmp.path, 'strict-keeps');
    await fs.mkdir(dataDir, { recursive: true });
    const file = path.join(dataDir, 'orders.csv');
    await fs.writeFile(file, [HEADER, ...GOOD].join('\n') + '\n');
    assert.equal((await runCli(['--data-dir', dataDir, 'aggregate', '--input', file])).code, 0);
    const before = await fs.readFile(path.join(dataDir, 'processed', 'orders.csv'), 'utf8');
    await fs.writeFile(file, [HEADER, GOOD[0], '5,1,1,,x,1'].join('\n') + '\n');
    assert.notEqual(
      (await runCli(['--data-dir', dataDir, 'aggregate', '--input', file, '--strict'])).code,
      0,
    );
    assert.equal(await fs.readFile(path.join(dataDir, 'processed', 'orders.csv'), 'utf8'), before);
  });

  test('split quarantines bad rows and keeps the good ones in their day files', async () => {
    const dataDir = path.join(tmp.path, 'split-bad');
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(
      path.join(dataDir, 'orders.csv'),
      [HEADER, GOOD[0], '4,8,1,,1,1', GOOD[2]].join('\r\n'),
    );
    const r = await runCli(['--data-dir', dataDir, 'split']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await fs.readFile(path.join(dataDir, 'raw', '0', 'orders_0.csv'), 'utf8'),
      `${HEADER}\n${GOOD[0]}\n`,
    );
    assert.equal(
      await fs.readFile(path.join(dataDir, 'raw', '6', 'orders_6.csv'), 'utf8'),
      `${HEADER}\n${GOOD[2]}\n`,
    );
    const rows = parse(await fs.readFile(path.join(dataDir, 'quarantine', 'orders.csv.rejected.csv')), {
      columns: true,
    }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((q) => [q.line, q.raw]),
      [['3', '4,8,1,,1,1']],
    );
    const strict = await runCli(['--data-dir', dataDir, 'split', '--strict']);
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /line 3: order_dow=8 is outside 0–6/);
  });
});
