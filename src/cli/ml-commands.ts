// Commands of the model stage: train, models list|show, predict. Flags become options; the work is in src/ml.
import path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../data/atomic.js';
import { NotFoundError, UsageError } from '../base/errors.js';
import { readArtifact, readCurrentPointer, artifactFile } from '../ml/artifact.js';
import { answerCell, parseDay, parseHour, predictionRecord, resolveCell } from '../ml/cell.js';
import { explainModel, explanationLines } from '../ml/lineage.js';
import { modelVersionViews } from '../ml/version-view.js';
import { candidateTable, formatTable } from '../ml/report.js';
import { requireCurrentModel, type LoadedModel } from '../ml/predictor.js';
import type { ModelRegistry } from '../ml/registry.js';

import { SPLIT_METHODS, type SplitMethod } from '../ml/split.js';
import type { Db } from '../store/db.js';
import { predictCached } from './cache-commands.js';
import { addCommand, addCommands, type CommandSpec } from './command-spec.js';
import type { CommandContext, ContextFactory } from './context.js';
import { parseIntegerFlag } from './options.js';
import { registerPromotionCommands } from './promotion-commands.js';
import { DAYS, HOURS } from '../base/cell.js';

// Training, the registry and the store's drivers are imported when a command needs them, so `predict` (a hot
// path) and every other command start without them.
const stages = () => import('./ml-stages.js');

/** Runs `fn` with a store opened on first use (if at all) and closed afterwards. */
async function withStore<T>(ctx: CommandContext, fn: (db: () => Promise<Db>) => Promise<T>): Promise<T> {
  let opened: Promise<Db> | undefined;
  try {
    return await fn(async () => (opened ??= (await stages()).openStore(ctx.config, ctx.logger)));
  } finally {
    if (opened) await (await opened).close();
  }
}

async function registry(db: Db, modelsDir: string): Promise<ModelRegistry> {
  return new (await stages()).ModelRegistry(db, modelsDir);
}

interface TrainFlags {
  input?: string;
  holdout: 'orders' | 'cells';
  nonzeroOnly: boolean;
  split: SplitMethod;
  folds?: number;
  seed: number;
  force: boolean;
  json: boolean;
}

interface PredictFlags {
  json: boolean;
  explain: boolean;
  out?: string;
  cached: boolean;
}

/** `predict all`: every cell as CSV (day_of_week,hour_of_day,category,prediction). */
export function gridCsv(model: LoadedModel): string {
  const grid = model.predictGrid();
  const c = model.categories.length;
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['day_of_week,hour_of_day,category,prediction'];
  for (let d = 0; d < DAYS; d++)
    for (let h = 0; h < HOURS; h++)
      for (let k = 0; k < c; k++) {
        lines.push(
          `${d},${h},${quote(model.categories[k])},${Number(grid[(d * HOURS + h) * c + k].toFixed(4))}`,
        );
      }
  return lines.join('\n') + '\n';
}

async function train(context: ContextFactory, flags: TrainFlags): Promise<void> {
  const ctx = context();
  const { trainModels } = await stages();
  const result = await withStore(ctx, async (db) =>
    trainModels(
      { db, paths: ctx.config.paths },
      {
        input: flags.input === undefined ? undefined : path.resolve(flags.input),
        nonzeroOnly: flags.nonzeroOnly,
        holdout: flags.holdout,
        split: flags.split,
        folds: flags.folds,
        seed: flags.seed,
        force: flags.force,
      },
    ),
  );
  if (flags.json) {
    ctx.out(JSON.stringify(result));
    return;
  }
  if (result.status === 'unchanged') {
    ctx.out(
      `unchanged: ${result.inputPath} has the same data as model ${result.sameDataAs ?? result.version} ` +
        `(current: ${result.version}, ${result.algorithm}); nothing trained (use --force to retrain)`,
    );
    return;
  }
  for (const line of trainedLines(result)) ctx.out(line);
}

type TrainResult = Awaited<ReturnType<Awaited<ReturnType<typeof stages>>['trainModels']>>;

/** What `train` prints after training: data and holdout, the candidates, the choice and the decision. */
function trainedLines(result: TrainResult): string[] {
  const ev = result.evaluation;
  const lines = [
    `trained on ${result.trainingRows} rows (${result.trainingMode}) from ${result.inputPath}; ` +
      (ev.orders
        ? `held-out orders (bucket ${ev.orders.heldBucket ?? 0}): ${ev.orders.trainOrders} train / ` +
          `${ev.orders.heldOrders} test orders, ${ev.testRows} cells; noise floor RMSE ${ev.orders.noiseFloor.toFixed(4)}`
        : `holdout ${ev.split}: ${ev.trainRows} train / ${ev.testRows} test (${ev.note ?? 'cells'})`),
    ...candidateTable(result.candidates, result.algorithm),
  ];
  const chosen = result.candidates.find((c) => c.algorithm === result.algorithm);
  if (chosen?.foldRmse)
    lines.push(
      `chosen: ${chosen.label}, fold RMSE ${chosen.crossValidation!.rmse.toFixed(4)} ± ${chosen.foldRmseSd!.toFixed(4)} ` +
        `(mean ± sd over ${chosen.foldRmse.length} folds: ${chosen.foldRmse.map((v) => v.toFixed(4)).join(', ')})`,
    );
  if (result.decision) lines.push(result.decision.reason);
  if (result.status === 'rejected')
    lines.push(
      `rejected: ${result.version} (${result.algorithm}) → ${result.artifactPath}; current stays ${result.currentVersion}`,
    );
  else lines.push(`current: ${result.version} (${result.algorithm}) → ${result.artifactPath}`);
  return lines;
}

async function listModels(context: ContextFactory, flags: { json: boolean }): Promise<void> {
  const ctx = context();
  if (flags.json) {
    // The same view as GET /api/models' versions (ml/version-view.ts).
    ctx.out(
      JSON.stringify(
        await withStore(ctx, async (db) => modelVersionViews(await db(), ctx.config.paths.modelsDir)),
      ),
    );
    return;
  }
  const records = await withStore(ctx, async (db) =>
    registry(await db(), ctx.config.paths.modelsDir).then((r) => r.list()),
  );
  const current = (await readCurrentPointer(ctx.config.paths.modelsDir))?.version ?? null;
  if (records.length === 0) {
    ctx.out('no model versions yet: run `orderflow train`');
    return;
  }
  const rows = records.map((r) => [
    `${r.version === current ? '* ' : '  '}${r.version}`,
    r.algorithm + (r.decision && !r.decision.promoted ? ' (rejected)' : ''),
    r.metrics.holdout.rmse.toFixed(4),
    r.metrics.holdout.r2.toFixed(4),
    `${r.trainingRows} ${r.trainingMode}`,
    r.createdAt,
    r.fingerprint.slice(0, 12),
  ]);
  for (const line of formatTable(
    ['version', 'algorithm', 'RMSE', 'R²', 'rows', 'created_at', 'fingerprint'],
    rows,
  )) {
    ctx.out(line);
  }
}

async function showModel(
  context: ContextFactory,
  version: string | undefined,
  flags: { json: boolean },
): Promise<void> {
  const ctx = context();
  const { modelsDir } = ctx.config.paths;
  const wanted = version ?? (await requireCurrentModel(modelsDir)).version;
  const record = await withStore(ctx, async (db) =>
    registry(await db(), modelsDir).then((r) => r.get(wanted)),
  );
  if (!record) {
    const known = await withStore(ctx, async (db) => registry(await db(), modelsDir).then((r) => r.list()));
    throw new NotFoundError(
      `no model version ${JSON.stringify(wanted)}; known: ${known.map((r) => r.version).join(', ') || 'none'}`,
      known.map((r) => r.version),
    );
  }
  const current = (await readCurrentPointer(modelsDir))?.version === record.version;
  const artifact = await readArtifact(artifactFile(modelsDir, record.version));
  if (flags.json) {
    ctx.out(JSON.stringify({ ...record, current, categories: artifact?.categories ?? null }));
    return;
  }
  ctx.out(`version        ${record.version}${current ? ' (current)' : ''}`);
  ctx.out(`algorithm      ${record.algorithm}`);
  ctx.out(`hyperparameters ${JSON.stringify(record.hyperparameters)}`);
  ctx.out(`created_at     ${record.createdAt}`);
  ctx.out(
    `training       ${record.trainingRows} rows (${record.trainingMode}), ${record.categoryCount} categories`,
  );
  ctx.out(`input          ${record.inputPath ?? '-'}`);
  ctx.out(`fingerprint    ${record.fingerprint}`);
  ctx.out(`artifact       ${record.artifactPath}${artifact ? '' : ' (missing)'}`);
  ctx.out(`evaluation     ${JSON.stringify(record.evaluation)}`);
  if (record.decision) ctx.out(`decision       ${record.decision.reason}`);
  for (const line of candidateTable(record.candidates, record.algorithm)) ctx.out(line);
}

/** `predict all`: the whole grid as CSV, on standard output or into `--out`. */
async function predictAll(ctx: CommandContext, flags: PredictFlags): Promise<void> {
  const model = await requireCurrentModel(ctx.config.paths.modelsDir);
  const csv = gridCsv(model);
  if (flags.out === undefined) ctx.out(csv.trimEnd());
  else {
    const out = path.resolve(flags.out);
    await writeFileAtomic(out, csv);
    const cells = DAYS * HOURS * model.categories.length;
    ctx.out(`wrote ${cells} predictions (model ${model.version}) → ${out}`);
  }
}

async function predict(
  context: ContextFactory,
  day: string,
  hour: string | undefined,
  category: string | undefined,
  flags: PredictFlags,
): Promise<void> {
  const ctx = context();
  if (day.trim().toLowerCase() === 'all') {
    if (hour !== undefined) throw new UsageError('predict all takes no hour or category');
    return predictAll(ctx, flags);
  }
  if (hour === undefined || category === undefined) {
    throw new UsageError('usage: orderflow predict <day 0–6> <hour 0–23> <category> (or: predict all)');
  }
  // Day and hour are checked before the model is loaded: bad usage is reported even without a model.
  parseDay(day);
  parseHour(hour);
  if (flags.cached) return predictCached(ctx, day, hour, category, flags.json, flags.explain);
  const model = await requireCurrentModel(ctx.config.paths.modelsDir);
  const answer = answerCell(model, resolveCell(model, day, hour, category));
  const explanation = flags.explain ? explainModel(model) : undefined;
  if (flags.json) {
    ctx.out(
      JSON.stringify({ ...predictionRecord(answer), ...(explanation ? { explain: explanation } : {}) }),
    );
    return;
  }
  ctx.out(`Predicted items: ${answer.prediction.toFixed(2)}`);
  if (explanation) {
    ctx.out(`interval   ${answer.interval!.low}–${answer.interval!.high} items (10 %–90 %)`);
    for (const line of explanationLines(explanation)) ctx.out(line);
  }
}

const TRAIN: CommandSpec = {
  name: 'train',
  description:
    'Train RandomForest, DecisionTree, LinearRegression and a Poisson count model on all the data held: the ' +
    'batch history (DATA_DIR/processed/orders.csv, the aggregate of DATA_DIR/raw) plus every order the ' +
    'incremental stage committed since (DATA_DIR/incremental/processed/orders.csv), summed per cell; ' +
    '--input replaces both. The best by holdout RMSE becomes current only if it also beats the current ' +
    'model re-scored on the same held-out cells; otherwise it is registered as a rejected challenger. ' +
    'Data already trained on (same fingerprint) adds no version.',
  options: [
    { flags: '--input <file>', description: 'aggregate CSV (day_of_week,hour_of_day,category,items_count)' },
    {
      flags: '--nonzero-only',
      description: 'train on the aggregate rows alone instead of the full grid with zeros',
      default: false,
    },
    {
      flags: '--holdout <what>',
      description:
        'hold out orders (md5(order_id) bucket 0, from the <aggregate>.holdout.json beside each input; cells ' +
        'when an input has none) or cells',
      choices: ['orders', 'cells'],
      default: 'orders',
    },
    {
      flags: '--split <method>',
      description: 'how cells are held out (with --holdout cells or no order holdout)',
      choices: SPLIT_METHODS,
      default: 'random',
    },
    {
      flags: '--folds <k>',
      description:
        'K-fold cross-validation (by order bucket, 2–5, when orders are held out; default 5 then, else 0 = off): ' +
        'the lowest mean fold RMSE is chosen, and a challenger must beat the champion by more than its fold ' +
        'RMSE spread (sd) to become current',
      parse: parseIntegerFlag('--folds', 0, 100),
    },
    {
      flags: '--seed <n>',
      description: 'seed of the split, folds and learners',
      parse: parseIntegerFlag('--seed', 0, 2 ** 32 - 1),
      default: 42,
    },
    {
      flags: '--force',
      description:
        'train a new version even on data already trained on, and make it current even if it loses',
      default: false,
    },
    { flags: '--json', description: 'print the result as JSON', default: false },
  ],
  action: train,
};

const MODELS: CommandSpec = {
  name: 'models',
  description: 'List, show, promote or roll back model versions',
};

/** After the promotion commands (promote, rollback, history) in the help's list. */
const MODEL_VIEWS: readonly CommandSpec[] = [
  {
    name: 'list',
    description: 'Every model version, newest first (* = current)',
    options: [{ flags: '--json', description: 'print as JSON', default: false }],
    action: listModels,
  },
  {
    name: 'show',
    description: 'One model version (default: the current one)',
    arguments: [{ name: '[version]', description: 'version, e.g. v3' }],
    options: [{ flags: '--json', description: 'print as JSON', default: false }],
    action: showModel,
  },
];

const PREDICT: CommandSpec = {
  name: 'predict',
  description: 'Predict items_count for one cell, or every cell with `predict all` (uses the current model)',
  arguments: [
    { name: '<day>', description: 'day_of_week 0–6, or `all` for the whole grid' },
    { name: '[hour]', description: 'hour_of_day 0–23' },
    { name: '[category]', description: 'category name, case-insensitive (quote names with spaces)' },
  ],
  options: [
    {
      flags: '--json',
      description: 'print {prediction, model_version, algorithm, …} as JSON',
      default: false,
    },
    { flags: '--out <file>', description: 'with `all`: write the CSV here instead of standard output' },
    {
      flags: '--cached',
      description: 'answer from the Redis prediction cache, the model on a miss (prints the source)',
      default: false,
    },
    {
      flags: '--explain',
      description:
        'also say which model version answered, its metrics, data fingerprint, ledger generation and input files',
      default: false,
    },
  ],
  action: predict,
};

export function registerMlCommands(program: Command, context: ContextFactory): void {
  addCommand(program, TRAIN, context);
  const models = addCommand(program, MODELS, context);
  registerPromotionCommands(models, context);
  addCommands(models, MODEL_VIEWS, context);
  addCommand(program, PREDICT, context);
}
