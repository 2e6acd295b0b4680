// One measured run of the incremental DAG for bench/scale.ts: a fresh PostgreSQL database and Redis key prefix,
// N `orderflow worker --concurrency 1` processes (the built CLI, each with its own DATA_DIR, all reading the one
// landing directory), a manual trigger from this process, and the run's figures read back from the run history
// (dag_task_instances) and the part records (ingest_parts). Training and cache DAGs are paused so that the
// commit's data-aware trigger does not put a training job in the workers' queue.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/base/config.js';
import { createLogger } from '../src/base/log.js';
import { openPipelineRuntime } from '../src/app/pipeline-runtime.js';
import { CACHE_DAG, INCREMENTAL_DAG, TRAINING_DAG } from '../src/orchestration/pipeline-dags.js';
import { getRun, pauseDag, triggerDag, type TaskInstanceView } from '../src/orchestration/queries.js';
import { partsOfDagRuns, type PartRecord } from '../src/ingest/ledger/staged-parts.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import type { CpuMachine } from './cgroup.js';
import { CLI } from './util.js';

export interface ClusterRun {
  workers: number;
  /** ORDERFLOW_SCAN_THREADS of the workers; undefined: unset (one thread per core). */
  scanThreads: number | undefined;
  landing: string;
  redisUrl: string;
  /** A fresh directory; each worker gets a DATA_DIR under it. */
  work: string;
  /** One CPU group per worker (bench/cgroup.ts), or none: the workers share the machine's cores. */
  machines?: CpuMachine[];
}

export interface RunFigures {
  /** Trigger (this process) → success seen (polling every 25 ms). */
  wallMs: number;
  /** dag_runs created_at → ended_at. */
  runMs: number;
  discoverMs: number;
  /** The discover task's end → the aggregate task's end: enqueueing the flow, every child, the parent job. */
  aggregateSpanMs: number;
  commitMs: number;
  /** Of the commit: its start → the ledger transaction done (its 'ledger commit' log line). */
  ledgerMs: number;
  trackingMs: number;
  parts: PartRecord[];
  /** Parts per worker, in the order the workers were started (w1, w2, …). */
  partsPerWorker: number[];
}

const span = (t: TaskInstanceView | undefined): number =>
  t?.startedAt && t.endedAt ? Date.parse(t.endedAt) - Date.parse(t.startedAt) : NaN;

/**
 * How much CPU this machine gives `n` processes at once: MB of SHA-256 hashed in `ms` by n processes together.
 * Two processes on two idle cores hash twice what one does; other load on the machine shows as less.
 */
export async function hashCapacity(n: number, machines: CpuMachine[] = [], ms = 1500): Promise<number> {
  const script = `const c=require('crypto');const b=Buffer.alloc(1<<20,7);let n=0;const end=Date.now()+${ms};while(Date.now()<end){c.createHash('sha256').update(b).digest();n++}console.log(n)`;
  const counts = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<number>((resolve, reject) => {
          const child = spawn('node', ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
          if (machines[i]) machines[i].adopt(child.pid!);
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.once('exit', (code) =>
            code === 0 ? resolve(Number(out)) : reject(new Error(`exit ${code}`)),
          );
        }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Starts `orderflow worker` and resolves once it says it is running. */
async function startWorkerProcess(env: NodeJS.ProcessEnv, machine?: CpuMachine): Promise<ChildProcess> {
  const child = spawn('node', [CLI, 'worker', '--concurrency', '1'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Into its machine at once, so that its start-up, too, runs on the machine's budget.
  machine?.adopt(child.pid!);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('worker running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it ran:\n${stderr}`)));
  });
  return child;
}

async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** The environment of a child process: this one's, minus anything naming shared servers or thread counts. */
function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'REDIS_KEY_PREFIX', 'ORDERFLOW_SCAN_THREADS', 'DATA_DIR'])
    delete env[name];
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

let prefixes = 0;

/** One incremental run over everything in `landing`, on a fresh database: its figures. */
export async function measureRun(options: ClusterRun): Promise<RunFigures> {
  const database = await createTestDatabase();
  const shared = {
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: `scale${++prefixes}:`,
    DATABASE_URL: database.url,
    ORDERFLOW_LANDING: options.landing,
    ORDERFLOW_SCAN_THREADS: options.scanThreads === undefined ? undefined : String(options.scanThreads),
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(childEnv({ ...shared, DATA_DIR: path.join(options.work, 'trigger') }));
  const rt = await openPipelineRuntime(config, createLogger('silent'));
  const workers: ChildProcess[] = [];
  try {
    await pauseDag(rt, TRAINING_DAG);
    await pauseDag(rt, CACHE_DAG);
    workers.push(
      ...(await Promise.all(
        Array.from({ length: options.workers }, (_, i) =>
          startWorkerProcess(
            childEnv({ ...shared, DATA_DIR: path.join(options.work, `w${i + 1}`) }),
            options.machines?.[i],
          ),
        ),
      )),
    );
    const started = performance.now();
    const created = await triggerDag(rt, INCREMENTAL_DAG);
    if (created.outcome !== 'created') throw new Error(`trigger: ${created.outcome}`);
    for (;;) {
      const run = await getRun(rt, created.runId, { logs: false });
      if (run.state === 'failed') throw new Error(`run ${run.id} failed: ${run.note ?? ''}`);
      if (run.state === 'success') break;
      await sleep(25);
    }
    const wallMs = performance.now() - started;
    const run = await getRun(rt, created.runId);
    const task = (id: string) => run.tasks.filter((t) => t.taskId === id).at(-1);
    const discover = task('discover_files');
    const aggregate = task('aggregate');
    const commit = task('commit');
    const ledgerLine = commit?.logs?.find((l) => l.message === 'ledger commit');
    const parts = await partsOfDagRuns(rt.db, [run.id]);
    const names = workers.map((w) => `:${w.pid}`);
    return {
      wallMs,
      runMs: Date.parse(run.endedAt ?? '') - Date.parse(run.createdAt),
      discoverMs: span(discover),
      aggregateSpanMs: Date.parse(aggregate?.endedAt ?? '') - Date.parse(discover?.endedAt ?? ''),
      commitMs: span(commit),
      ledgerMs: Date.parse(ledgerLine?.time ?? '') - Date.parse(commit?.startedAt ?? ''),
      trackingMs: span(task('update_tracking')),
      parts,
      partsPerWorker: names.map((n) => parts.filter((p) => p.worker?.endsWith(n)).length),
    };
  } finally {
    await Promise.all(workers.map(stopWorkerProcess));
    await rt.close();
    await database.drop();
  }
}
