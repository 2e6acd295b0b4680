// npm run bench:train — model training on an aggregate produced by orderflow itself (generate → aggregate):
// each learner's training time and holdout RMSE (md5 split, --nonzero-only rows, as the scikit-learn peer),
// our forest beside ml-random-forest (20 trees, depth 10, OOB off), prediction latency, and — when the peer venv
// exists at /tmp/peers — scikit-learn/LightGBM on the very same CSV, side by side.
// Flags: --orders N (default 100000), --skip-mljs (ml-random-forest takes minutes).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RandomForestRegression } from 'ml-random-forest';
import { buildTrainingSet, readAggregateCsv, type TrainingSet } from '../src/ml/dataset.js';
import { evaluateCandidates, type CandidateResult } from '../src/ml/evaluate.js';
import { randomForestLearner, decisionTreeLearner } from '../src/ml/forest.js';
import { LEARNERS } from '../src/ml/learners.js';
import { regressionMetrics } from '../src/ml/metrics.js';
import type { Learner } from '../src/ml/model.js';
import { candidateTable, formatTable } from '../src/ml/report.js';
import type { ModelArtifact } from '../src/ml/artifact.js';
import { modelFromArtifact } from '../src/ml/predictor.js';
import { selectRows } from '../src/ml/rows.js';
import { holdoutSplit } from '../src/ml/split.js';
import { main } from '../src/cli/main.js';
import { OUT, record } from './util.js';

const args = process.argv.slice(2);
const orders = Number(args[args.indexOf('--orders') + 1] ?? 0) || 100_000;
const skipMljs = args.includes('--skip-mljs');
const PEER_PYTHON = '/tmp/peers/bin/python';
const PEER_SCRIPT = '/work/shared/peers/model_quality.py';

// The CLI runs in-process (from src/, no build needed), as `orderflow generate` and `orderflow aggregate`.
const quiet = { out: () => undefined, err: (line: string) => console.error(line) };
const cli = async (...argv: string[]): Promise<void> => {
  const code = await main(['node', 'orderflow', ...argv], quiet);
  if (code !== 0) throw new Error(`orderflow ${argv.join(' ')} failed with exit code ${code}`);
};
const dataDir = path.join(OUT, `train-${orders}`);
fs.rmSync(dataDir, { recursive: true, force: true });
const ordersCsv = path.join(dataDir, 'orders.csv');
await cli('--data-dir', dataDir, 'generate', '--orders', String(orders), '--seed', '42', '--out', ordersCsv);
await cli('--data-dir', dataDir, 'aggregate', '--input', ordersCsv);
const aggregateCsv = path.join(dataDir, 'processed', 'orders.csv');
const aggregate = await readAggregateCsv(aggregateCsv);
console.log(`aggregate: ${aggregate.length} rows from ${orders} generated orders → ${aggregateCsv}`);

const variants: { label: string; learner: Learner; params: Record<string, unknown> }[] = [
  ...LEARNERS.map((l) => ({ label: l.label, learner: l, params: {} })),
  {
    label: 'RandomForest (index)',
    learner: randomForestLearner as unknown as Learner,
    params: { categoryOrder: 'index' },
  },
  {
    label: 'DecisionTree (index)',
    learner: decisionTreeLearner as unknown as Learner,
    params: { categoryOrder: 'index' },
  },
];

function evaluate(set: TrainingSet): CandidateResult[] {
  return variants.map((v) => {
    const ev = evaluateCandidates(set, {
      split: 'md5',
      folds: 0,
      seed: 42,
      learners: [v.learner],
      hyperparameters: { [v.learner.algorithm]: v.params as Record<string, string> },
    });
    return { ...ev.candidates[0], label: v.label };
  });
}

const nonzero = buildTrainingSet(aggregate, 'nonzero');
const cold = performance.now();
const all = evaluateCandidates(nonzero, { split: 'md5', folds: 0, seed: 42 });
const coldMs = performance.now() - cold;
evaluate(nonzero); // warm-up
const ours = evaluate(nonzero);
console.log(
  `\norderflow, --nonzero-only, md5 split: ${all.trainRows} train / ${all.testRows} test (warm; first run of all 4 candidates incl. refit: ${coldMs.toFixed(0)} ms)`,
);
for (const line of candidateTable(ours)) console.log(line);

const grid = buildTrainingSet(aggregate, 'grid');
const oursGrid = evaluate(grid);
console.log(`\norderflow, full grid (default), md5 split: ${grid.rows.length} rows`);
for (const line of candidateTable(oursGrid)) console.log(line);

const figures: Record<string, string> = {};

// Prediction latency through the trained best model and the forest.
const forest = randomForestLearner.fit(nonzero.rows, randomForestLearner.defaults, 42);
const c = nonzero.categories.length;
let sink = 0;
const N = 1_000_000;
let t = performance.now();
for (let i = 0; i < N; i++) sink += forest.predict(i % 7, i % 24, i % c);
const forestNs = ((performance.now() - t) * 1e6) / N;
t = performance.now();
for (let i = 0; i < N; i++) sink += all.model.predict(i % 7, i % 24, i % c);
const bestNs = ((performance.now() - t) * 1e6) / N;
t = performance.now();
for (let d = 0; d < 7; d++)
  for (let h = 0; h < 24; h++) for (let k = 0; k < c; k++) sink += forest.predict(d, h, k);
const gridMs = performance.now() - t;
// The serving path (what the cache stage uses): a LoadedModel restored from the forest's artifact state.
const loaded = modelFromArtifact({
  version: 'bench',
  algorithm: 'random_forest',
  categories: nonzero.categories,
  state: JSON.parse(JSON.stringify(forest.state())) as unknown,
} as ModelArtifact);
t = performance.now();
loaded.predictGrid();
const loadedGridMs = performance.now() - t;
t = performance.now();
loaded.predictGrid();
const loadedGridAgainMs = performance.now() - t;
t = performance.now();
for (let i = 0; i < N; i++) sink += loaded.predict(i % 7, i % 24, i % c);
const loadedNs = ((performance.now() - t) * 1e6) / N;
figures['LoadedModel forest predictGrid first / again (ms)'] =
  `${loadedGridMs.toFixed(1)} / ${loadedGridAgainMs.toFixed(2)}`;
figures['LoadedModel predict one cell after grid (ns)'] = loadedNs.toFixed(0);
console.log(
  `LoadedModel (forest): predictGrid ${loadedGridMs.toFixed(1)} ms first, ${loadedGridAgainMs.toFixed(2)} ms again; ` +
    `predict ${loadedNs.toFixed(0)} ns/cell after that`,
);
console.log(
  `\npredict: forest ${forestNs.toFixed(0)} ns/cell, best (${all.best.label}) ${bestNs.toFixed(0)} ns/cell; ` +
    `forest over all ${7 * 24 * c} cells ${gridMs.toFixed(1)} ms (${sink > 0 ? 'ok' : ''})`,
);

// ml-random-forest on the same rows (index-coded features, like scikit-learn).
const split = holdoutSplit(nonzero.rows, nonzero.categories, 'md5', 42);
const train = selectRows(nonzero.rows, split.train);
const test = selectRows(nonzero.rows, split.test);
const oursRf = ours.find((r) => r.label === 'RandomForest')!;
Object.assign(figures, {
  'aggregate rows': String(aggregate.length),
  'all 4 candidates, first run (ms)': coldMs.toFixed(0),
  'predict one cell, forest (ns)': forestNs.toFixed(0),
  'predict all cells, forest (ms)': gridMs.toFixed(1),
});
for (const r of ours)
  figures[`${r.label} nonzero md5 RMSE / train ms`] =
    `${r.holdout.rmse.toFixed(4)} / ${r.trainMs.toFixed(1)}`;
if (!skipMljs) {
  const X = Array.from({ length: train.length }, (_, i) => [train.day[i], train.hour[i], train.cat[i]]);
  const mljs = new RandomForestRegression({
    nEstimators: 20,
    maxFeatures: 1.0,
    replacement: false,
    useSampleBagging: true,
    noOOB: true,
    seed: 42,
    treeOptions: { maxDepth: 10 },
  });
  console.log(`\nml-random-forest: training 20 trees of depth 10 on ${train.length} rows (takes minutes) …`);
  t = performance.now();
  mljs.train(X, Array.from(train.y));
  const mljsMs = performance.now() - t;
  const predicted = mljs.predict(
    Array.from({ length: test.length }, (_, i) => [test.day[i], test.hour[i], test.cat[i]]),
  );
  const mljsRmse = regressionMetrics(test.y, predicted).rmse;
  for (const line of formatTable(
    ['forest (20 trees, depth 10)', 'RMSE', 'train ms', 'speed-up'],
    [
      ['ml-random-forest', mljsRmse.toFixed(4), mljsMs.toFixed(0), '1×'],
      [
        'orderflow RandomForest',
        oursRf.holdout.rmse.toFixed(4),
        oursRf.trainMs.toFixed(1),
        `${(mljsMs / oursRf.trainMs).toFixed(0)}×`,
      ],
    ],
  ))
    console.log(line);
  figures['ml-random-forest RMSE / train ms'] = `${mljsRmse.toFixed(4)} / ${mljsMs.toFixed(0)}`;
  figures['forest speed-up vs ml-random-forest'] = `${(mljsMs / oursRf.trainMs).toFixed(0)}×`;
}

// scikit-learn / LightGBM on the same CSV and split.
if (fs.existsSync(PEER_PYTHON) && fs.existsSync(PEER_SCRIPT)) {
  const peer = spawnSync(PEER_PYTHON, [PEER_SCRIPT, aggregateCsv], { encoding: 'utf8' });
  if (peer.status !== 0) console.log(`peer failed: ${peer.stderr}`);
  else {
    console.log(`\nscikit-learn peer (${PEER_SCRIPT}):\n${peer.stdout.trimEnd()}`);
    const peerRmse = new Map<string, number>();
    for (const m of peer.stdout.matchAll(/^(index|one-hot)\s+(\S+)\s+rmse ([\d.]+)/gm))
      peerRmse.set(`${m[1]} ${m[2]}`, Number(m[3]));
    const pick = (label: string) => ours.find((r) => r.label === label)!.holdout.rmse;
    const pairs: [string, number, string, number][] = [
      ['RandomForest', pick('RandomForest'), 'index RandomForest', peerRmse.get('index RandomForest')!],
      [
        'RandomForest (index)',
        pick('RandomForest (index)'),
        'index RandomForest',
        peerRmse.get('index RandomForest')!,
      ],
      ['DecisionTree', pick('DecisionTree'), 'index DecisionTree', peerRmse.get('index DecisionTree')!],
      [
        'DecisionTree (index)',
        pick('DecisionTree (index)'),
        'index DecisionTree',
        peerRmse.get('index DecisionTree')!,
      ],
      ['LinearRegression', pick('LinearRegression'), 'one-hot Ridge', peerRmse.get('one-hot Ridge')!],
    ];
    const peerBest = [...peerRmse.entries()].reduce((a, b) => (b[1] < a[1] ? b : a));
    const oursBest = ours.reduce((a, b) => (b.holdout.rmse < a.holdout.rmse ? b : a));
    pairs.push([`best: ${oursBest.label}`, oursBest.holdout.rmse, `best: ${peerBest[0]}`, peerBest[1]]);
    console.log('\nside by side (--nonzero-only, md5 split, same rows):');
    for (const line of formatTable(
      ['orderflow', 'RMSE', 'scikit-learn / LightGBM', 'RMSE', 'ours / peer'],
      pairs.map(([a, ra, b, rb]) => [a, ra.toFixed(4), b, rb.toFixed(4), (ra / rb).toFixed(3)]),
    ))
      console.log(line);
    figures['best orderflow vs best peer RMSE'] =
      `${oursBest.label} ${oursBest.holdout.rmse.toFixed(4)} vs ${peerBest[0]} ${peerBest[1].toFixed(4)}`;
  }
} else {
  console.log(
    `\n(peer venv ${PEER_PYTHON} not found: see /work/shared/peers/README.md to compare with scikit-learn)`,
  );
}
record('train', `npm run bench:train -- --orders ${orders}${skipMljs ? ' --skip-mljs' : ''}`, figures);
