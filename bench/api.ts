// npm run bench:api — the prediction endpoint under load with autocannon on loopback, answered from the Redis
// cache. A built `orderflow serve` runs in its own process (embedded metadata store, a private redis-server);
// autocannon runs here. Target on a 2-core machine: ≥ 10k requests/s, p99 < 5 ms, 0 errors; then 60 s sustained.
// Measured twice, one server each: with the API's in-memory tier (the default) and with every lookup in Redis.
// BENCH_API_SECONDS overrides the sustained duration (default 60); BENCH_API_PROFILE=1 writes the server's CPU
// profile to /tmp/apiprof (node --cpu-prof), to see where a request's time goes.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type Result } from 'autocannon';
import { startRedis } from '../test/helpers/redis.js';
import { buildOnce, CLI, median, record, timeProcess } from './util.js';

const CATEGORIES = Array.from({ length: 40 }, (_, i) => `category ${String(i).padStart(2, '0')}`);

function aggregateCsv(): string {
  const lines = ['day_of_week,hour_of_day,category,items_count'];
  for (let d = 0; d < 7; d++)
    for (let h = 0; h < 24; h++)
      CATEGORIES.forEach((c, k) => lines.push(`${d},${h},${c},${(d + 1) * (24 - Math.abs(h - 12)) + k}`));
  return lines.join('\n') + '\n';
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server at ${url} did not become ready`);
}

function run(url: string, seconds: number, connections: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    // Every request a different cached cell: day, hour and category cycle independently.
    let i = 0;
    const paths = Array.from({ length: 7 * 24 * CATEGORIES.length }, () => {
      const n = i++;
      return `/api/predictions/${n % 7}/${Math.floor(n / 7) % 24}/${encodeURIComponent(CATEGORIES[n % CATEGORIES.length])}`;
    });
    let k = 0;
    autocannon(
      {
        url,
        connections,
        duration: seconds,
        requests: [{ setupRequest: (req) => ({ ...req, path: paths[k++ % paths.length] }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

interface Mode {
  label: string;
  /** ORDERFLOW_LOCAL_CACHE_MS of the server. */
  localCacheMs: string;
}

// Side by side: the default (repeated cells answered from the API's memory, near-cache.ts) and every request
// going to Redis (ORDERFLOW_LOCAL_CACHE_MS=0), so the figure of the Redis path stays visible.
const MODES: Mode[] = [
  { label: 'memory → Redis tier (default)', localCacheMs: '5000' },
  { label: 'Redis only (ORDERFLOW_LOCAL_CACHE_MS=0)', localCacheMs: '0' },
];

interface RunningServer {
  url: string;
  stop: () => Promise<void>;
}

async function startServer(baseEnv: Record<string, string>, mode: Mode): Promise<RunningServer> {
  const port = 18000 + Math.floor(Math.random() * 2000);
  const env = { ...baseEnv, PORT: String(port), ORDERFLOW_LOCAL_CACHE_MS: mode.localCacheMs };
  const server = spawn(
    'node',
    [...(process.env.BENCH_API_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/apiprof'] : []), CLI, 'serve'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const stop = async (): Promise<void> => {
    server.kill('SIGTERM');
    if (server.exitCode === null) await new Promise((r) => server.once('exit', r));
  };
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url);
    const probe = (await (await fetch(`${url}/api/predictions/0/12/category%2001`)).json()) as {
      source: string;
    };
    if (probe.source !== 'cache') throw new Error(`expected cache hits, got source ${probe.source}`);
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const errorsOf = (r: Result): number => r.non2xx + r.errors + r.timeouts;

async function main(): Promise<void> {
  buildOnce();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-api-'));
  const redis = await startRedis();
  const env = {
    DATA_DIR: dir,
    REDIS_URL: redis.url,
    DATABASE_URL: '',
    LOG_LEVEL: 'warn',
    ORDERFLOW_ADMIN_PASSWORD: 'bench-password-123',
  };
  try {
    mkdirSync(path.join(dir, 'processed'), { recursive: true });
    writeFileSync(path.join(dir, 'processed', 'orders.csv'), aggregateCsv());
    timeProcess('node', [CLI, 'train', '--seed', '1'], env);
    timeProcess('node', [CLI, 'cache', 'refresh'], env);
    const all: Record<string, string> = {};
    const connections = Number(process.env.BENCH_API_CONNECTIONS ?? 10);
    const servers: RunningServer[] = [];
    try {
      // Both servers run at once and take turns under load, so a slow minute of this shared machine hits
      // both modes alike: the ratio of their medians is the figure to trust, more than any single run.
      for (const mode of MODES) servers.push(await startServer(env, mode));
      for (const server of servers) await run(server.url, 3, connections); // warm-up (JIT, connections)
      const rounds = Number(process.env.BENCH_API_ROUNDS ?? 5);
      const short: Result[][] = MODES.map(() => []);
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const m of order) short[m].push(await run(servers[m].url, 10, connections));
      }
      const sustainedSeconds = Number(process.env.BENCH_API_SECONDS ?? 60);
      const sustained: Result[] = [];
      for (const server of servers) sustained.push(await run(server.url, sustainedSeconds, connections));
      const medianRps = short.map((runs) => median(runs.map((x) => x.requests.average)));
      MODES.forEach((mode, m) => {
        const rps = short[m].map((x) => x.requests.average);
        const figures = {
          [`${mode.label}: 10 s runs, requests/s median (min–max) of ${rounds}`]: `${fmt(medianRps[m])} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))})`,
          [`${mode.label}: 10 s runs, latency p99 median / worst, max`]: `${median(short[m].map((x) => x.latency.p99))} / ${Math.max(...short[m].map((x) => x.latency.p99))} ms, ${Math.max(...short[m].map((x) => x.latency.max))} ms`,
          [`${mode.label}: ${sustainedSeconds} s sustained requests/s (mean)`]: fmt(
            sustained[m].requests.average,
          ),
          [`${mode.label}: ${sustainedSeconds} s sustained latency p50 / p99 / max`]: `${sustained[m].latency.p50} / ${sustained[m].latency.p99} / ${sustained[m].latency.max} ms`,
          [`${mode.label}: errors in all runs (non-2xx + errors + timeouts)`]: String(
            short[m].reduce((n, x) => n + errorsOf(x), errorsOf(sustained[m])),
          ),
        };
        for (const [k, v] of Object.entries(figures)) console.log(`${k}: ${v}`);
        Object.assign(all, figures);
      });
      const ratio = medianRps[0] / medianRps[1];
      all['memory tier vs Redis only, median requests/s'] = `${ratio.toFixed(2)}×`;
      console.log(`memory tier vs Redis only, median requests/s: ${ratio.toFixed(2)}×`);
    } finally {
      for (const server of servers) await server.stop();
    }
    all.setup = `${connections} connections, GET /api/predictions/:day/:hour/:category, every cell cached in Redis; ${7 * 24 * CATEGORIES.length} cells requested in turn`;
    console.log(`setup: ${all.setup}`);
    record('api', 'npm run bench:api', all);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
