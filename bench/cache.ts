// npm run bench:cache — the Redis prediction cache on a model trained (in-process CLI: generate → aggregate →
// train) over 134 categories, i.e. 7 × 24 × 134 = 22,512 keys, against a private redis-server:
// - refresh of the full grid (predicting every cell + one MULTI/EXEC), model already in memory, with the
//   trained model and with a RandomForest (the slowest to predict);
// - lookup latency in process: Predictor.predict on a hit vs on a miss (model fallback) vs the model alone;
// - hit-path throughput: many predict() calls in flight on the one connection, and predictMany batches.
// Flags: --orders N (default 60000).
import fs from 'node:fs';
import path from 'node:path';
import { ModelSource } from '../src/cache/model-source.js';
import { readArtifact, setCurrentPointer, writeArtifact } from '../src/ml/artifact.js';
import { buildTrainingSet, readAggregateCsv } from '../src/ml/dataset.js';
import { randomForestLearner } from '../src/ml/forest.js';
import { Predictor } from '../src/cache/predictor.js';
import { RedisPredictionCache } from '../src/cache/redis-cache.js';
import { refreshCache } from '../src/cache/refresh.js';
import { main } from '../src/cli/main.js';
import { dataPaths } from '../src/base/config.js';
import { connectRedis } from '../src/redis/redis.js';
import { startRedis } from '../test/helpers/redis.js';
import { median, OUT, percentile, record } from './util.js';

const args = process.argv.slice(2);
const orders = Number(args[args.indexOf('--orders') + 1] ?? 0) || 60_000;
const quiet = { out: () => undefined, err: (line: string) => console.error(line) };
const cli = async (...argv: string[]): Promise<void> => {
  const code = await main(['node', 'orderflow', ...argv], quiet);
  if (code !== 0) throw new Error(`orderflow ${argv.join(' ')} failed with exit code ${code}`);
};

const dataDir = path.join(OUT, `cache-${orders}`);
const paths = dataPaths(dataDir);
process.env.DATABASE_URL = ''; // the embedded store under dataDir
if (!fs.existsSync(path.join(paths.modelsDir, 'current.json'))) {
  fs.rmSync(dataDir, { recursive: true, force: true });
  const ordersCsv = path.join(dataDir, 'orders.csv');
  await cli(
    '--data-dir',
    dataDir,
    'generate',
    '--orders',
    String(orders),
    '--seed',
    '42',
    '--out',
    ordersCsv,
  );
  await cli('--data-dir', dataDir, 'aggregate', '--input', ordersCsv);
  await cli('--data-dir', dataDir, 'train');
}

const server = await startRedis();
const config = { redisUrl: server.url, redisKeyPrefix: '', paths };
const redis = await connectRedis(config);
const figures: Record<string, string> = {};
const show = (name: string, value: string): void => {
  console.log(`${name.padEnd(44)} ${value}`);
  figures[name] = value;
};
const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(1)} ms`);

try {
  const models = new ModelSource(paths.modelsDir, { checkIntervalMs: 60_000 });
  const model = await models.require();
  const cells = 7 * 24 * model.categories.length;
  console.log(
    `model ${model.version} (${model.algorithm}), ${model.categories.length} categories, ${cells} keys`,
  );

  // Refresh: first into an empty Redis, then forced rewrites over a full cache.
  const first = await refreshCache({ config, redis, models }, { force: true });
  const refreshes: number[] = [];
  for (let i = 0; i < 10; i++)
    refreshes.push((await refreshCache({ config, redis, models }, { force: true })).durationMs);
  const predictTimes: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    model.predictGrid();
    predictTimes.push(performance.now() - t);
  }
  show('refresh, empty cache (predict + write)', `${fmt(first.durationMs)} for ${first.count} keys`);
  show(
    'refresh, full grid, median of 10',
    `${fmt(median(refreshes))} (max ${fmt(Math.max(...refreshes))}; target < 150 ms)`,
  );
  show('  of which predicting the grid', fmt(median(predictTimes)));

  // The same grid from a RandomForest (the slowest learner to predict), trained here on the same aggregate.
  const set = buildTrainingSet(await readAggregateCsv(paths.processedCsv), 'grid');
  const forest = randomForestLearner.fit(set.rows, randomForestLearner.defaults, 42);
  const forestDir = path.join(dataDir, 'forest-models');
  const { state: _state, ...artifact } = (await readArtifact(
    path.join(paths.modelsDir, `${model.version}.json`),
  ))!;
  await writeArtifact(forestDir, {
    ...artifact,
    version: 'forest',
    algorithm: 'random_forest',
    hyperparameters: randomForestLearner.defaults,
    categories: set.categories,
    state: forest.state(),
  });
  await setCurrentPointer(forestDir, 'forest');
  const forestModels = new ModelSource(forestDir, { checkIntervalMs: 60_000 });
  const forestConfig = { ...config, paths: { ...paths, modelsDir: forestDir } };
  const forestRuns: number[] = [];
  for (let i = 0; i < 5; i++)
    forestRuns.push(
      (await refreshCache({ config: forestConfig, redis, models: forestModels }, { force: true })).durationMs,
    );
  show('refresh, full grid, RandomForest model, median of 5', fmt(median(forestRuns)));
  await refreshCache({ config, redis, models }, { force: true });

  const predictor = await Predictor.create({ config, models, rewarm: false });
  const cats = model.categories;
  const pick = (i: number): [number, number, string] => [i % 7, (i * 7) % 24, cats[(i * 31) % cats.length]];
  const latency = async (n: number): Promise<{ p50: number; p99: number; sources: Set<string> }> => {
    const times: number[] = [];
    const sources = new Set<string>();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const p = await predictor.predict(...pick(i));
      times.push(performance.now() - t);
      sources.add(p.source);
    }
    return { p50: percentile(times, 50), p99: percentile(times, 99), sources };
  };
  await latency(500); // warm-up
  const hit = await latency(5000);
  show(
    'lookup latency, cache hit (Predictor.predict)',
    `p50 ${fmt(hit.p50)}, p99 ${fmt(hit.p99)} [${[...hit.sources]}]`,
  );
  const cleared = await new RedisPredictionCache(redis, config).clear();
  const miss = await latency(5000);
  show(
    'lookup latency, miss → model fallback',
    `p50 ${fmt(miss.p50)}, p99 ${fmt(miss.p99)} [${[...miss.sources]}]`,
  );
  const modelTimes: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const [d, h, c] = pick(i);
    const t = performance.now();
    model.predict(d, h, model.resolveCategory(c));
    modelTimes.push(performance.now() - t);
  }
  show(
    'model alone (resolve + predict, no Redis)',
    `p50 ${fmt(percentile(modelTimes, 50))}, p99 ${fmt(percentile(modelTimes, 99))}`,
  );
  console.log(`(cleared ${cleared} keys for the miss run; refreshing again)`);
  await refreshCache({ config, redis, models }, { force: true });

  // Throughput: `inFlight` concurrent callers on the one connection (ioredis pipelines their commands).
  const throughput = async (inFlight: number, ms: number): Promise<number> => {
    let done = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: inFlight }, async (_, w) => {
        for (let i = w; performance.now() < end; i += inFlight) {
          await predictor.predict(...pick(i));
          done++;
        }
      }),
    );
    return done / (ms / 1000);
  };
  await throughput(64, 500);
  show(
    'hit-path throughput, 1 in flight',
    `${Math.round(await throughput(1, 2000)).toLocaleString('en')} predictions/s`,
  );
  show(
    'hit-path throughput, 64 in flight (pipelined)',
    `${Math.round(await throughput(64, 3000)).toLocaleString('en')} predictions/s`,
  );
  const batch = Array.from({ length: 100 }, (_, i) => {
    const [day, hour, category] = pick(i);
    return { day, hour, category };
  });
  let batchCells = 0;
  const batchEnd = performance.now() + 3000;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < batchEnd) {
        // Read the result before adding: `x += await …` would add to a stale x across workers.
        const answered = (await predictor.predictMany(batch)).length;
        batchCells += answered;
      }
    }),
  );
  show(
    'predictMany, batches of 100, 8 in flight',
    `${Math.round(batchCells / 3).toLocaleString('en')} cells/s`,
  );
  const stats = await redis.info('memory');
  show(
    'redis used_memory with the cache',
    `${(Number(/used_memory:(\d+)/.exec(stats)?.[1]) / 2 ** 20).toFixed(1)} MiB`,
  );
  await predictor.close();
} finally {
  redis.disconnect();
  await server.stop();
}
record('cache', `npm run bench:cache -- --orders ${orders}`, figures);
