// A serving process on a machine that neither committed the data nor trained the model (its own DATA_DIR, the
// same PostgreSQL): it follows the registry, so its incremental output and current model become those the
// pipeline produced elsewhere, without a restart.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { readCurrentPointer } from '../../src/ml/artifact.js';
import { trainModels } from '../../src/ml/train.js';
import { followRegistry } from '../../src/app/follow-registry.js';
import { runIncremental } from '../../src/ingest/incremental.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { makeDaySource } from '../ingest/helpers.js';

const logger = createLogger('silent');
let tmp: TempDir;
let database: TestDatabase;
let worker: Config;
let server: Config;
let db: Db;

before(async () => {
  tmp = await tempDir();
  database = await createTestDatabase();
  worker = loadConfig({ DATABASE_URL: database.url, DATA_DIR: path.join(tmp.path, 'worker') });
  server = loadConfig({ DATABASE_URL: database.url, DATA_DIR: path.join(tmp.path, 'server') });
  db = await openStore(worker, logger);
});
after(async () => {
  await db.close();
  await database.drop();
  await tmp.remove();
});

test('follow registry › the serving machine gets the data committed and the model trained on a worker', async () => {
  const source = await makeDaySource(path.join(tmp.path, 'source'), 1400);
  const landed = path.join(worker.paths.incrementalRawDir, '1', 'orders_0.csv');
  await fs.mkdir(path.dirname(landed), { recursive: true });
  await fs.copyFile(path.join(source, '0', 'orders_0.csv'), landed);
  assert.equal((await runIncremental({ config: worker, logger, db, redis: undefined })).status, 'committed');
  const trained = await trainModels({ db, paths: worker.paths });
  assert.equal(trained.status, 'trained');

  const follower = followRegistry({ config: server, db, logger }, 100);
  try {
    await waitFor(
      'the model',
      async () =>
        (await readCurrentPointer(server.paths.modelsDir).catch(() => undefined))?.version ===
        trained.version,
      15_000,
    );
    await waitFor(
      'the output',
      async () => {
        const text = await fs.readFile(server.paths.incrementalCsv, 'utf8').catch(() => '');
        return text !== '' && text === (await fs.readFile(worker.paths.incrementalCsv, 'utf8'));
      },
      15_000,
    );
  } finally {
    await follower.close();
  }
});
