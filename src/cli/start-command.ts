// `orderflow start` (npm start): the whole pipeline on embedded defaults. Makes sure Redis answers (starting a
// private redis-server if needed), prepares the sample data (the batch history, week 1), runs scheduler + worker
// + API/dashboard in this process and lets NEW orders arrive, one later day every few seconds, so the three DAGs
// visibly work and the models train on ever more data. Ctrl-C stops everything; a second start resumes
// (delivered days are skipped, the ledger remembers what was counted).
import path from 'node:path';
import type { Command } from 'commander';
import { toError } from '../base/errors.js';
import type { RedisHandle } from '../app/local-redis.js';
import { redactUrl } from '../base/redact.js';
import { addCommand, type CommandSpec } from './command-spec.js';
import type { CommandContext, ContextFactory } from './context.js';
import { parseChoiceFlag, parseDurationFlag, parseIntegerFlag } from './options.js';

// The whole pipeline is imported when the command runs.
const stages = () => import('./start-stages.js');

interface StartFlags {
  every: number;
  orders: number;
  weeks: number;
  simulate: boolean;
  format: 'wide' | 'instacart';
}

type Stages = Awaited<ReturnType<typeof stages>>;
type Pipeline = Awaited<ReturnType<Stages['startPipelineProcess']>>;

/** Starts (or reuses) the private redis-server when REDIS_URL does not answer, and says which. */
async function startRedis(ctx: CommandContext, s: Stages): Promise<RedisHandle> {
  const { config } = ctx;
  const redis = await s.ensureRedis(config, ctx.logger);
  if (redis.reusedPid)
    ctx.out(`reusing the private redis-server (pid ${redis.reusedPid}) a previous start left running`);
  else if (redis.started)
    ctx.out(
      `started a private redis-server for ${redactUrl(config.redisUrl)} (data in ${config.paths.redisDir})`,
    );
  return redis;
}

/** New orders of later days arriving in incremental/raw until `signal` aborts; failures are reported. */
function simulateArrivals(
  ctx: CommandContext,
  s: Stages,
  flags: StartFlags,
  signal: AbortSignal,
): Promise<unknown> {
  const { config } = ctx;
  const arrive = {
    to: config.paths.incrementalRawDir,
    weekOrders: flags.orders,
    weeks: flags.weeks,
    everyMs: flags.every,
    signal,
    onDelivered: (batch: string, _file: string, orders: number) =>
      ctx.out(`new orders of day ${batch} arrived (${orders} orders)`),
  };
  return (
    flags.format === 'instacart'
      ? s.simulateInstacartDays({
          ...arrive,
          stagingDir: path.join(config.dataDir, 'instacart-arrivals'),
        })
      : s.simulateNewOrders(arrive)
  ).catch((err) => ctx.err(`simulated arrivals stopped: ${toError(err).message}`));
}

/** What `start` prints once everything runs. */
function announceReady(ctx: CommandContext, pipeline: Pipeline): void {
  ctx.out(
    `dashboard: ${pipeline.server!.url}/  (user "admin"; password: ORDERFLOW_ADMIN_PASSWORD, the one printed above on first start, or \`orderflow admin reset-password\`)`,
  );
  ctx.out(`DAGs: ${pipeline.runtime.registry.ids().join(', ')} — Ctrl-C to stop`);
}

async function start(context: ContextFactory, flags: StartFlags): Promise<void> {
  const ctx = context();
  const { config } = ctx;
  const s = await stages();
  const lock = s.acquireInstanceLock(config.dataDir, 'start');
  let redis: RedisHandle | undefined;
  // Until the pipeline runs, a Ctrl-C stops on the spot: partial outputs removed, the private Redis stopped.
  const uninstall = s.exitCleanlyOnInterrupt({
    roots: [config.dataDir, path.dirname(config.paths.ordersCsv)],
    last: async () => {
      await redis?.stop();
      lock.release();
    },
    say: ctx.err,
  });
  const arrivals = new AbortController();
  let simulation: Promise<unknown> = Promise.resolve();
  try {
    const stale = s.removeStaleTempFiles([config.dataDir]);
    if (stale.length) ctx.err(`removed ${stale.length} partial output file(s) left by an interrupted run`);
    redis = await startRedis(ctx, s);
    await s.bootstrapData(config, ctx.out, flags.orders, flags.format);
    const pipeline = await s.startPipelineProcess(config, ctx.logger, {
      concurrency: 2,
      http: true,
      announce: ctx.out,
    });
    lock.setUrl(pipeline.server!.url);
    if (flags.simulate) simulation = simulateArrivals(ctx, s, flags, arrivals.signal);
    // Closed in reverse: the arrivals stop first, then the scheduler, worker, server and runtime.
    const stopArrivals = { close: async () => (arrivals.abort(), await simulation, undefined) };
    await s.runUntilSignal([...pipeline.handles, stopArrivals], ctx.logger, {
      // From here a signal means a clean shutdown (its handlers are in place: no moment without one).
      ready: () => {
        uninstall();
        announceReady(ctx, pipeline);
      },
    });
    ctx.out('stopped cleanly');
  } finally {
    uninstall();
    arrivals.abort();
    await s.settlesWithin(simulation, 2_000);
    await redis?.stop();
    lock.release();
  }
}

const START: CommandSpec = {
  name: 'start',
  description:
    'Run everything: sample data (week 1), scheduler, worker, API/dashboard, and new orders of later weeks ' +
    'arriving one day at a time (npm start)',
  options: [
    {
      flags: '--every <duration>',
      description: 'pause between simulated days, with its unit (500ms, 5s, 2m)',
      parse: parseDurationFlag('--every'),
      default: 5000,
      defaultDescription: '5s',
    },
    {
      flags: '--orders <n>',
      description: 'size of the sample dataset made on first start, and orders per simulated week',
      parse: parseIntegerFlag('--orders', 1),
      default: 5000,
    },
    {
      flags: '--weeks <n>',
      description: 'weeks of new orders to simulate',
      parse: parseIntegerFlag('--weeks', 0, 1000),
      default: 4,
    },
    { flags: '--no-simulate', description: 'do not simulate new orders arriving in incremental/raw' },
    {
      flags: '--format <f>',
      description:
        'wide | instacart: the sample data and the new days as relational Instacart folders (orders.csv + ' +
        'order_products*.csv per day batch, the catalog at the landing root)',
      parse: parseChoiceFlag('--format', ['wide', 'instacart']),
      default: 'wide',
    },
  ],
  action: start,
};

export function registerStartCommand(program: Command, context: ContextFactory): void {
  addCommand(program, START, context);
}
