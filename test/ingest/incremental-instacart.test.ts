// The incremental landing over relational batches (instacart-batch.ts): day folders of orders.csv and their
// order_products files, the catalog at the landing root. Each batch is counted once and equals `aggregate` of
// the same folders exactly; unknown orders and products are quarantined with file and line; a catalog change
// applies to batches read after it, and `reprocess` re-reads committed batches with the new catalog.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { cutInstacartDays } from '../../src/data/instacart-batches.js';
import { aggregateOrders } from '../../src/ingest/aggregate.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import { reprocess } from '../../src/ingest/reprocess.js';
import { simulateInstacartDays } from '../../src/ingest/landing/simulate-instacart.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { openStage, type Stage } from './helpers.js';

let tmp: TempDir;
let whole: string;
let source: string;
let redisServer: RedisServer;
let database: TestDatabase;
let stage: Stage;
let n = 0;

before(async () => {
  tmp = await tempDir();
  whole = path.join(tmp.path, 'instacart');
  const r = await runCli([
    'generate',
    '--format',
    'instacart',
    '--orders',
    '1400',
    '--seed',
    '11',
    '--out',
    whole,
  ]);
  assert.equal(r.code, 0, r.stderr);
  source = path.join(tmp.path, 'days');
  assert.equal((await cutInstacartDays(whole, source)).length, 7);
  redisServer = await startRedis({});
});
after(async () => {
  await redisServer.stop();
  await tmp.remove();
});
beforeEach(async () => {
  database = await createTestDatabase();
  stage = await openStage(path.join(tmp.path, `case-${++n}`), source, {
    REDIS_URL: redisServer.url,
    DATABASE_URL: database.url,
  });
  const root = stage.config.paths.incrementalRawDir;
  await fs.mkdir(root, { recursive: true });
  for (const name of ['products.csv', 'aisles.csv', 'departments.csv'])
    await fs.copyFile(path.join(source, name), path.join(root, name));
});
afterEach(async () => {
  await stage.close();
  await database.drop();
});

async function aggregateOf(dirs: string[], name: string): Promise<string> {
  const scratch = path.join(tmp.path, `expected-${name}-${n}`);
  await aggregateOrders({
    files: dirs,
    csvPath: path.join(scratch, 'orders.csv'),
    parquetDir: path.join(scratch, 'parquet'),
    quarantineDir: path.join(scratch, 'quarantine'),
    dataDir: scratch,
    strict: false,
  });
  return fs.readFile(path.join(scratch, 'orders.csv'), 'utf8');
}

const output = () => fs.readFile(stage.config.paths.incrementalCsv, 'utf8');

describe('incremental over relational batch folders', () => {
  test('each batch once; the output equals aggregate of the same orders exactly; a re-run commits nothing', async () => {
    for (const batch of ['3', '0']) await stage.deliver(batch);
    const first = await runIncremental(stage.deps);
    assert.equal(first.status, 'committed');
    assert.deepEqual(first.batches, ['0', '3']);
    assert.equal(first.filesAdded, 2);
    const root = stage.config.paths.incrementalRawDir;
    assert.equal(await output(), await aggregateOf([path.join(root, '0'), path.join(root, '3')], 'two'));
    for (const batch of ['1', '2', '4', '5', '6']) await stage.deliver(batch);
    const rest = await runIncremental(stage.deps);
    assert.deepEqual(rest.batches, ['1', '2', '4', '5', '6']);
    // All seven day batches: the aggregate of the whole relational set they were cut from.
    assert.equal(await output(), await aggregateOf([whole], 'whole'));
    const again = await runIncremental(stage.deps);
    assert.equal(again.status, 'up-to-date');
    assert.equal(again.filesAdded + again.filesReplaced, 0);
    const rows = await stage.db.query<{ path: string }>('SELECT path FROM ingest_files ORDER BY path');
    assert.deepEqual(
      rows.map((r) => r.path),
      ['0', '1', '2', '3', '4', '5', '6'].map((b) => `${b}/orders.csv`),
    );
    // The same batch delivered again under another name is a duplicate, not counted twice.
    await fs.cp(path.join(root, '2'), path.join(root, '2-again'), { recursive: true });
    const dup = await runIncremental(stage.deps);
    assert.deepEqual(
      dup.skipped.map((s) => [s.path, s.status]),
      [['2-again/orders.csv', 'duplicate']],
    );
    assert.equal(await output(), await aggregateOf([whole], 'whole-again'));
  });

  test('unknown orders and products are quarantined with file and line, and not counted', async () => {
    await stage.deliver('1');
    const root = stage.config.paths.incrementalRawDir;
    const prior = path.join(root, '1', 'order_products__prior.csv');
    const clean = await aggregateOf([path.join(source, '1')], 'clean');
    const lines = (await fs.readFile(prior, 'utf8')).split('\n').length - 1;
    await fs.appendFile(prior, '999999,1,1,0\n1,999999,2,0\n');
    const r = await runIncremental(stage.deps);
    assert.equal(r.status, 'committed');
    assert.equal(r.badRows, 2);
    assert.equal(await output(), clean);
    assert.equal(r.quarantined.length, 1);
    const rejected = parse(await fs.readFile(r.quarantined[0]), { columns: true }) as Record<
      string,
      string
    >[];
    assert.deepEqual(
      rejected.map((row) => [row.file, Number(row.line), row.raw]),
      [
        [prior, lines + 1, '999999,1,1,0'],
        [prior, lines + 2, '1,999999,2,0'],
      ],
    );
  });

  test('a catalog change applies to batches read after it; reprocess re-reads committed ones with it', async () => {
    const root = stage.config.paths.incrementalRawDir;
    await stage.deliver('0');
    assert.equal((await runIncremental(stage.deps)).status, 'committed');
    const [{ reason: before }] = await stage.db.query<{ reason: string }>(
      `SELECT reason FROM ingest_parts WHERE path = '0/orders.csv' AND outcome = 'read'`,
    );
    assert.match(before, /^catalog sha256:[0-9a-f]{64}$/);
    // Every product of aisle 1 moves to aisle 2: a new catalog at the landing root.
    const products = path.join(root, 'products.csv');
    const text = await fs.readFile(products, 'utf8');
    const moved = text.replace(/^(\d+,(?:"(?:[^"]|"")*"|[^,\n]*)),1,(\d+)$/gm, '$1,2,$2');
    assert.notEqual(moved, text);
    await fs.writeFile(products, moved);
    // Batch 0 was read with the old catalog and stays as committed; batch 1 is read with the new one.
    await stage.deliver('1');
    const next = await runIncremental(stage.deps);
    assert.deepEqual(next.batches, ['1']);
    const withNew = (dirs: string[], name: string) => aggregateOf(dirs, name);
    const oldCatalog = path.join(tmp.path, `old-catalog-${n}`);
    await fs.cp(path.join(source, '0'), path.join(oldCatalog, '0'), { recursive: true });
    for (const name of ['products.csv', 'aisles.csv'])
      await fs.copyFile(path.join(source, name), path.join(oldCatalog, name));
    const expectedMixed = await sumCsv([
      await aggregateOf([path.join(oldCatalog, '0')], 'old0'),
      await withNew([path.join(root, '1')], 'new1'),
    ]);
    assert.deepEqual(await sumCsv([await output()]), expectedMixed);
    // reprocess: batch 0 re-read with the new catalog; the output is then the new catalog's aggregate of both.
    const plan = await reprocess(stage.deps, { batches: ['0'] }, { apply: false });
    assert.ok(plan.cells.length > 0, 'the new catalog changes cells of batch 0');
    await reprocess(stage.deps, { batches: ['0'] }, { apply: true });
    assert.equal((await runIncremental(stage.deps)).status, 'committed');
    assert.equal(await output(), await withNew([path.join(root, '0'), path.join(root, '1')], 'both-new'));
    const reasons = await stage.db.query<{ reason: string }>(
      `SELECT p.reason FROM ingest_parts p JOIN ingest_files f ON f.path = p.path AND f.token = p.token ORDER BY p.path`,
    );
    assert.equal(new Set(reasons.map((r) => r.reason)).size, 1, 'both batches read with one catalog');
    assert.notEqual(reasons[0].reason, before);
  });
});

test('a batch folder copied file by file: its line items alone are rejected, then counted once whole', async () => {
  const root = stage.config.paths.incrementalRawDir;
  await fs.mkdir(path.join(root, '4'));
  await fs.copyFile(
    path.join(source, '4', 'order_products__prior.csv'),
    path.join(root, '4', 'order_products__prior.csv'),
  );
  const early = await runIncremental(stage.deps);
  assert.equal(early.filesAdded, 0);
  await fs.cp(path.join(source, '4'), path.join(root, '4'), { recursive: true });
  const whole = await runIncremental(stage.deps);
  assert.deepEqual(whole.batches, ['4']);
  assert.equal(await output(), await aggregateOf([path.join(source, '4')], 'four'));
  const skipped = await stage.db.query<{ path: string }>('SELECT path FROM ingest_skipped_files');
  assert.deepEqual(skipped, [], 'the early verdict is forgotten once the folder is whole');
});

test('start --format instacart: simulated weeks land as relational day batches, counted once, new order ids', async () => {
  const root = stage.config.paths.incrementalRawDir;
  const delivered = await simulateInstacartDays({
    to: root,
    weekOrders: 700,
    weeks: 1,
    everyMs: 0,
    stagingDir: path.join(stage.config.dataDir, 'instacart-arrivals'),
  });
  assert.deepEqual(delivered, ['7', '8', '9', '10', '11', '12', '13']);
  assert.deepEqual(
    await simulateInstacartDays({
      to: root,
      weekOrders: 700,
      weeks: 1,
      everyMs: 0,
      stagingDir: '/nonexistent',
    }),
    [],
    'a restart delivers nothing twice',
  );
  const ids = (await fs.readFile(path.join(root, '7', 'orders.csv'), 'utf8')).trim().split('\n').slice(1);
  assert.ok(ids.every((l) => Number(l.split(',')[0]) > 1e9));
  const r = await runIncremental(stage.deps);
  assert.deepEqual(r.batches, [...delivered].sort());
  assert.equal(r.badRows, 0);
  assert.equal(
    await output(),
    await aggregateOf(
      delivered.map((b) => path.join(root, b)),
      'simulated',
    ),
  );
});

/** An output CSV as (day, hour, category) → items, for comparing sums of outputs. */
async function sumCsv(texts: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of texts)
    for (const line of t.trim().split('\n').slice(1)) {
      const at = line.lastIndexOf(',');
      const key = line.slice(0, at);
      out.set(key, (out.get(key) ?? 0) + Number(line.slice(at + 1)));
    }
  return new Map([...out].filter(([, v]) => v !== 0).sort());
}
