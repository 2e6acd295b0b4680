// npm run bench:failover — orderflow through a Redis failover. The script starts a primary, one replica and
// three sentinels on loopback ports (down-after-milliseconds 1000, quorum 2), then the whole pipeline in this
// process as `orderflow up` runs it (scheduler with the real DAG schedules, worker, API) on PostgreSQL, with every
// Redis connection made through the sentinels. Load on GET /api/predictions/… (8 clients, ~100 requests/s each);
// SIGKILL to the primary, and a new day file lands at the same moment; load and schedules go on for 25 s. Reported, per round and as median / max:
// requests failed (target 0), kill → +switch-master, kill → predictions from the cache again, kill → the next
// successful incremental run, kill → the landed file committed, and DAG runs lost (never ended) or duplicated
// (two runs for one tick) (target 0).
//
//   BENCH_FAILOVER_ROUNDS=3  BENCH_DOWN_AFTER_MS=1000  npm run bench:failover
import path from 'node:path';
import { loadConfig } from '../src/base/config.js';
import { createLogger } from '../src/base/log.js';
import { startPipelineProcess } from '../src/app/pipeline-process.js';
import { INCREMENTAL_DAG, PIPELINE_DAG_IDS } from '../src/orchestration/pipeline-dags.js';
import type { RunRow } from '../src/orchestration/run-store.js';
import { Ledger } from '../src/ingest/ledger/ledger.js';
import { deliverBatch } from '../src/ingest/landing/simulate.js';
import { runCli } from '../test/helpers/cli.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { startSentinels } from '../test/helpers/sentinel.js';
import { tempDir } from '../test/helpers/tmp.js';
import { runsOf } from '../test/orchestration/harness.js';
import { waitFor } from '../test/helpers/wait.js';
import { median, record } from './util.js';

const ROUNDS = Number(process.env.BENCH_FAILOVER_ROUNDS ?? 3);
const DOWN_AFTER_MS = Number(process.env.BENCH_DOWN_AFTER_MS ?? 1000);
const CLIENTS = 8;
/** How long after the kill the load and the schedules go on before the runs are counted. */
const OBSERVE_MS = 25_000;
const CATEGORIES = ['fresh fruits', 'yogurt', 'milk', 'packaged cheese', 'fresh vegetables'];

interface Round {
  requests: number;
  failed: number;
  switchMs: number;
  cacheAgainMs: number;
  incrementalMs: number;
  landedCommittedMs: number;
  runs: number;
  lost: number;
  duplicated: number;
  failedRuns: number;
}

interface Answer {
  at: number;
  ok: boolean;
  source?: string;
}

/** CLIENTS loops of request → 10 ms pause (pacing the load, ~100 requests/s each) until stopped. */
function startLoad(url: string): { answers: Answer[]; stop(): Promise<void> } {
  const answers: Answer[] = [];
  let running = true;
  const client = async (k: number): Promise<void> => {
    for (let i = k; running; i += CLIENTS) {
      const cell = `${i % 7}/${(i * 5) % 24}/${encodeURIComponent(CATEGORIES[i % CATEGORIES.length])}`;
      try {
        const res = await fetch(`${url}/api/predictions/${cell}`);
        const body = (await res.json()) as { source?: string };
        answers.push({ at: Date.now(), ok: res.ok, source: body.source });
      } catch {
        answers.push({ at: Date.now(), ok: false });
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, k) => client(k));
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(clients);
    },
  };
}

async function round(n: number, source: string): Promise<Round> {
  const deployment = await startSentinels({
    downAfterMs: DOWN_AFTER_MS,
    failoverTimeoutMs: 3 * DOWN_AFTER_MS,
  });
  const database = await createTestDatabase();
  const dir = await tempDir('orderflow-bench-failover-');
  const logger = createLogger('silent');
  const config = loadConfig({
    DATA_DIR: dir.path,
    DATABASE_URL: database.url,
    ...deployment.env,
    PORT: '0',
    LOG_LEVEL: 'silent',
    ORDERFLOW_ADMIN_PASSWORD: 'bench-failover-password',
  });
  const land = (day: number) =>
    deliverBatch(path.join(source, String(day)), path.join(config.paths.incrementalRawDir, String(day)));
  for (let day = 0; day < 6; day++) await land(day);
  const proc = await startPipelineProcess(config, logger, { concurrency: 2, http: true, announce: () => {} });
  const db = proc.runtime.db;
  try {
    const url = proc.server!.url;
    await waitFor(
      'the first cached prediction',
      async () => {
        const res = await fetch(`${url}/api/predictions/0/9/milk`).catch(() => undefined);
        return res?.ok && ((await res.json()) as { source: string }).source === 'cache';
      },
      60_000,
    );
    const load = startLoad(url);
    await waitFor('a few hundred answers before the kill', async () => load.answers.length >= 300, 30_000);

    const switched = await deployment.listenForSwitch();
    const killedAt = Date.now();
    await deployment.primary.kill();
    await land(6);
    const switchMs = (await switched.next(60_000), Date.now() - killedAt);
    const cacheAgainAt = await waitFor(
      'predictions from the cache again',
      async () => load.answers.find((a) => a.at > killedAt + switchMs && a.source === 'cache')?.at,
      60_000,
    );
    const incremental = await waitFor(
      'a successful incremental run created after the kill',
      async () =>
        (await runsOf(db, INCREMENTAL_DAG))
          .filter((r) => r.created_at.getTime() > killedAt && r.state === 'success')
          .sort((a, b) => a.ended_at!.getTime() - b.ended_at!.getTime())[0],
      60_000,
    );
    const ledger = new Ledger(db);
    const committedAt = await waitFor(
      'the file landed during the failover committed',
      async () => (await ledger.committedBatches()).includes('6') && Date.now(),
      60_000,
    );
    // Keep serving and ticking for a while after the failover, so the runs counted span several DAG cycles.
    const observeUntil = killedAt + OBSERVE_MS;
    if (Date.now() < observeUntil)
      await new Promise((resolve) => setTimeout(resolve, observeUntil - Date.now()));
    await load.stop();

    // No new ticks; every run must end by itself (a run stuck queued/running after 60 s counts as lost).
    const scheduler = proc.handles.at(-1)!;
    await scheduler.close();
    const ended = (r: RunRow): boolean => r.state !== 'queued' && r.state !== 'running';
    let runs: RunRow[] = [];
    await waitFor(
      'every run to end',
      async () =>
        (runs = (await Promise.all(PIPELINE_DAG_IDS.map((id) => runsOf(db, id)))).flat()).every(ended),
      60_000,
    ).catch(() => undefined);
    const ticks = runs
      .filter((r) => r.trigger === 'schedule')
      .map((r) => `${r.dag_id}@${r.planned_at.getTime()}`);
    const result: Round = {
      requests: load.answers.length,
      failed: load.answers.filter((a) => !a.ok).length,
      switchMs,
      cacheAgainMs: cacheAgainAt - killedAt,
      incrementalMs: incremental.ended_at!.getTime() - killedAt,
      landedCommittedMs: committedAt - killedAt,
      runs: runs.length,
      lost: runs.filter((r) => !ended(r)).length,
      duplicated: ticks.length - new Set(ticks).size,
      failedRuns: runs.filter((r) => r.state === 'failed').length,
    };
    console.log(`round ${n}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    for (const handle of proc.handles.reverse()) await handle.close().catch(() => {});
    await deployment.stop();
    await database.drop();
    await dir.remove();
  }
}

const data = await tempDir('orderflow-bench-failover-data-');
await runCli(['--data-dir', data.path, 'generate', '--orders', '5000']);
await runCli(['--data-dir', data.path, 'split']);
const rounds: Round[] = [];
for (let n = 1; n <= ROUNDS; n++) rounds.push(await round(n, path.join(data.path, 'raw')));
await data.remove();

const sum = (f: (r: Round) => number): number => rounds.reduce((s, r) => s + f(r), 0);
const ms = (f: (r: Round) => number): string =>
  `${median(rounds.map(f)).toFixed(0)} ms / ${Math.max(...rounds.map(f)).toFixed(0)} ms`;
const figures: Record<string, string> = {
  setup: `${ROUNDS} rounds; primary + 1 replica + 3 sentinels (quorum 2, down-after-milliseconds ${DOWN_AFTER_MS}) on loopback; scheduler, worker and API in one process on PostgreSQL; ${CLIENTS} clients on GET /api/predictions; SIGKILL to the primary while a day file lands; load and schedules go on ${OBSERVE_MS / 1000} s after the kill`,
  'prediction requests failed (target 0)': `${sum((r) => r.failed)} of ${sum((r) => r.requests)}`,
  'kill → +switch-master, median / max': ms((r) => r.switchMs),
  'kill → predictions from the cache again, median / max': ms((r) => r.cacheAgainMs),
  'kill → next successful incremental run ended, median / max': ms((r) => r.incrementalMs),
  'kill → file landed at the kill committed, median / max': ms((r) => r.landedCommittedMs),
  'DAG runs lost (never ended) / duplicated (two for one tick) (target 0)': `${sum((r) => r.lost)} / ${sum((r) => r.duplicated)} of ${sum((r) => r.runs)} runs`,
  'DAG runs ended failed': `${sum((r) => r.failedRuns)}`,
};
for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(72)} ${v}`);
// Runs with another detection time keep their own rows next to the default's.
const name = DOWN_AFTER_MS === 1000 ? 'failover' : `failover (down-after ${DOWN_AFTER_MS} ms)`;
const command =
  DOWN_AFTER_MS === 1000
    ? 'npm run bench:failover'
    : `BENCH_DOWN_AFTER_MS=${DOWN_AFTER_MS} npm run bench:failover`;
record(name, command, figures);
