// Shared set-up of the incremental tests: a source of day folders, a DATA_DIR per test, the stage's
// dependencies on a real Redis and a real PostgreSQL database, and the invariant every test checks.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { aggregateOrders } from '../../src/ingest/aggregate.js';
import { cellsOf, foldTotals } from '../../src/ingest/ledger/ledger-totals.js';
import { packPart, unpackPart } from '../../src/ingest/ledger/part-payload.js';

import { syncLocalOutput } from '../../src/ingest/output/increment-output.js';
import { deliverBatch } from '../../src/ingest/landing/simulate.js';
import { readTracking } from '../../src/ingest/output/tracking.js';
import { connectRedis, type Redis } from '../../src/redis/redis.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { runCli } from '../helpers/cli.js';
import { DAYS, HOURS, type CellAddress } from '../../src/base/cell.js';

/** Generates `orders` orders and splits them into day folders under `dir`/raw. */
export async function makeDaySource(dir: string, orders = 2100, seed = 5): Promise<string> {
  await runCli(['--data-dir', dir, 'generate', '--orders', String(orders), '--seed', String(seed)]);
  await runCli(['--data-dir', dir, 'split']);
  return path.join(dir, 'raw');
}

export interface Stage {
  config: Config;
  db: Db;
  redis: Redis;
  deps: { config: Config; logger: ReturnType<typeof createLogger>; db: Db; redis: Redis };
  deliver(batch: string): Promise<void>;
  close(): Promise<void>;
}

export async function openStage(
  dataDir: string,
  source: string,
  env: { REDIS_URL: string; DATABASE_URL?: string; ORDERFLOW_ALLOW_DUPLICATE_FILES?: string },
): Promise<Stage> {
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const logger = createLogger('silent');
  const db = await openStore(config, logger);
  const redis = await connectRedis(config);
  return {
    config,
    db,
    redis,
    deps: { config, logger, db, redis },
    deliver: async (batch) =>
      void (await deliverBatch(path.join(source, batch), path.join(config.paths.incrementalRawDir, batch))),
    close: async () => {
      redis.disconnect();
      await db.close();
    },
  };
}

/** The guarantee: the incremental output equals a full re-aggregation of the files present, and Redis says so. */
export async function assertMatchesFullAggregation(config: Config, redis?: Redis, db?: Db): Promise<void> {
  // A DAG's commit leaves the output to whoever needs it: bring this machine's copy up to the ledger first.
  if (db) await syncLocalOutput(config, db);
  const rawDir = config.paths.incrementalRawDir;
  const batches = (await fs.readdir(rawDir).catch(() => [] as string[])).filter((b) => !b.startsWith('.'));
  const files: string[] = [];
  for (const batch of batches) {
    for (const name of await fs.readdir(path.join(rawDir, batch))) {
      if (name.endsWith('.csv') && !name.startsWith('.')) files.push(path.join(rawDir, batch, name));
    }
  }
  const check = path.join(config.dataDir, 'check');
  const expectedCsv = path.join(check, 'orders.csv');
  if (files.length > 0) {
    await aggregateOrders({
      files,
      csvPath: expectedCsv,
      parquetDir: path.join(check, 'parquet'),
      quarantineDir: path.join(check, 'quarantine'),
      dataDir: config.dataDir,
      strict: false,
    });
    assert.equal(
      await fs.readFile(config.paths.incrementalCsv, 'utf8'),
      await fs.readFile(expectedCsv, 'utf8'),
    );
  } else {
    assert.equal(
      await fs.readFile(config.paths.incrementalCsv, 'utf8'),
      'day_of_week,hour_of_day,category,items_count\n',
    );
  }
  if (redis) {
    const committed = [...new Set(files.map((f) => path.basename(path.dirname(f))))].sort(
      (a, b) => Number(a) - Number(b),
    );
    const tracking = await readTracking(redis, config);
    assert.deepEqual(tracking.processedDays, committed);
    assert.equal(tracking.lastProcessedDay, committed.at(-1) ?? null);
  }
}

/** The incremental output equals a full `aggregate` of exactly these files (no more, none twice). */
export async function assertOutputEqualsAggregateOf(
  config: Config,
  files: string[],
  scratch: string,
): Promise<void> {
  await aggregateOrders({
    files,
    csvPath: path.join(scratch, 'orders.csv'),
    parquetDir: path.join(scratch, 'parquet'),
    quarantineDir: path.join(scratch, 'quarantine'),
    dataDir: scratch,
    strict: false,
  });
  assert.equal(
    await fs.readFile(config.paths.incrementalCsv, 'utf8'),
    await fs.readFile(path.join(scratch, 'orders.csv'), 'utf8'),
  );
}

/**
 * Adds `by` to the first `count` cells (in output order) of a committed file's partial, as if the aggregation had a
 * bug when the file was committed (the totals, folded first, are left alone); returns those cells.
 */
export async function driftPartial(db: Db, file: string, count: number, by: number): Promise<CellAddress[]> {
  await foldTotals(db);
  const [row] = await db.query<{ token: string; range_index: number; payload: Uint8Array }>(
    `SELECT p.token, p.range_index, p.payload FROM ingest_parts p JOIN ingest_files f
       ON f.path = p.path AND f.token = p.token
     WHERE p.path = $1 AND p.payload IS NOT NULL ORDER BY p.range_index LIMIT 1`,
    [file],
  );
  const part = unpackPart(row.payload);
  const cells = cellsOf(part).slice(0, count);
  const width = part.categories.length;
  for (const c of cells) {
    const at = (c.day * HOURS + c.hour) * width + part.categories.indexOf(c.category);
    part.totals.items[at] += by;
    // The drift lands in bucket 1 (a training bucket), so the holdout adds up like the cells.
    part.totals.bucketItems[DAYS * HOURS * width + at] += by;
  }
  await db.query('UPDATE ingest_parts SET payload = $3 WHERE token = $1 AND range_index = $2 AND path = $4', [
    row.token,
    row.range_index,
    packPart(part),
    file,
  ]);
  return cells.map((c) => ({ day: c.day, hour: c.hour, category: c.category }));
}
