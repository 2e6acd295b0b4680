// npm run bench:incremental — (1) latency from a file landing to its commit under --watch, (2) the cost of a
// run that finds nothing new, in process and as a whole `orderflow incremental` process; on the embedded
// store (PGlite, the default) and on the local PostgreSQL server when it answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/base/config.js';
import { createLogger } from '../src/base/log.js';
import { runIncremental, type IncrementalResult } from '../src/ingest/incremental.js';
import { deliverBatch } from '../src/ingest/landing/simulate.js';
import { watchIncremental } from '../src/ingest/watch.js';
import { connectRedis } from '../src/redis/redis.js';
import { openStore } from '../src/store/open.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { startRedis } from '../test/helpers/redis.js';
import { buildOnce, CLI, median, percentile, record, timeProcess } from './util.js';

const LANDINGS = 12;
buildOnce();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-inc-'));
timeProcess('node', [CLI, '--data-dir', path.join(work, 'source'), 'generate', '--orders', '20000']);
timeProcess('node', [CLI, '--data-dir', path.join(work, 'source'), 'split']);
const source = path.join(work, 'source', 'raw');
const redisServer = await startRedis();
const figures: Record<string, string> = {};

async function measure(label: string, databaseUrl: string | undefined): Promise<void> {
  const dataDir = path.join(work, label);
  const env = {
    DATA_DIR: dataDir,
    REDIS_URL: redisServer.url,
    LOG_LEVEL: 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const config = loadConfig(env);
  const logger = createLogger('silent');
  const db = await openStore(config, logger);
  const redis = await connectRedis(config);
  const deps = { config, logger, db, redis };

  // Landing → commit under watch.
  const controller = new AbortController();
  let resolveCommit: ((r: IncrementalResult) => void) | undefined;
  const watching = watchIncremental(deps, {
    signal: controller.signal,
    onResult: (r) => r.status === 'committed' && resolveCommit?.(r),
  });
  await new Promise((r) => setTimeout(r, 300));
  const latencies: number[] = [];
  for (let i = 0; i < LANDINGS; i++) {
    const committed = new Promise<IncrementalResult>((resolve) => (resolveCommit = resolve));
    const landed = performance.now();
    await deliverBatch(
      path.join(source, String(i % 7)),
      path.join(config.paths.incrementalRawDir, String(i)),
    );
    await committed;
    latencies.push(performance.now() - landed);
  }
  controller.abort();
  await watching;

  // No-op runs in process.
  const noop: number[] = [];
  for (let i = 0; i < 40; i++) {
    const started = performance.now();
    const r = await runIncremental(deps);
    if (r.status !== 'up-to-date') throw new Error('expected a no-op run');
    noop.push(performance.now() - started);
  }
  redis.disconnect();
  await db.close();
  const processRuns = Array.from({ length: 5 }, () => timeProcess('node', [CLI, 'incremental'], env).ms);

  const show = (name: string, value: string) => {
    figures[`${label}: ${name}`] = value;
    console.log(`${label.padEnd(10)} ${name.padEnd(34)} ${value}`);
  };
  show(
    'landing → commit (watch), p50 / max',
    `${median(latencies).toFixed(0)} ms / ${Math.max(...latencies).toFixed(0)} ms (${LANDINGS} files of ~2.9k orders)`,
  );
  show(
    'no-op run in process, p50 / p99',
    `${median(noop).toFixed(1)} ms / ${percentile(noop, 99).toFixed(1)} ms`,
  );
  show(
    'no-op `orderflow incremental`, p50',
    `${median(processRuns).toFixed(0)} ms (whole process incl. start and store open)`,
  );
}

await measure('pglite', undefined);
const database = await createTestDatabase().catch(() => undefined);
if (database) {
  await measure('postgres', database.url);
  await database.drop();
}
await redisServer.stop();
fs.rmSync(work, { recursive: true, force: true });
record('incremental', 'npm run bench:incremental', figures);
