// `models promote <version>`, `models rollback` and `models history`: moving the current model version by hand
// and reading the promotion log. After the pointer moves the prediction cache is refreshed at once (one atomic
// replace); if Redis cannot be reached the move still stands and the next redis_cache_dag run catches up.
import type { Command } from 'commander';
import { toError } from '../base/errors.js';
import type { PointerMove } from '../ml/promote.js';
import { formatTable } from '../ml/report.js';
import type { Db } from '../store/db.js';
import type { CommandContext, ContextFactory } from './context.js';

const stages = () => import('./ml-stages.js');
const cacheStages = () => import('./cache-stages.js');

async function withDb<T>(ctx: CommandContext, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await (await stages()).openStore(ctx.config, ctx.logger);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Refreshes the cache to the new current version; null (and a warning) when Redis is unreachable. */
async function refreshAfterMove(ctx: CommandContext): Promise<string | null> {
  try {
    const { connectRedis, refreshCache } = await cacheStages();
    const redis = await connectRedis(ctx.config);
    try {
      const result = await refreshCache({ config: ctx.config, logger: ctx.logger, redis });
      return result.status;
    } finally {
      redis.disconnect();
    }
  } catch (err) {
    ctx.err(
      `warning: the prediction cache was not refreshed (${toError(err).message}); run \`orderflow cache refresh\``,
    );
    return null;
  }
}

async function report(ctx: CommandContext, move: PointerMove, json: boolean): Promise<void> {
  const cache = await refreshAfterMove(ctx);
  if (json) ctx.out(JSON.stringify({ ...move, cache }));
  else
    ctx.out(
      `current: ${move.version} (was ${move.previousVersion ?? 'none'}); cache: ${cache ?? 'not refreshed'}`,
    );
}

export function registerPromotionCommands(models: Command, context: ContextFactory): void {
  models
    .command('promote')
    .description('Make a registered version current (a rejected challenger too) and refresh the cache')
    .argument('<version>', 'version, e.g. v3')
    .option('--json', 'print {version, previousVersion, action, cache} as JSON', false)
    .action(async (version: string, flags: { json: boolean }) => {
      const ctx = context();
      const { promoteVersion } = await stages();
      const move = await withDb(ctx, (db) =>
        promoteVersion({ db, modelsDir: ctx.config.paths.modelsDir }, version),
      );
      await report(ctx, move, flags.json);
    });
  models
    .command('rollback')
    .description('Return to the version that was current before the current one and refresh the cache')
    .option('--json', 'print {version, previousVersion, action, cache} as JSON', false)
    .action(async (flags: { json: boolean }) => {
      const ctx = context();
      const { rollbackVersion } = await stages();
      const move = await withDb(ctx, (db) => rollbackVersion({ db, modelsDir: ctx.config.paths.modelsDir }));
      await report(ctx, move, flags.json);
    });
  models
    .command('history')
    .description('Every promotion, rejection, manual promotion and rollback, newest first')
    .option('--json', 'print as JSON', false)
    .action(async (flags: { json: boolean }) => {
      const ctx = context();
      const { listPromotions } = await stages();
      const events = await withDb(ctx, (db) => listPromotions(db));
      if (flags.json) {
        ctx.out(JSON.stringify(events));
        return;
      }
      const fixed = (v: number | null): string => (v === null ? '-' : v.toFixed(4));
      const rows = events.map((e) => [
        e.createdAt,
        e.action,
        e.version,
        e.previousVersion ?? '-',
        fixed(e.challengerRmse),
        fixed(e.championRmse),
        e.reason,
      ]);
      for (const line of formatTable(
        ['at', 'action', 'version', 'was', 'RMSE', 'champion RMSE', 'reason'],
        rows,
      ))
        ctx.out(line);
    });
}
