// Promotion that never regresses, end to end through the CLI on embedded PGlite and a private redis-server:
// the training data is the batch history plus the incremental output; a challenger trained on less data that
// scores worse on its own holdout is rejected (registered, not current); the same data adds no version;
// `models promote` / `models rollback` move the pointer, log the move and refresh the cache to that version.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dataPaths } from '../../src/base/config.js';
import { readCurrentPointer } from '../../src/ml/artifact.js';
import { loadModelVersion } from '../../src/ml/predictor.js';
import { replayStack } from '../../src/ml/promotions.js';
import { connectRedis, type Redis } from '../../src/redis/redis.js';
import { runCli } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir, type TempDir } from '../helpers/tmp.js';
import { syntheticAggregate, toCsv } from './synthetic.js';

const total = (rows: readonly { items: number }[]): number => rows.reduce((s, r) => s + r.items, 0);

describe('model promotion', () => {
  let dir: TempDir;
  let server: RedisServer;
  let redis: Redis;
  let paths: ReturnType<typeof dataPaths>;
  const history = syntheticAggregate(20, 40, 3);
  const small = syntheticAggregate(20, 2, 3, 5);
  const run = (...args: string[]) =>
    runCli(['--data-dir', dir.path, ...args], { DATABASE_URL: '', REDIS_URL: server.url });

  before(async () => {
    dir = await tempDir();
    server = await startRedis();
    redis = await connectRedis({ redisUrl: server.url });
    paths = dataPaths(dir.path);
    await mkdir(path.dirname(paths.processedCsv), { recursive: true });
    await writeFile(paths.processedCsv, toCsv(history.rows));
    await writeFile(path.join(dir.path, 'small.csv'), toCsv(small.rows));
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
    await dir.remove();
  });

  test('train › the first model on the batch history becomes current', async () => {
    const r = await run('train', '--json');
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as {
      status: string;
      version: string;
      inputs: string[];
      totalItems: number;
    };
    assert.deepEqual([json.status, json.version], ['trained', 'v1']);
    assert.deepEqual(json.inputs, [paths.processedCsv]);
    assert.equal(json.totalItems, total(history.rows));
  });

  test('a challenger trained on less data that scores worse on its own holdout is registered as rejected', async () => {
    const r = await run('train', '--input', path.join(dir.path, 'small.csv'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rejected, does not beat the champion: holdout RMSE [\d.]+ vs champion v1 [\d.]+/);
    assert.match(r.stdout, /rejected: v2 .*current stays v1/);
    assert.equal((await readCurrentPointer(paths.modelsDir))?.version, 'v1');
    const list = JSON.parse((await run('models', 'list', '--json')).stdout) as {
      version: string;
      current: boolean;
      decision: { promoted: boolean; champion: string; championHoldout: { rmse: number } } | null;
    }[];
    assert.deepEqual(
      list.map((m) => [m.version, m.current, m.decision?.promoted]),
      [
        ['v2', false, false],
        ['v1', true, true],
      ],
    );
    assert.equal(list[0].decision?.champion, 'v1');
  });

  test('the same data again adds no version, even when its version was rejected', async () => {
    const r = await run('train', '--input', path.join(dir.path, 'small.csv'), '--json');
    const json = JSON.parse(r.stdout) as { status: string; version: string; sameDataAs: string };
    assert.deepEqual([json.status, json.version, json.sameDataAs], ['unchanged', 'v1', 'v2']);
    const list = JSON.parse((await run('models', 'list', '--json')).stdout) as unknown[];
    assert.equal(list.length, 2);
  });

  test('the training data is the batch history plus the incremental output, summed', async () => {
    const more = syntheticAggregate(20, 10, 3, 11);
    await mkdir(path.dirname(paths.incrementalCsv), { recursive: true });
    await writeFile(paths.incrementalCsv, toCsv(more.rows));
    const r = await run('train', '--json');
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as {
      status: string;
      version: string;
      inputs: string[];
      totalItems: number;
    };
    assert.equal(json.version, 'v3');
    assert.ok(json.status === 'trained' || json.status === 'rejected');
    assert.deepEqual(json.inputs, [paths.processedCsv, paths.incrementalCsv]);
    assert.equal(json.totalItems, total(history.rows) + total(more.rows));
  });

  test('models promote › any version becomes current and the cache serves it; rollback restores the previous one', async () => {
    const before = (await readCurrentPointer(paths.modelsDir))!.version;
    const promoted = await run('models', 'promote', 'v2', '--json');
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.deepEqual(JSON.parse(promoted.stdout), {
      version: 'v2',
      previousVersion: before,
      action: 'manual',
      cache: 'refreshed',
    });
    const v2 = await loadModelVersion(paths.modelsDir, 'v2');
    const cat = v2.categories[0];
    assert.equal(await redis.hget('orderflow:cache:meta', 'model_version'), 'v2');
    assert.equal(Number(await redis.get(`0:9:${cat}`)), v2.predict(0, 9, 0));

    const back = await run('models', 'rollback', '--json');
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(JSON.parse(back.stdout), {
      version: before,
      previousVersion: 'v2',
      action: 'rollback',
      cache: 'refreshed',
    });
    const restored = await loadModelVersion(paths.modelsDir, before);
    assert.equal((await readCurrentPointer(paths.modelsDir))?.version, before);
    assert.equal(await redis.hget('orderflow:cache:meta', 'model_version'), before);
    const k = restored.categories.indexOf(cat);
    assert.equal(Number(await redis.get(`0:9:${cat}`)), restored.predict(0, 9, k));

    const history = JSON.parse((await run('models', 'history', '--json')).stdout) as { action: string }[];
    assert.deepEqual(history.map((e) => e.action).slice(0, 3), [
      'rollback',
      'manual',
      before === 'v1' ? 'rejected' : 'promoted',
    ]);
  });

  test('models promote of an unknown version › exit 2 naming the known ones', async () => {
    const r = await run('models', 'promote', 'v42');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no model version "v42"; known: v3, v2, v1/);
  });

  test('rollback replays the log as a stack: two rollbacks walk two steps back, rejections do not count', () => {
    const e = (action: 'promoted' | 'rejected' | 'manual' | 'rollback', version: string) => ({
      action,
      version,
    });
    assert.deepEqual(
      replayStack([e('promoted', 'v1'), e('rejected', 'v2'), e('promoted', 'v3'), e('manual', 'v2')]),
      ['v1', 'v3', 'v2'],
    );
    assert.deepEqual(
      replayStack([
        e('promoted', 'v1'),
        e('promoted', 'v3'),
        e('manual', 'v2'),
        e('rollback', 'v3'),
        e('rollback', 'v1'),
      ]),
      ['v1'],
    );
  });
});
