// The registry and training stage behave the same on a real PostgreSQL and on embedded PGlite; the served model
// loads from the pointer file alone and predicts exactly what was trained.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type Config } from '../../src/base/config.js';
import { NotFoundError } from '../../src/base/errors.js';
import { createLogger } from '../../src/base/log.js';
import { readCurrentPointer } from '../../src/ml/artifact.js';
import { loadCurrentModel, loadModelVersion } from '../../src/ml/predictor.js';
import { ModelRegistry } from '../../src/ml/registry.js';
import { trainModels } from '../../src/ml/train.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { LEARNERS } from '../../src/ml/learners.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';
import { syntheticAggregate, toCsv } from './synthetic.js';

const logger = createLogger('silent');

const backends = [
  {
    name: 'postgres',
    create: async () => {
      const database = await createTestDatabase();
      const dir = await tempDir();
      const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: dir.path });
      return { config, cleanup: async () => (await database.drop(), await dir.remove()) };
    },
  },
  {
    name: 'pglite',
    create: async () => {
      const dir = await tempDir();
      const config = loadConfig({ DATA_DIR: dir.path });
      return { config, cleanup: () => dir.remove() };
    },
  },
];

for (const backend of backends) {
  describe(`registry on ${backend.name}`, () => {
    let config: Config;
    let db: Db;
    let cleanup: () => Promise<void>;
    let input: string;

    before(async () => {
      ({ config, cleanup } = await backend.create());
      db = await openStore(config, logger);
      input = path.join(config.dataDir, 'agg.csv');
      await writeFile(input, toCsv(syntheticAggregate(20, 25, 4).rows));
    });
    after(async () => {
      await db.close();
      await cleanup();
    });

    test('a training registers v1 with every candidate, writes the artifact, then points current at it', async () => {
      const result = await trainModels({ db, paths: config.paths }, { input });
      assert.equal(result.status, 'trained');
      assert.equal(result.version, 'v1');
      const pointer = await readCurrentPointer(config.paths.modelsDir);
      assert.equal(pointer?.version, 'v1');
      const record = await new ModelRegistry(db, config.paths.modelsDir).get('v1');
      assert.ok(record);
      assert.equal(record.algorithm, result.algorithm);
      assert.equal(record.candidates.length, LEARNERS.length);
      assert.equal(record.fingerprint, result.fingerprint);
      assert.equal(record.trainingMode, 'grid');
      assert.equal(record.artifactPath, path.join(config.paths.modelsDir, 'v1.json'));
      assert.match(record.createdAt, /^\d{4}-\d\d-\d\dT/);
      assert.ok(record.metrics.holdout.rmse > 0);
    });

    test('the same data again is unchanged and adds no version; --force adds a current version, a losing challenger a rejected one', async () => {
      const again = await trainModels(
        { db: () => Promise.reject(new Error('store must not be opened')), paths: config.paths },
        { input },
      );
      assert.equal(again.status, 'unchanged');
      assert.equal(again.version, 'v1');
      const forced = await trainModels(
        { db, paths: config.paths },
        { input, force: true, split: 'md5', folds: 2 },
      );
      assert.equal(forced.version, 'v2');
      // Trained on the non-zero cells alone, the challenger loses to v2 re-scored on its own held-out cells.
      const nonzero = await trainModels({ db, paths: config.paths }, { input, nonzeroOnly: true });
      assert.equal(nonzero.status, 'rejected');
      assert.equal(nonzero.version, 'v3');
      assert.equal(nonzero.currentVersion, 'v2');
      assert.ok(nonzero.decision!.championHoldout!.rmse <= nonzero.decision!.challengerHoldout.rmse);
      assert.equal((await readCurrentPointer(config.paths.modelsDir))?.version, 'v2');
      const list = await new ModelRegistry(db, config.paths.modelsDir).list();
      assert.deepEqual(
        list.map((r) => r.version),
        ['v3', 'v2', 'v1'],
      );
      assert.equal(list[1].evaluation.folds, 2);
      assert.ok(list[1].metrics.crossValidation);
      const files = (await readdir(config.paths.modelsDir)).filter((f) => !f.startsWith('.')).sort();
      assert.deepEqual(files, ['current.json', 'v1.json', 'v2.json', 'v3.json']);
    });

    test('the current model loads from the pointer file and predicts like the version it names', async () => {
      const current = await loadCurrentModel(config.paths.modelsDir);
      assert.ok(current);
      assert.equal(current.version, 'v2');
      const same = await loadModelVersion(config.paths.modelsDir, 'v2');
      const grid = current.predictGrid();
      assert.equal(grid.length, 7 * 24 * current.categories.length);
      assert.deepEqual(grid, same.predictGrid());
      const c = current.resolveCategory('  YOGURT ');
      assert.equal(current.categories[c], 'yogurt');
      assert.equal(grid[(2 * 24 + 13) * current.categories.length + c], current.predict(2, 13, c));
      assert.throws(
        () => current.resolveCategory('yoghurt'),
        (e: unknown) => e instanceof NotFoundError && e.suggestions[0] === 'yogurt',
      );
      await assert.rejects(loadModelVersion(config.paths.modelsDir, 'v99'), NotFoundError);
    });

    test('an artifact is complete JSON naming its version and categories', async () => {
      const artifact = JSON.parse(await readFile(path.join(config.paths.modelsDir, 'v2.json'), 'utf8')) as {
        version: string;
        categories: string[];
        evaluation: { split: string };
      };
      assert.equal(artifact.version, 'v2');
      assert.equal(artifact.categories.length, 20);
      assert.equal(artifact.evaluation.split, 'md5');
    });
  });
}

test('no model › loadCurrentModel returns null on an empty models folder', async () => {
  const dir = await tempDir();
  try {
    assert.equal(await loadCurrentModel(path.join(dir.path, 'models')), null);
  } finally {
    await dir.remove();
  }
});
