// One acceptance rule on every path: aggregate, split and incremental accept exactly the same rows of a file
// full of edge cases (Unicode spaces, NUL and other control bytes, quotes, a line over the limit), with the
// verdict written down here case by case, and nothing they accept fails later (DuckDB, PostgreSQL).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { loadConfig } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import { openStore } from '../../src/store/open.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { readAggregateCsv } from '../helpers/reference-aggregate.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

const HEADER = 'order_id,order_dow,order_hour_of_day,days_since_prior_order,fruit,tea';
const MAX_LINE = 2048;

/** Each case: the line, and the counts it adds (fruit, tea) when accepted, or null when it is a bad row. */
const CASES: { line: string; adds: [number, number] | null }[] = [
  { line: 'o1,3,14,7.0,2,1', adds: [2, 1] },
  { line: '"o2","3","14","7.0","2","1"', adds: [2, 1] },
  { line: 'o3,3,14,,007,0', adds: [7, 0] },
  { line: 'o4,3,14,.5,0000000000005,0', adds: [5, 0] },
  { line: '"o5, with a comma",3,14,7,1,1', adds: [1, 1] },
  { line: '"o6 ""quoted""",3,14,7,1,1', adds: [1, 1] },
  { line: 'o7,3,14,7, 5,0', adds: null },
  { line: 'o8,3,14,7,\t5,0', adds: null },
  { line: 'o9,3,14,7,\u00a05,0', adds: null },
  { line: 'o10,3,14,7,\u30005,0', adds: null },
  { line: 'o11,3,14,7,5\u00a0,0', adds: null },
  { line: 'o12,3,14,7,+5,0', adds: null },
  { line: 'o13,3,14,7,5.0,0', adds: null },
  { line: 'o14,3,14,7,5\u0000,0', adds: null },
  { line: 'o\u000015,3,14,7,1,0', adds: null },
  { line: 'o16,3,14,7,4294967296,0', adds: null },
  { line: 'o17,3,14,1e2,1,0', adds: null },
  { line: 'o18,3,14,+7,1,0', adds: null },
  { line: 'o19,\u00a03,14,7,1,0', adds: null },
  { line: 'o20,3,14,7,"5"x,0', adds: null },
  { line: 'o21,3,14,7,1', adds: null },
  // An unterminated quote costs its own line only: the good lines after it are read as rows.
  { line: '"o22,3,14,7,1,0', adds: null },
  { line: 'o23,3,14,7,3,0', adds: [3, 0] },
  { line: 'o24,3,14,7,0,3', adds: [0, 3] },
  { line: 'o25,3,14,7,1,1', adds: [1, 1] },
  { line: 'x'.repeat(MAX_LINE + 10) + ',3,14,7,1,0', adds: null },
  { line: 'o27,3,14,7,4294967295,0', adds: [4294967295, 0] },
  { line: 'o28,3,14,7,1,2', adds: [1, 2] },
];
const ACCEPTED = CASES.filter((c) => c.adds);
const REJECTED_LINES = CASES.flatMap((c, i) => (c.adds ? [] : [i + 2]));
const EXPECTED = ['fruit', 'tea'].map((category, k) => ({
  day_of_week: 3,
  hour_of_day: 14,
  category,
  items_count: ACCEPTED.reduce((n, c) => n + c.adds![k], 0),
}));

let tmp: TempDir;
let database: TestDatabase;
let input: string;
const env = { ORDERFLOW_MAX_LINE_BYTES: String(MAX_LINE) };

before(async () => {
  tmp = await tempDir();
  database = await createTestDatabase();
  input = path.join(tmp.path, 'edge.csv');
  await fs.writeFile(input, [HEADER, ...CASES.map((c) => c.line)].join('\n') + '\n');
});
after(async () => {
  await database.drop();
  await tmp.remove();
});

async function quarantinedLines(dataDir: string): Promise<number[]> {
  const dir = path.join(dataDir, 'quarantine');
  const [file] = await fs.readdir(dir);
  const rows = parse(await fs.readFile(path.join(dir, file)), { columns: true }) as { line: string }[];
  return rows.map((r) => Number(r.line)).sort((a, b) => a - b);
}

describe('one acceptance rule', () => {
  test('aggregate accepts exactly the listed rows and sums them', async () => {
    const dataDir = path.join(tmp.path, 'aggregate');
    const result = await runCli(['--data-dir', dataDir, 'aggregate', '--input', input, '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { orders: number; badRows: number };
    assert.equal(summary.orders, ACCEPTED.length);
    assert.equal(summary.badRows, REJECTED_LINES.length);
    assert.deepEqual(await readAggregateCsv(path.join(dataDir, 'processed', 'orders.csv')), EXPECTED);
    assert.deepEqual(await quarantinedLines(dataDir), REJECTED_LINES);
  });

  test('split keeps exactly the same rows in the day file', async () => {
    const dataDir = path.join(tmp.path, 'split');
    const result = await runCli(['--data-dir', dataDir, 'split', '--input', input], env);
    assert.equal(result.code, 0, result.stderr);
    const day3 = await fs.readFile(path.join(dataDir, 'raw', '3', 'orders_3.csv'), 'utf8');
    assert.deepEqual(
      day3.trimEnd().split('\n'),
      [HEADER, ...ACCEPTED.map((c) => c.line)],
      'the accepted rows, as written',
    );
    assert.deepEqual(await quarantinedLines(dataDir), REJECTED_LINES);
  });

  test('incremental commits the same rows, and PostgreSQL stores every bad row (NUL included)', async () => {
    const dataDir = path.join(tmp.path, 'incremental');
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: database.url, ...env });
    const landed = path.join(config.paths.incrementalRawDir, '1', 'edge.csv');
    await fs.mkdir(path.dirname(landed), { recursive: true });
    await fs.copyFile(input, landed);
    const logger = createLogger('silent');
    const db = await openStore(config, logger);
    try {
      const result = await runIncremental({ config, logger, db, redis: undefined });
      assert.equal(result.status, 'committed');
      assert.equal(result.orders, ACCEPTED.length);
      assert.equal(result.badRows, REJECTED_LINES.length);
      assert.deepEqual(await readAggregateCsv(config.paths.incrementalCsv), EXPECTED);
      const stored = await db.query<{ line: number; raw: string }>(
        'SELECT line, raw FROM ingest_bad_rows ORDER BY line',
      );
      assert.deepEqual(
        stored.map((r) => Number(r.line)),
        REJECTED_LINES,
      );
      assert.ok(
        stored.some((r) => r.raw === 'o14,3,14,7,5\\u0000,0'),
        'NUL written as \\u0000',
      );
    } finally {
      await db.close();
    }
  });

  test('a non-UTF-8 file is refused naming the byte; a header-only input keeps the previous output', async () => {
    const dataDir = path.join(tmp.path, 'encoding');
    const latin1 = path.join(tmp.path, 'latin1.csv');
    const header = Buffer.from(
      'order_id,order_dow,order_hour_of_day,days_since_prior_order,caf\xe9,tea\n',
      'latin1',
    );
    await fs.writeFile(latin1, Buffer.concat([header, Buffer.from('1,0,9,,1,1\n')]));
    const refused = await runCli(['--data-dir', dataDir, 'aggregate', '--input', latin1]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /latin1\.csv:1: the header is not valid UTF-8 at byte 63 \(0xe9\)/);

    const bodyLatin1 = path.join(tmp.path, 'body-latin1.csv');
    await fs.writeFile(
      bodyLatin1,
      Buffer.concat([Buffer.from(`${HEADER}\no1,0,9,,1,1\n`), Buffer.from('caf\xe9,0,9,,1,1\n', 'latin1')]),
    );
    const body = await runCli(['--data-dir', dataDir, 'aggregate', '--input', bodyLatin1]);
    assert.equal(body.code, 2);
    assert.match(body.stderr, new RegExp(`not valid UTF-8 at byte ${HEADER.length + 16} \\(0xe9\\)`));

    const good = await runCli(['--data-dir', dataDir, 'aggregate', '--input', input], env);
    assert.equal(good.code, 0, good.stderr);
    const before = await fs.readFile(path.join(dataDir, 'processed', 'orders.csv'), 'utf8');
    const headerOnly = path.join(tmp.path, 'header-only.csv');
    await fs.writeFile(headerOnly, HEADER + '\n');
    const empty = await runCli(['--data-dir', dataDir, 'aggregate', '--input', headerOnly]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /a header and no data rows/);
    assert.equal(await fs.readFile(path.join(dataDir, 'processed', 'orders.csv'), 'utf8'), before);
  });
});
