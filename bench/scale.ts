// npm run bench:scale — does the incremental DAG go faster with more worker processes, and what does each child
// job cost? 20 landed files of 100k orders (~28 MB each, one part each) are processed by the incremental DAG on
// 1 and on 2 `orderflow worker --concurrency 1` processes (separate OS processes, each with its own DATA_DIR,
// one shared landing directory, a private redis-server and a fresh PostgreSQL database per run), with
// ORDERFLOW_SCAN_THREADS=1 (each worker one core, like one-core machines), with BENCH_SCALE_UNSET=1 also unset
// (one thread per core). The configurations alternate run by run so that the machine's noise hits them alike;
// each figure is the median of the repeats. Then 20 tiny files on 1 worker give the fixed cost of a child job.
//
//   BENCH_SCALE_FILES=20 BENCH_SCALE_ORDERS=100000 BENCH_SCALE_REPEATS=2 npm run bench:scale
//   BENCH_SCALE_UNSET=1 npm run bench:scale   (also ORDERFLOW_SCAN_THREADS unset: ~7 min instead of ~4)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedis } from '../test/helpers/redis.js';
import { hashCapacity, measureRun, type RunFigures } from './scale-cluster.js';
import { buildOnce, generatedOrders, median, OUT, record } from './util.js';

const FILES = Number(process.env.BENCH_SCALE_FILES ?? 20);
const ORDERS = Number(process.env.BENCH_SCALE_ORDERS ?? 100_000);
const REPEATS = Number(process.env.BENCH_SCALE_REPEATS ?? 2);
const WITH_UNSET = process.env.BENCH_SCALE_UNSET === '1';
const TINY_ORDERS = 20;

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

interface Config {
  label: string;
  workers: number;
  scanThreads: number | undefined;
  landing: string;
}
const configs: Config[] = [
  { label: 'threads=1, 1 worker', workers: 1, scanThreads: 1, landing: big },
  { label: 'threads=1, 2 workers', workers: 2, scanThreads: 1, landing: big },
  ...(WITH_UNSET
    ? [
        { label: 'threads unset, 1 worker', workers: 1, scanThreads: undefined, landing: big },
        { label: 'threads unset, 2 workers', workers: 2, scanThreads: undefined, landing: big },
      ]
    : []),
  { label: `tiny files, 1 worker`, workers: 1, scanThreads: 1, landing: tiny },
  { label: `tiny files, 2 workers`, workers: 2, scanThreads: 1, landing: tiny },
];
const runs = new Map<string, RunFigures[]>(configs.map((c) => [c.label, []]));
// What the machine can give two processes at this moment (other sessions share it): the control for the ratios.
const capacity: number[] = [];
try {
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    capacity.push((await hashCapacity(2)) / (await hashCapacity(1)));
    for (const c of configs) {
      const figures = await measureRun({ ...c, redisUrl: redis.url, work: path.join(work, `${repeat}`) });
      runs.get(c.label)!.push(figures);
      console.error(`  repeat ${repeat + 1}: ${c.label}: ${(figures.wallMs / 1000).toFixed(2)} s`);
    }
  }
} finally {
  await redis.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const med = (label: string, of: (r: RunFigures) => number): number => median(runs.get(label)!.map(of));
const partMs = (r: RunFigures): number => sum(r.parts.map((p) => p.durationMs ?? 0));
const orders = (r: RunFigures): number => sum(r.parts.map((p) => p.orders ?? 0));
const bytes = (r: RunFigures): number => sum(r.parts.map((p) => p.bytes));
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const header = [
  'configuration',
  'wall',
  'orders/s',
  'MB/s',
  'discover',
  'aggregate',
  'commit (ledger tx)',
  'tracking',
  'scan MB/s/part',
  'parts per worker (each run)',
];
const rows: string[][] = [];
const figures: Record<string, string> = {
  setup: `${FILES} files × ${ORDERS.toLocaleString('en-US')} orders (${(bytes(runs.get(configs[0].label)![0]) / 1e6).toFixed(0)} MB), one part each; workers = separate \`orderflow worker --concurrency 1\` processes; medians of ${REPEATS} runs`,
};
for (const c of configs) {
  const wall = med(c.label, (r) => r.wallMs);
  const row = [
    c.label,
    s(wall),
    Math.round(med(c.label, (r) => orders(r) / (r.wallMs / 1000))).toLocaleString('en-US'),
    med(c.label, (r) => bytes(r) / 1e6 / (r.wallMs / 1000)).toFixed(1),
    s(med(c.label, (r) => r.discoverMs)),
    s(med(c.label, (r) => r.aggregateSpanMs)),
    `${s(med(c.label, (r) => r.commitMs))} (${s(med(c.label, (r) => r.ledgerMs))})`,
    s(med(c.label, (r) => r.trackingMs)),
    med(c.label, (r) => bytes(r) / 1e6 / (partMs(r) / 1000)).toFixed(0),
    runs
      .get(c.label)!
      .map((r) => r.partsPerWorker.join('+'))
      .join(', '),
  ];
  rows.push(row);
  figures[c.label] =
    `wall ${row[1]}, ${row[2]} orders/s, ${row[3]} MB/s; discover ${row[4]}, aggregate ${row[5]}, commit ${row[6]}, tracking ${row[7]}; parts per worker ${row[9]}`;
}

// Speed-up: the ratio of the medians, and the median of the per-repeat ratios (the runs side by side).
const speedups: string[] = [];
for (const threads of ['threads=1', 'threads unset']) {
  const one = runs.get(`${threads}, 1 worker`);
  const two = runs.get(`${threads}, 2 workers`);
  if (!one || !two) continue;
  const perRepeat = one.map((r, i) => r.wallMs / two[i].wallMs);
  const aggregate = one.map((r, i) => r.aggregateSpanMs / two[i].aggregateSpanMs);
  const line = `2 workers vs 1: ${median(perRepeat).toFixed(2)}× the throughput (per repeat: ${perRepeat.map((x) => x.toFixed(2)).join(', ')}); aggregate task alone ${median(aggregate).toFixed(2)}×`;
  speedups.push(`${threads}: ${line}`);
  figures[`${threads}: speed-up`] = line;
}

// Fixed cost per child job, from the tiny-file runs on one worker (children run one after another):
// (aggregate span − Σ part read times) / parts.
const tinyLabel = 'tiny files, 1 worker';
const perChild = (r: RunFigures): number => (r.aggregateSpanMs - partMs(r)) / r.parts.length;
const readPerPart = (r: RunFigures): number => partMs(r) / r.parts.length;
const fixed = `${med(tinyLabel, perChild).toFixed(1)} ms per child job (plus ${med(tinyLabel, readPerPart).toFixed(1)} ms reading a ${TINY_ORDERS}-order part)`;
figures['fixed cost per child job (1 worker)'] = fixed;
const fixed2 = `${med('tiny files, 2 workers', (r) => r.aggregateSpanMs).toFixed(0)} ms aggregate span for ${FILES} tiny parts vs ${med(tinyLabel, (r) => r.aggregateSpanMs).toFixed(0)} ms on 1 worker`;
figures['tiny files: aggregate span, 2 workers vs 1'] = fixed2;

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(
  `${figures.setup}\n` +
    `ORDERFLOW_SCAN_THREADS=1: each worker scans on one core (as on one-core machines); this machine has ${os.cpus().length} cores.\n` +
    `wall = trigger → run success seen; throughput = orders (MB) of the run / wall; aggregate = discover's end → aggregate's end;\n` +
    `commit (ledger tx) = the commit task (of it, the one PostgreSQL transaction);
scan MB/s/part = bytes / Σ part read times (ingest_parts started → ended). Landing: local directory, files in the page cache.\n`,
);
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log();
for (const l of speedups) console.log(l);
const control = `2 processes hashing side by side did ${median(capacity).toFixed(2)}× the work of 1 (per repeat: ${capacity.map((x) => x.toFixed(2)).join(', ')}; 2.00 = two free cores)`;
figures['control: CPU the machine gave 2 processes vs 1'] = control;
console.log(`control: ${control}`);
console.log(
  `fixed cost per child job = (aggregate span − Σ part read times) / parts, ${FILES} files of ${TINY_ORDERS} orders on 1 worker:\n` +
    `  ${fixed}\n  (queue pick-up, run-history and part bookkeeping, BullMQ completion and the parent job, per child)\n` +
    `  ${fixed2}`,
);
record('scale', 'npm run bench:scale', figures);
