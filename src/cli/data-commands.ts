// Commands of the data stages: generate, split, aggregate.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../base/errors.js';
import { exitCleanlyOnInterrupt } from '../base/interrupt.js';
import { addCommands, type CommandSpec } from './command-spec.js';
import type { CommandContext, ContextFactory } from './context.js';
import { parseChoiceFlag, parseIntegerFlag } from './options.js';
import { createProgress } from './progress.js';

// The stages are imported when a command runs, so `--help` and other commands do not load DuckDB.
const stages = () => import('./data-stages.js');

interface GenerateFlags {
  orders: number;
  seed: number;
  out?: string;
  format: 'wide' | 'instacart';
}

/** `generate --format instacart`: the relational files of the public download, into a folder. */
async function generateInstacart(ctx: CommandContext, opts: GenerateFlags): Promise<void> {
  const outDir = path.resolve(opts.out ?? path.join(ctx.config.dataDir, 'instacart'));
  const started = performance.now();
  const uninstall = exitCleanlyOnInterrupt({ roots: [path.dirname(outDir)], say: ctx.err });
  const r = await (
    await stages()
  )
    .generateInstacart({ orders: opts.orders, seed: opts.seed, outDir })
    .finally(uninstall);
  ctx.out(
    `generated ${r.orders} orders of ${r.users} users, ${r.priorRows} prior and ${r.trainRows} train line items, ` +
      `${(r.bytes / 1e6).toFixed(1)} MB → ${outDir} in ${((performance.now() - started) / 1000).toFixed(2)} s`,
  );
}

async function generate(context: ContextFactory, opts: GenerateFlags): Promise<void> {
  const ctx = context();
  if (opts.format === 'instacart') return generateInstacart(ctx, opts);
  const out = path.resolve(opts.out ?? ctx.config.paths.ordersCsv);
  const progress = createProgress(ctx.interactive, 'generate', opts.orders);
  const started = performance.now();
  // Ctrl-C removes the partial output (written beside `out` and renamed in only when complete).
  const uninstall = exitCleanlyOnInterrupt({ roots: [path.dirname(out)], say: ctx.err });
  const result = await (
    await stages()
  )
    .generateOrders({
      orders: opts.orders,
      seed: opts.seed,
      out,
      onProgress: (n) => progress.update(n),
    })
    .finally(uninstall);
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  ctx.out(
    `generated ${result.orders} orders, ${result.items} items, ${(result.bytes / 1e6).toFixed(1)} MB → ${out} in ${seconds.toFixed(2)} s`,
  );
}

type Category = 'aisle' | 'department';

async function split(
  context: ContextFactory,
  opts: { input?: string; strict: boolean; category: Category },
): Promise<void> {
  const ctx = context();
  const { paths, dataDir } = ctx.config;
  const input = path.resolve(opts.input ?? paths.ordersCsv);
  if (!existsSync(input)) {
    throw new InputError(
      opts.input
        ? `--input ${input}: no such file`
        : `no orders file at ${input}: run \`orderflow generate\` first, or pass --input FILE`,
    );
  }
  const progress = createProgress(ctx.interactive, 'split', 1);
  const uninstall = exitCleanlyOnInterrupt({ roots: [paths.rawDir, paths.quarantineDir], say: ctx.err });
  const run = await stages();
  const relational = run.isInstacartDir(input);
  const common = {
    input,
    rawDir: paths.rawDir,
    quarantineDir: paths.quarantineDir,
    dataDir,
    strict: opts.strict,
  };
  const summary = await (
    relational
      ? run.splitInstacartByDay({ ...common, category: opts.category })
      : run.splitByDay({
          ...common,
          maxLineBytes: ctx.config.ingest.maxLineBytes,
          onProgress: (bytes, total) => progress.update(bytes, total),
        })
  ).finally(uninstall);
  progress.stop();
  summary.rowsPerDay.forEach((rows, day) => ctx.out(`day ${day}: ${rows} orders → ${summary.files[day]}`));
  if (summary.badRows.length > 0) {
    ctx.err(
      `${summary.badRows.length} bad row(s) quarantined in ${summary.quarantine}:\n${(await stages()).describeBadRows(summary.badRows)}`,
    );
  }
}

async function aggregate(
  context: ContextFactory,
  opts: { input?: string; strict: boolean; json: boolean; category: Category },
): Promise<void> {
  const ctx = context();
  const { paths, dataDir } = ctx.config;
  const files = await (await stages()).resolveInputs(opts.input, paths.rawDir);
  const progress = createProgress(ctx.interactive, 'aggregate', files.length);
  const summary = await (
    await stages()
  ).aggregateOrders({
    files,
    category: opts.category,
    csvPath: paths.processedCsv,
    parquetDir: paths.processedParquet,
    quarantineDir: paths.quarantineDir,
    dataDir,
    strict: opts.strict,
    maxLineBytes: ctx.config.ingest.maxLineBytes,
    onFileDone: (done) => progress.update(done),
  });
  progress.stop();
  if (opts.json) {
    ctx.out(JSON.stringify({ ...summary, output: paths.processedCsv, parquet: paths.processedParquet }));
  } else {
    ctx.out(
      `aggregated ${summary.files} file(s), ${summary.orders} orders → ${summary.rows} rows ` +
        `(${summary.categories} categories, ${summary.days} days, ${summary.hours} hours); ` +
        `items in ${summary.itemsIn}, out ${summary.itemsOut}; ${Math.round(summary.durationMs)} ms → ${paths.processedCsv}`,
    );
  }
  if (summary.badRows > 0) {
    ctx.err(`${summary.badRows} bad row(s) quarantined: ${summary.quarantined.join(', ')}`);
  }
  if (summary.itemsIn !== summary.itemsOut) {
    throw new Error(
      `items in (${summary.itemsIn}) and out (${summary.itemsOut}) differ: the aggregate is wrong`,
    );
  }
}

const CATEGORY = {
  flags: '--category <c>',
  description: 'for relational input: aisle | department',
  parse: parseChoiceFlag('--category', ['aisle', 'department']),
  default: 'aisle',
};

const STRICT = {
  flags: '--strict',
  description: 'fail (exit 1, nothing written) on any bad row instead of quarantining it',
  default: false,
};

const DATA_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'generate',
    description:
      'Write deterministic synthetic orders: a wide CSV (134 Instacart aisles), or with --format instacart the ' +
      'relational files of the public download (orders.csv, order_products__prior/train.csv, products.csv, ' +
      'aisles.csv, departments.csv; --orders 3421083 is the published size)',
    options: [
      {
        flags: '--orders <n>',
        description: 'number of orders',
        parse: parseIntegerFlag('--orders', 1),
        default: 5000,
      },
      {
        flags: '--seed <s>',
        description: 'random seed',
        parse: parseIntegerFlag('--seed', 0, 2 ** 32 - 1),
        default: 42,
      },
      {
        flags: '--format <f>',
        description: 'wide | instacart',
        parse: parseChoiceFlag('--format', ['wide', 'instacart']),
        default: 'wide',
      },
      {
        flags: '--out <path>',
        description:
          'output file (default DATA_DIR/orders.csv), or folder for instacart (default DATA_DIR/instacart)',
      },
    ],
    action: generate,
  },
  {
    name: 'split',
    description:
      'Split the orders CSV (or a relational Instacart folder, pivoted to the same wide rows) by day into ' +
      'DATA_DIR/raw/<dow>/orders_<dow>.csv',
    options: [
      {
        flags: '--input <file|folder>',
        description:
          'orders CSV, or a relational Instacart folder (orders.csv + order_products*.csv; default DATA_DIR/orders.csv)',
      },
      CATEGORY,
      STRICT,
    ],
    action: split,
  },
  {
    name: 'aggregate',
    description: 'Sum items per (day_of_week, hour_of_day, category) into DATA_DIR/processed (CSV + Parquet)',
    options: [
      {
        flags: '--input <file|folder|glob>',
        description:
          'orders file(s), or a relational Instacart folder (orders.csv + order_products*.csv; default DATA_DIR/raw/*/orders_*.csv and DATA_DIR/raw/*/ folders)',
      },
      CATEGORY,
      STRICT,
      { flags: '--json', description: 'print the summary as JSON', default: false },
    ],
    action: aggregate,
  },
];

export function registerDataCommands(program: Command, context: ContextFactory): void {
  addCommands(program, DATA_COMMANDS, context);
}
