// Commands of the incremental stage: incremental [--watch], simulate-arrival, status.
import path from 'node:path';
import type { Command } from 'commander';
import { NotFoundError } from '../base/errors.js';
import { addCommands, type CommandSpec } from './command-spec.js';
import type { CommandContext, ContextFactory } from './context.js';
import { parseDurationFlag } from './options.js';
import type { IncrementalResult } from '../ingest/incremental.js';
import { SHUTDOWN_BUDGET_MS } from '../orchestration/signals.js';
import type { RedisTopology } from '../redis/redis-topology.js';

function describeSkips(result: IncrementalResult): string {
  const notes = [
    ...result.files.map(
      (f) =>
        `\n  read ${f.path}${f.rangeCount > 1 ? ` part ${f.rangeIndex + 1}/${f.rangeCount}` : ''}: ${f.orders} orders, ` +
        `${(f.bytes / 1e6).toFixed(1)} MB, ${f.method} path, ${f.durationMs} ms on ${f.worker}` +
        (f.tries > 1 ? ` (${f.tries} tries)` : ''),
    ),
    ...result.skipped.map((f) => `\n  ${f.status}: ${f.path}: ${f.reason}`),
    ...result.waiting.map((f) => `\n  waiting: ${f.path}: ${f.reason}`),
  ];
  return notes.join('');
}

function describeTopology(t: RedisTopology): string {
  const failover = t.lastFailover
    ? `last failover ${t.lastFailover.at} (${t.lastFailover.from} → ${t.lastFailover.to})`
    : t.mode === 'sentinel'
      ? 'no failover recorded'
      : 'no sentinels (REDIS_SENTINELS unset)';
  return `redis primary: ${t.primary} (${t.mode}, ${t.replicas ?? '?'} replica(s) connected); ${failover}`;
}

function describe(result: IncrementalResult): string {
  return describeRun(result) + describeSkips(result);
}

function describeRun(result: IncrementalResult): string {
  if (result.status === 'up-to-date') {
    const repaired = [
      result.outputRebuilt && 'output rebuilt',
      result.trackingRebuilt && 'Redis tracking rebuilt from the ledger',
    ].filter(Boolean);
    return `up to date (ledger generation ${result.generation})${repaired.length ? `; ${repaired.join(', ')}` : ''} in ${result.durationMs} ms`;
  }
  return (
    `committed ${result.filesAdded} new, ${result.filesReplaced} changed, ${result.filesRemoved} removed file(s) ` +
    `[batches ${result.batches.join(', ') || '-'}]: ${result.orders} orders, ${result.items} items, ${result.badRows} bad row(s); ` +
    `generation ${result.generation} in ${result.durationMs} ms`
  );
}

/**
 * Stops a long-running command on the first SIGINT/SIGTERM; if it has not ended 8 s later (a run waiting on a
 * PostgreSQL that is down) the process exits 1, and a second signal exits 130 at once.
 */
function abortOnSignals(): AbortController {
  const controller = new AbortController();
  const stop = (): void => {
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(130));
    setTimeout(() => {
      process.stderr.write('orderflow: did not stop within 8 s of the signal; exiting\n');
      process.exit(1);
    }, SHUTDOWN_BUDGET_MS).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  controller.signal.addEventListener('abort', () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return controller;
}

function print(ctx: CommandContext, json: boolean, result: IncrementalResult): void {
  ctx.out(json ? JSON.stringify(result) : describe(result));
  if (result.redisError)
    ctx.err(`warning: Redis tracking keys not updated (${result.redisError}); the next run rebuilds them`);
}

// The stages (DuckDB, the store, Redis) are imported when a command runs.
const stages = () => import('./incremental-stages.js');

async function runIncrementalCommand(
  context: ContextFactory,
  opts: { watch: boolean; json: boolean },
): Promise<void> {
  const ctx = context();
  await (
    await stages()
  ).withResources(ctx, { serve: opts.watch }, async ({ db, redis }) => {
    const deps = { config: ctx.config, logger: ctx.logger, db, redis };
    if (!opts.watch) {
      print(ctx, opts.json, await (await stages()).runIncremental(deps));
      return;
    }
    const controller = abortOnSignals();
    ctx.err(`watching ${ctx.config.paths.incrementalRawDir} (Ctrl-C to stop)`);
    await (
      await stages()
    ).watchIncremental(deps, {
      signal: controller.signal,
      onResult: (result) => {
        if (
          result.status === 'committed' ||
          result.outputRebuilt ||
          result.trackingRebuilt ||
          result.skipped.length > 0
        )
          print(ctx, opts.json, result);
      },
      onError: (error) => ctx.err(`incremental run failed: ${error.message}`),
    });
  });
}

async function simulateArrivalCommand(
  context: ContextFactory,
  opts: { every: number; from?: string },
): Promise<void> {
  const ctx = context();
  const controller = abortOnSignals();
  const delivered = await (
    await stages()
  ).simulateArrival({
    from: path.resolve(opts.from ?? ctx.config.paths.rawDir),
    to: ctx.config.paths.incrementalRawDir,
    everyMs: opts.every,
    signal: controller.signal,
    onDelivered: (batch, files) => ctx.out(`delivered batch ${batch}: ${files.length} file(s)`),
  });
  controller.abort();
  ctx.out(
    delivered.length
      ? `delivered ${delivered.length} batch(es)`
      : 'nothing to deliver: every folder is already there',
  );
}

type Stages = Awaited<ReturnType<typeof stages>>;

/** `status` in words: ledger, pending/rejected/duplicate files, whether Redis agrees. */
function statusLines(status: Awaited<ReturnType<Stages['ingestStatus']>>): string[] {
  const lines = [
    `committed batches: ${status.committedBatches.join(', ') || '(none)'} (${status.committedFiles} file(s), ledger generation ${status.generation})`,
    `pending files: ${status.pendingFiles.length || '(none)'}`,
  ];
  for (const f of status.pendingFiles) lines.push(`  ${f.path}: ${f.reason}`);
  const rejected = status.skippedFiles.filter((f) => f.status === 'rejected');
  const duplicates = status.skippedFiles.filter((f) => f.status === 'duplicate');
  lines.push(`rejected files: ${rejected.length || '(none)'}`);
  for (const f of rejected) lines.push(`  ${f.path}: ${f.reason}`);
  if (duplicates.length > 0) lines.push(`duplicate files (not counted): ${duplicates.length}`);
  for (const f of duplicates) lines.push(`  ${f.path}: ${f.reason}`);
  if (rejected.length + duplicates.length > 0)
    lines.push('fix a file and it is read again, or: orderflow files retry <path>');
  const r = status.redis;
  lines.push(
    r.error
      ? `redis: unreachable (${r.error})`
      : `redis: processed_days = {${r.state!.processedDays.join(', ')}}, last_processed_day = ${r.state!.lastProcessedDay ?? '(unset)'} — ${r.agrees ? 'agrees with the ledger' : 'DISAGREES with the ledger (the next incremental run rebuilds it)'}`,
  );
  return lines;
}

async function statusCommand(context: ContextFactory, opts: { json: boolean }): Promise<void> {
  const ctx = context();
  await (
    await stages()
  ).withResources(ctx, {}, async ({ db, redis }) => {
    const { ingestStatus, readTopology } = await stages();
    const status = await ingestStatus(ctx.config, db, redis);
    const topology = redis ? await readTopology(redis, ctx.config).catch(() => null) : null;
    if (opts.json) return ctx.out(JSON.stringify({ ...status, redisTopology: topology }));
    for (const line of statusLines(status)) ctx.out(line);
    if (topology) ctx.out(describeTopology(topology));
  });
}

async function retryFile(context: ContextFactory, file: string): Promise<void> {
  const ctx = context();
  const raw = ctx.config.paths.incrementalRawDir;
  const relative = path.isAbsolute(file) ? path.relative(raw, file) : file;
  const key = relative.split(path.sep).join('/');
  await (
    await stages()
  ).withResources(ctx, {}, async ({ db }) => {
    const ledger = new (await stages()).Ledger(db);
    if (!(await ledger.retry(key))) {
      throw new NotFoundError(`no rejected or duplicate file ${JSON.stringify(key)}: see orderflow status`);
    }
    ctx.out(`${key} will be read again by the next incremental run`);
  });
}

const INCREMENTAL_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'incremental',
    description: 'Fold newly arrived files in DATA_DIR/incremental/raw into the aggregate, exactly once',
    options: [
      {
        flags: '--watch',
        description: 'keep running: process files as they land (file events + periodic rescan)',
        default: false,
      },
      { flags: '--json', description: 'print results as JSON', default: false },
    ],
    action: runIncrementalCommand,
  },
  {
    name: 'simulate-arrival',
    description: 'Copy day folders into DATA_DIR/incremental/raw one at a time, as if they arrived over time',
    options: [
      {
        flags: '--every <duration>',
        description: 'pause between folders, with its unit (500ms, 5s, 2m)',
        parse: parseDurationFlag('--every'),
        default: 5000,
        defaultDescription: '5s',
      },
      { flags: '--from <dir>', description: 'folder of day folders (default DATA_DIR/raw)' },
    ],
    action: simulateArrivalCommand,
  },
  {
    name: 'status',
    description: 'Committed batches and files, pending files, and whether Redis agrees with the ledger',
    options: [{ flags: '--json', description: 'print as JSON', default: false }],
    action: statusCommand,
  },
];

const FILE_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'files',
    description: 'Incoming files the incremental stage rejected or skipped as duplicates',
    subcommands: [
      {
        name: 'retry <path>',
        description:
          'Read a rejected or duplicate file again in the next incremental run (path relative to the landing folder, e.g. 3/orders_3.csv)',
        action: retryFile,
      },
    ],
  },
];

export function registerIncrementalCommands(program: Command, context: ContextFactory): void {
  addCommands(program, INCREMENTAL_COMMANDS, context);
}

export function registerFileCommands(program: Command, context: ContextFactory): void {
  addCommands(program, FILE_COMMANDS, context);
}
