// Two machines with their own DATA_DIR and one registry: a model trained (or promoted, or rolled back) on one is
// what the other's models folder holds after `syncModels`, artifact and pointer; the other then loads and
// predicts with exactly that model.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { createLogger } from '../../src/base/log.js';
import { artifactFile, readCurrentPointer } from '../../src/ml/artifact.js';
import { syncModels } from '../../src/ml/model-sync.js';
import { loadCurrentModel } from '../../src/ml/predictor.js';
import { promoteVersion, rollbackVersion } from '../../src/ml/promote.js';
import { trainModels } from '../../src/ml/train.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { syntheticAggregate, toCsv } from './synthetic.js';

const logger = createLogger('silent');
let tmp: TempDir;
let database: TestDatabase;
let trainer: Config;
let other: Config;
let db: Db;

before(async () => {
  tmp = await tempDir();
  database = await createTestDatabase();
  trainer = loadConfig({ DATABASE_URL: database.url, DATA_DIR: path.join(tmp.path, 'a') });
  other = loadConfig({ DATABASE_URL: database.url, DATA_DIR: path.join(tmp.path, 'b') });
  db = await openStore(trainer, logger);
});
after(async () => {
  await db.close();
  await database.drop();
  await tmp.remove();
});

test('model sync › another machine gets the current version trained, promoted or rolled back elsewhere', async () => {
  assert.deepEqual(await syncModels(db, other.paths.modelsDir), { version: null, changed: false });
  const input = path.join(tmp.path, 'agg.csv');
  await writeFile(input, toCsv(syntheticAggregate(20, 25, 4).rows));
  const first = await trainModels({ db, paths: trainer.paths }, { input });
  assert.equal(first.status, 'trained');

  assert.deepEqual(await syncModels(db, other.paths.modelsDir), { version: first.version, changed: true });
  assert.equal((await readCurrentPointer(other.paths.modelsDir))?.version, first.version);
  assert.equal(
    await readFile(artifactFile(other.paths.modelsDir, first.version!), 'utf8'),
    await readFile(artifactFile(trainer.paths.modelsDir, first.version!), 'utf8'),
    'the artifact is copied byte for byte',
  );
  const here = (await loadCurrentModel(trainer.paths.modelsDir))!;
  const there = (await loadCurrentModel(other.paths.modelsDir))!;
  assert.equal(there.predict(3, 14, 2), here.predict(3, 14, 2));
  assert.deepEqual(await syncModels(db, other.paths.modelsDir), { version: first.version, changed: false });

  // A second version made current by hand on the training machine, then a rollback.
  await writeFile(input, toCsv(syntheticAggregate(20, 25, 9).rows));
  const second = await trainModels({ db, paths: trainer.paths }, { input, force: true });
  await promoteVersion({ db, modelsDir: trainer.paths.modelsDir }, second.version!);
  assert.equal((await syncModels(db, other.paths.modelsDir)).version, second.version);
  assert.equal((await readCurrentPointer(other.paths.modelsDir))?.version, second.version);
  const back = await rollbackVersion({ db, modelsDir: trainer.paths.modelsDir });
  assert.equal((await syncModels(db, other.paths.modelsDir)).version, back.version);
  assert.equal((await loadCurrentModel(other.paths.modelsDir))?.artifact.version, back.version);
});
