// npm run bench:models — demand models judged on held-out ORDERS, real orders first (models-real.ts: K-fold over
// order folds of the shared real file, every candidate and every peer on the same folds), then at 5k, 50k and
// 500k generated orders: every
// orderflow learner and, when the peers' Python set-up exists, scikit-learn RandomForest / DecisionTree / Ridge and
// LightGBM (default and Poisson objective) from bench/peers/order_split_quality.py on the very same orders file
// and the same split (md5(order_id)[0] mod 5 == 0 held out), each against the noise floor, with training times and
// the coverage of orderflow's 10–90 % intervals on the held-out cells.
// Generated: candidates are chosen by 5-fold over order buckets and reported on bucket 0, as `train` does.
// Flags: --sizes 5000,50000 (default 5000,50000,500000; `none` skips them), --real FILE (default
// /work/shared/data/real-orders-train.csv; skipped when absent), --choices (only the checks behind the model
// settings, models-choices.ts). PEERS_PYTHON (default ~/peers/bin/python).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildTrainingSet } from '../src/ml/dataset.js';
import { dispersionOf, intervalCoverage } from '../src/ml/intervals.js';
import { evaluateByOrders, withDispersion } from '../src/ml/order-evaluation.js';
import { readOrderHoldout } from '../src/ml/order-holdout.js';
import { formatTable } from '../src/ml/report.js';
import { readTrainingInputs } from '../src/ml/training-inputs.js';
import { aggregateOrders } from '../src/ingest/aggregate.js';
import { modelChoices } from './models-choices.js';
import { realFigures, realSection } from './models-real.js';
import { generatedOrders, OUT, record } from './util.js';

const args = process.argv.slice(2);
const sizesFlag = args.includes('--sizes') ? args[args.indexOf('--sizes') + 1] : '5000,50000,500000';
const sizes = sizesFlag === 'none' ? [] : sizesFlag.split(',').map(Number);
const REAL = args.includes('--real')
  ? args[args.indexOf('--real') + 1]
  : '/work/shared/data/real-orders-train.csv';
const PEERS_PYTHON = process.env.PEERS_PYTHON ?? path.join(os.homedir(), 'peers', 'bin', 'python');
const PEER_SCRIPT = path.join(import.meta.dirname, 'peers', 'order_split_quality.py');

interface Row {
  model: string;
  rmse: number;
  trainMs: number | null;
}

function peers(ordersCsv: string): { rows: Row[]; floor: number } | null {
  if (!fs.existsSync(PEERS_PYTHON)) return null;
  const run = spawnSync(PEERS_PYTHON, [PEER_SCRIPT, ordersCsv], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`peer script failed: ${run.stderr}`);
  const rows: Row[] = [];
  let floor = Number.NaN;
  for (const line of run.stdout.split('\n')) {
    const f = /^noise floor ([\d.]+)/.exec(line);
    if (f) floor = Number(f[1]);
    const m = /^(index|one-hot)\s+(\S+)\s+rmse ([\d.]+) train_ms (\d+)/.exec(line);
    if (m) rows.push({ model: `sklearn/lgbm ${m[2]} (${m[1]})`, rmse: Number(m[3]), trainMs: Number(m[4]) });
    const i = /^independence \(d\*h x c\)\s+rmse ([\d.]+)/.exec(line);
    if (i) rows.push({ model: 'peer independence (d*h × c)', rmse: Number(i[1]), trainMs: null });
  }
  return { rows, floor };
}

if (args.includes('--choices')) {
  const { figures: f, lines } = modelChoices(REAL);
  for (const line of lines) console.log(line);
  record('model-choices', 'npm run bench:models -- --choices', f);
  process.exit(0);
}

const summary: string[][] = [];
const figures: Record<string, string> = {};
if (fs.existsSync(REAL)) {
  const realTable: string[][] = [];
  for (const byte of [0, 1]) {
    const section = realSection(REAL, byte, fs.existsSync(PEERS_PYTHON) ? PEERS_PYTHON : null);
    const { figures: f, table } = realFigures(section);
    Object.assign(figures, f);
    realTable.push(...table);
    console.log(`real, folds ${section.rule}: chosen ${section.chosen}`);
  }
  for (const line of formatTable(['folds', 'model', 'mean RMSE ± sd', '− floor', 'train ms'], realTable))
    console.log(line);
} else figures['real orders'] = `not run (no ${REAL})`;
for (const orders of sizes) {
  const ordersCsv = generatedOrders(orders, 42);
  const dir = path.join(OUT, `models-${orders}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const csvPath = path.join(dir, 'orders.csv');
  await aggregateOrders({
    files: [ordersCsv],
    csvPath,
    parquetDir: path.join(dir, 'parquet'),
    quarantineDir: path.join(dir, 'quarantine'),
    dataDir: dir,
    strict: false,
  });
  const set = buildTrainingSet(await readTrainingInputs([csvPath]), 'grid');
  const { holdout, reason } = await readOrderHoldout([csvPath], set);
  if (!holdout) throw new Error(reason);
  const ev = evaluateByOrders(
    set,
    holdout,
    withDispersion({ split: 'random', folds: 5, seed: 42 }, dispersionOf(holdout)),
  );
  const floor = ev.orders!.noiseFloor;
  const coverage = intervalCoverage(ev, holdout);
  const rows: Row[] = ev.candidates.map((c) => ({
    model: `orderflow ${c.label}`,
    rmse: c.holdout.rmse,
    trainMs: c.trainMs,
  }));
  const peer = peers(ordersCsv);
  if (peer) rows.push(...peer.rows);
  const label = `${orders / 1000}k`;
  for (const r of rows) {
    summary.push([
      label,
      r.model,
      r.rmse.toFixed(4),
      floor.toFixed(4),
      (r.rmse - floor).toFixed(4),
      r.trainMs === null ? '-' : r.trainMs.toFixed(0),
    ]);
    figures[`${label} orders: ${r.model} — RMSE / RMSE − floor / train ms`] =
      `${r.rmse.toFixed(4)} / ${(r.rmse - floor).toFixed(4)} / ${r.trainMs === null ? '-' : r.trainMs.toFixed(0)}`;
  }
  figures[`${label} orders: noise floor (ours${peer ? ' / peer' : ''})`] =
    `${floor.toFixed(4)}${peer ? ` / ${peer.floor.toFixed(4)}` : ''}`;
  figures[`${label} orders: chosen by 5-fold over order buckets`] =
    `${ev.best.label} (fold RMSE ${ev.best.crossValidation!.rmse.toFixed(4)} ± ${ev.best.foldRmseSd!.toFixed(4)})`;
  figures[`${label} orders: 10–90 % interval coverage on held-out cells (${ev.best.label})`] =
    `${(coverage.all * 100).toFixed(1)} % of all cells (calibrated: ${(coverage.expected * 100).toFixed(1)} %), ` +
    `${(coverage.nonzero * 100).toFixed(1)} % of cells with an item`;
  if (!peer)
    figures[`${label} orders: peers`] = `not run (no ${PEERS_PYTHON}; see /work/shared/peers/README.md)`;
  console.log(
    `${label}: best ${ev.best.label} ${ev.best.holdout.rmse.toFixed(4)}, floor ${floor.toFixed(4)}; coverage ${(coverage.all * 100).toFixed(1)} % (calibrated ${(coverage.expected * 100).toFixed(1)} %), non-zero cells ${(coverage.nonzero * 100).toFixed(1)} %`,
  );
}
for (const line of formatTable(['orders', 'model', 'RMSE', 'floor', 'RMSE − floor', 'train ms'], summary))
  console.log(line);
record('models', `npm run bench:models -- --sizes ${sizesFlag}`, figures);
