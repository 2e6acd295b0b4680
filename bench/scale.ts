// npm run bench:scale — does the incremental DAG scale with machines, and how close is it to the batch aggregate?
// 20 landed files of 100k orders (~28 MB each) are processed by the incremental DAG on `orderflow worker
// --concurrency 1` processes (separate OS processes, each with its own DATA_DIR, one shared landing directory, a
// private redis-server and a fresh PostgreSQL database per run), each with ORDERFLOW_SCAN_THREADS=1:
//
// - "machines": 1, 2 and 3 workers, each in a cgroup CPU group of its own with a quota of BENCH_SCALE_CORES
//   (0.4) of a core (bench/cgroup.ts), so that three machines fit beside PostgreSQL, Redis and this process (the
//   scheduler) on this 2-core box. The control: as many busy loops under the same quotas, whose work shows what
//   the quotas allow (the ideal speed-up);
// - one worker without a quota, beside `orderflow aggregate` over the same 20 files with the same one scan thread
//   (and with the default threads): the batch path is the ceiling the incremental run is measured against;
// - 20 tiny files on one worker (no quota): the fixed cost of a part (a child job).
//
// The configurations alternate run by run so that the machine's noise hits them alike; figures are medians.
//
//   BENCH_SCALE_FILES=20 BENCH_SCALE_ORDERS=100000 BENCH_SCALE_REPEATS=2 BENCH_SCALE_CORES=0.4 npm run bench:scale
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedis } from '../test/helpers/redis.js';
import { cpuMachine, cpuQuotasAvailable, type CpuMachine } from './cgroup.js';
import { hashCapacity, measureRun, type RunFigures } from './scale-cluster.js';
import { buildOnce, CLI, generatedOrders, median, OUT, record, timeProcess } from './util.js';

const FILES = Number(process.env.BENCH_SCALE_FILES ?? 20);
const ORDERS = Number(process.env.BENCH_SCALE_ORDERS ?? 100_000);
const REPEATS = Number(process.env.BENCH_SCALE_REPEATS ?? 2);
const CORES = Number(process.env.BENCH_SCALE_CORES ?? 0.4);
const TINY_ORDERS = 20;

if (!cpuQuotasAvailable())
  throw new Error('bench:scale needs root and cgroup v1 CPU quotas (/sys/fs/cgroup/cpu): run it as root');

/** A landing directory of `FILES` generated files of `orders` orders (hard links into bench/out, made once). */
function landingOf(orders: number): string {
  const dir = path.join(OUT, `scale-landing-${FILES}x${orders}`);
  for (let i = 0; i < FILES; i++) {
    const file = path.join(dir, String(i % 7), `orders-${i}.csv`);
    if (fs.existsSync(file)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.linkSync(generatedOrders(orders, 1000 + i), file);
  }
  return dir;
}

buildOnce();
const big = landingOf(ORDERS);
const tiny = landingOf(TINY_ORDERS);
const redis = await startRedis();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-scale-'));
const machines: CpuMachine[] = [1, 2, 3].map((i) => cpuMachine(`m${i}`, CORES));

interface RunConfig {
  label: string;
  workers: number;
  quota: boolean;
  landing: string;
}
const quotaLabel = (n: number) => `${n} machine${n > 1 ? 's' : ''} of ${CORES} core`;
const configs: RunConfig[] = [
  ...[1, 2, 3].map((n) => ({ label: quotaLabel(n), workers: n, quota: true, landing: big })),
  { label: '1 worker, no quota', workers: 1, quota: false, landing: big },
  { label: 'tiny files, 1 worker', workers: 1, quota: false, landing: tiny },
];
const runs = new Map<string, RunFigures[]>(configs.map((c) => [c.label, []]));
const control = new Map<number, number[]>([1, 2, 3].map((n) => [n, []]));
const aggregateMs = { oneThread: [] as number[], defaultThreads: [] as number[] };

/** `orderflow aggregate` over the same files, a whole process (start, scan, CSV + Parquet outputs). */
function batchAggregate(threads: string | undefined): number {
  const env: Record<string, string> = { DATA_DIR: path.join(work, 'aggregate'), LOG_LEVEL: 'warn' };
  if (threads) env.ORDERFLOW_SCAN_THREADS = threads;
  else delete process.env.ORDERFLOW_SCAN_THREADS;
  return timeProcess('node', [CLI, 'aggregate', '--input', `${big}/*/orders-*.csv`], env).ms;
}

try {
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const one = await hashCapacity(1, machines.slice(0, 1));
    for (const n of [1, 2, 3])
      control.get(n)!.push((n === 1 ? one : await hashCapacity(n, machines.slice(0, n))) / one);
    aggregateMs.oneThread.push(batchAggregate('1'));
    aggregateMs.defaultThreads.push(batchAggregate(undefined));
    for (const c of configs) {
      const figures = await measureRun({
        workers: c.workers,
        scanThreads: 1,
        landing: c.landing,
        redisUrl: redis.url,
        work: path.join(work, `${repeat}`),
        machines: c.quota ? machines : undefined,
      });
      runs.get(c.label)!.push(figures);
      console.error(`  repeat ${repeat + 1}: ${c.label}: ${(figures.wallMs / 1000).toFixed(2)} s`);
    }
  }
} finally {
  await redis.stop();
  for (const m of machines) m.remove();
  fs.rmSync(work, { recursive: true, force: true });
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const med = (label: string, of: (r: RunFigures) => number): number => median(runs.get(label)!.map(of));
const partMs = (r: RunFigures): number => sum(r.parts.map((p) => p.durationMs ?? 0));
const bytes = (r: RunFigures): number => sum(r.parts.map((p) => p.bytes));
/** Plan + commit + tracking: the tasks that run once per run, whatever the number of workers. */
const serialMs = (r: RunFigures): number => r.discoverMs + r.commitMs + r.trackingMs;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const totalBytes = bytes(runs.get(configs[0].label)![0]);
const mbps = (ms: number): number => totalBytes / 1e6 / (ms / 1000);

const header = [
  'configuration',
  'wall',
  'MB/s',
  'discover',
  'aggregate',
  'commit (ledger tx)',
  'tracking',
  'serial share',
  'parts per worker',
];
const rows: string[][] = [];
const figures: Record<string, string> = {
  setup:
    `${FILES} files × ${ORDERS.toLocaleString('en-US')} orders (${(totalBytes / 1e6).toFixed(0)} MB); workers = separate ` +
    `\`orderflow worker --concurrency 1\` processes with ORDERFLOW_SCAN_THREADS=1; machines = one cgroup CPU quota of ` +
    `${CORES} core each; medians of ${REPEATS} runs`,
};
for (const c of configs.filter((x) => x.landing === big)) {
  const row = [
    c.label,
    s(med(c.label, (r) => r.wallMs)),
    med(c.label, (r) => mbps(r.wallMs)).toFixed(1),
    s(med(c.label, (r) => r.discoverMs)),
    s(med(c.label, (r) => r.aggregateSpanMs)),
    `${s(med(c.label, (r) => r.commitMs))} (${s(med(c.label, (r) => r.ledgerMs))})`,
    s(med(c.label, (r) => r.trackingMs)),
    `${(100 * med(c.label, (r) => serialMs(r) / r.wallMs)).toFixed(1)} %`,
    runs
      .get(c.label)!
      .map((r) => r.partsPerWorker.join('+'))
      .join(', '),
  ];
  rows.push(row);
  figures[c.label] =
    `wall ${row[1]}, ${row[2]} MB/s; discover ${row[3]}, aggregate ${row[4]}, commit ${row[5]}, tracking ${row[6]}; ` +
    `serial (plan + commit + tracking) ${row[7]} of the run; parts per worker ${row[8]}`;
}

// Speed-ups: the median of the per-repeat ratios (each repeat's runs side by side), against the control.
const speedups: string[] = [];
for (const n of [2, 3]) {
  const one = runs.get(quotaLabel(1))!;
  const many = runs.get(quotaLabel(n))!;
  const perRepeat = one.map((r, i) => r.wallMs / many[i].wallMs);
  const line =
    `${median(perRepeat).toFixed(2)}× one machine's throughput (per repeat: ${perRepeat.map((x) => x.toFixed(2)).join(', ')}); ` +
    `control: ${n} busy loops under the same quotas did ${median(control.get(n)!).toFixed(2)}× one`;
  speedups.push(`${n} machines: ${line}`);
  figures[`${n} machines vs 1: speed-up`] = line;
}

const oneWorker = runs.get('1 worker, no quota')!;
const vsAggregate = oneWorker.map((r, i) => aggregateMs.oneThread[i] / r.wallMs);
const ceiling =
  `orderflow aggregate over the same files: ${s(median(aggregateMs.oneThread))} (${mbps(median(aggregateMs.oneThread)).toFixed(1)} MB/s) with ` +
  `ORDERFLOW_SCAN_THREADS=1, ${s(median(aggregateMs.defaultThreads))} (${mbps(median(aggregateMs.defaultThreads)).toFixed(1)} MB/s) with the ` +
  `default threads; the incremental run on 1 worker (no quota, 1 thread) reaches ${(100 * median(vsAggregate)).toFixed(0)} % of the ` +
  `1-thread aggregate's throughput (per repeat: ${vsAggregate.map((x) => `${(100 * x).toFixed(0)} %`).join(', ')})`;
figures['ceiling: the batch aggregate, same files, same run'] = ceiling;

// Fixed cost per part, from the tiny-file runs on one worker (children run one after another):
// (aggregate span − Σ part read times) / parts.
const tinyLabel = 'tiny files, 1 worker';
const perChild = (r: RunFigures): number => (r.aggregateSpanMs - partMs(r)) / r.parts.length;
const readPerPart = (r: RunFigures): number => partMs(r) / r.parts.length;
const fixed = `${med(tinyLabel, perChild).toFixed(1)} ms per part (plus ${med(tinyLabel, readPerPart).toFixed(1)} ms reading a ${TINY_ORDERS}-order part); ${FILES} tiny files, 1 worker, no quota`;
figures['fixed cost per part (child job)'] = fixed;

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(
  `${figures.setup}\n` +
    `wall = trigger → run success seen; MB/s = bytes of the run / wall; aggregate = discover's end → aggregate's end;\n` +
    `commit (ledger tx) = the commit task (of it, up to the ledger transaction done); serial share = (discover + commit + tracking) / wall.\n`,
);
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log();
for (const l of speedups) console.log(l);
console.log(ceiling);
console.log(`fixed cost per part = (aggregate span − Σ part read times) / parts: ${fixed}`);
record('scale', 'npm run bench:scale', figures);
