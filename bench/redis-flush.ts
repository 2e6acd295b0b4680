// npm run bench:flush — what clearing Redis (FLUSHALL) does to a running orderflow, measured: lookups keep
// being answered (by the model) while the cache is empty, how long until the cache serves again (rewarm on
// the first miss), and how long the next incremental run takes to rebuild processed_days from the ledger.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { refreshCache } from '../src/cache/refresh.js';
import { Predictor } from '../src/cache/predictor.js';
import { loadConfig } from '../src/base/config.js';
import { createLogger } from '../src/base/log.js';
import { trainModels } from '../src/ml/train.js';
import { runIncremental } from '../src/ingest/incremental.js';
import { deliverBatch } from '../src/ingest/landing/simulate.js';
import { connectRedis } from '../src/redis/redis.js';
import { openStore } from '../src/store/open.js';
import { runCli } from '../test/helpers/cli.js';
import { startRedis } from '../test/helpers/redis.js';
import { median, percentile, record } from './util.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-flush-'));
const server = await startRedis();
const config = loadConfig({ DATA_DIR: work, REDIS_URL: server.url, LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
await runCli(['--data-dir', work, 'generate', '--orders', '30000']);
await runCli(['--data-dir', work, 'split']);
for (let d = 0; d < 7; d++)
  await deliverBatch(
    path.join(config.paths.rawDir, String(d)),
    path.join(config.paths.incrementalRawDir, String(d)),
  );
const db = await openStore(config, logger);
const redis = await connectRedis(config);
await runIncremental({ config, logger, db, redis });
await trainModels({ db, paths: config.paths });
await refreshCache({ config, logger, redis });
const predictor = await Predictor.create({ config, logger });
const categories = ['fresh fruits', 'yogurt', 'milk', 'coffee', 'spirits'];
const cell = (i: number) => [i % 7, (i * 5) % 24, categories[i % categories.length]] as const;

const hit: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t = performance.now();
  const r = await predictor.predict(...cell(i));
  hit.push(performance.now() - t);
  if (r.source !== 'cache') throw new Error('expected a warm cache');
}

await redis.flushall();
const flushedAt = performance.now();
const afterFlush: { ms: number; source: string }[] = [];
let servedAgainMs: number | undefined;
for (let i = 0; servedAgainMs === undefined && performance.now() - flushedAt < 10_000; i++) {
  const t = performance.now();
  const r = await predictor.predict(...cell(i));
  afterFlush.push({ ms: performance.now() - t, source: r.source });
  if (r.source === 'cache') servedAgainMs = performance.now() - flushedAt;
}
const byModel = afterFlush.filter((l) => l.source === 'model').map((l) => l.ms);
const rebuildStarted = performance.now();
const rebuilt = await runIncremental({ config, logger, db, redis });
const rebuildMs = performance.now() - rebuildStarted;
if (!rebuilt.trackingRebuilt || rebuilt.status !== 'up-to-date')
  throw new Error('expected the tracking keys to be rebuilt');

const figures: Record<string, string> = {
  'lookup before the flush (cache hit), p50 / p99': `${median(hit).toFixed(3)} ms / ${percentile(hit, 99).toFixed(3)} ms`,
  'lookups answered after the flush, before the cache served again': `${afterFlush.length - 1} (all by the model, 0 errors)`,
  'lookup after the flush (model fallback), p50 / max': `${median(byModel).toFixed(3)} ms / ${Math.max(...byModel).toFixed(1)} ms`,
  'flush → cache serving again (rewarm on the first miss)': `${servedAgainMs?.toFixed(0) ?? '> 10000'} ms`,
  'next incremental run: processed_days rebuilt from the ledger, nothing reprocessed': `${rebuildMs.toFixed(0)} ms`,
};
for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(82)} ${v}`);
await predictor.close();
redis.disconnect();
await db.close();
await server.stop();
fs.rmSync(work, { recursive: true, force: true });
record('flush', 'npm run bench:flush', figures);
