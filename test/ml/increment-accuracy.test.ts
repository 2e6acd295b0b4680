// Accuracy on arriving data: each committed increment is scored once against the model serving when it arrived;
// an increment like the history scores near its noise floor, a drifted one far above it.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { generateOrders } from '../../src/data/generate.js';
import { createLogger } from '../../src/base/log.js';
import { listIncrementScores, scoreNewIncrements } from '../../src/ml/increment-accuracy.js';
import { trainModels } from '../../src/ml/train.js';
import { aggregateOrders } from '../../src/ingest/aggregate.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';

describe('accuracy on arriving increments', () => {
  let dir: TempDir;
  let config: Config;
  let db: Db;
  const logger = createLogger('silent');

  before(async () => {
    dir = await tempDir();
    config = loadConfig({ DATA_DIR: dir.path, DATABASE_URL: '', LOG_LEVEL: 'silent' });
    db = await openStore(config, logger);
    const history = path.join(dir.path, 'orders.csv');
    await generateOrders({ orders: 4000, seed: 42, out: history });
    await aggregateOrders({
      files: [history],
      csvPath: config.paths.processedCsv,
      parquetDir: config.paths.processedParquet,
      quarantineDir: config.paths.quarantineDir,
      dataDir: dir.path,
      strict: false,
    });
    await trainModels({ db, paths: config.paths });
  });
  after(async () => {
    await db.close();
    await dir.remove();
  });

  test('a like-the-history increment scores near its floor, a drifted one far above; each is scored once', async () => {
    await generateOrders({
      orders: 600,
      seed: 1007,
      day: 0,
      firstOrderId: 1e9,
      out: path.join(config.paths.incrementalRawDir, '7', 'orders_7.csv'),
    });
    // Drift: every order of day 1 buys only ice cream, at 10 in the morning.
    const drifted = path.join(config.paths.incrementalRawDir, '8');
    await mkdir(drifted, { recursive: true });
    const header = 'order_id,order_dow,order_hour_of_day,days_since_prior_order,ice cream ice,fresh fruits';
    const rows = Array.from({ length: 300 }, (_, i) => `${2e9 + i},1,10,,5,0`);
    await writeFile(path.join(drifted, 'orders_8.csv'), [header, ...rows].join('\n') + '\n');
    assert.equal((await runIncremental({ config, logger, db, redis: undefined })).status, 'committed');

    const scores = await scoreNewIncrements({ db, modelsDir: config.paths.modelsDir });
    assert.deepEqual(
      scores.map((s) => [s.path, s.modelVersion, s.orders]),
      [
        ['7/orders_7.csv', 'v1', 600],
        ['8/orders_8.csv', 'v1', 300],
      ],
    );
    const [like, drift] = scores;
    assert.ok(
      like.rmse < 1.5 * like.noiseFloor,
      `like the history: ${like.rmse} vs floor ${like.noiseFloor}`,
    );
    assert.ok(drift.rmse > 3 * drift.noiseFloor, `drifted: ${drift.rmse} vs floor ${drift.noiseFloor}`);
    assert.deepEqual(await scoreNewIncrements({ db, modelsDir: config.paths.modelsDir }), []);
    assert.deepEqual(
      (await listIncrementScores(db)).map((s) => s.path),
      ['7/orders_7.csv', '8/orders_8.csv'],
    );
  });
});
