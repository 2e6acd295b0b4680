// Commands of the cache stage: cache refresh|stats|clear, and the `predict --cached` answer used by
// ml-commands. Flags become options; the work is in src/cache.
import type { Command } from 'commander';
import type { CacheStats } from '../cache/stats.js';
import { parseDay, parseHour } from '../ml/cell.js';
import { explainModel, explanationLines } from '../ml/lineage.js';
import type { Redis } from '../redis/redis.js';
import { describeRedisTarget } from '../redis/redis-options.js';
import { addCommand, type CommandSpec } from './command-spec.js';
import type { CommandContext, ContextFactory } from './context.js';

// The stage (and ioredis with it) is imported when a command runs: CLI start-up stays short for the others.
const stages = () => import('./cache-stages.js');

async function withRedis<T>(ctx: CommandContext, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await (await stages()).connectRedis(ctx.config);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)} ms`;

function age(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
}

function statsLines(s: CacheStats): string[] {
  const version =
    s.cachedVersion === null
      ? `none cached (current model: ${s.currentVersion ?? 'none trained'})`
      : `${s.cachedVersion} cached, ${s.currentVersion ?? 'none'} current${s.upToDate ? ' (up to date)' : ' (STALE: run `orderflow cache refresh`)'}`;
  return [
    `cached predictions  ${s.cachedPredictions}`,
    `model version       ${version}`,
    `last refresh        ${s.lastRefreshAt ?? '-'} (${age(s.lastRefreshAgeSeconds)}${s.lastRefreshDurationMs === null ? '' : `, took ${ms(s.lastRefreshDurationMs)}`})`,
    `hits / misses       ${s.hits} / ${s.misses} (hit rate ${s.hitRate === null ? '-' : `${(s.hitRate * 100).toFixed(1)} %`})`,
    `redis memory used   ${(s.redisMemoryUsedBytes / 2 ** 20).toFixed(1)} MiB`,
    `lookup latency      ${s.lookupLatency ? `p50 ${ms(s.lookupLatency.p50Ms)}, p99 ${ms(s.lookupLatency.p99Ms)} (${s.lookupLatency.samples} GETs)` : '- (cache empty)'}`,
  ];
}

/**
 * `predict --cached <day> <hour> <category>`: Redis first, the model on a miss or when Redis is unreachable
 * (a warning on stderr, exit 0). A miss waits for the rewarm it started before the process ends.
 */
export async function predictCached(
  ctx: CommandContext,
  day: string,
  hour: string,
  category: string,
  json: boolean,
  explain = false,
): Promise<void> {
  const d = parseDay(day);
  const h = parseHour(hour);
  const warnings: string[] = [];
  const { Predictor, cachedPredictionRecord } = await stages();
  const predictor = await Predictor.create({
    config: ctx.config,
    onWarning: (message, error) => warnings.push(`warning: ${message} (${error.message})`),
  });
  try {
    const answer = await predictor.predict(d, h, category);
    // Unreachable Redis gets one plain line naming REDIS_URL instead of the client's message.
    if (answer.missReason === 'unavailable') {
      ctx.err(`warning: Redis at ${describeRedisTarget(ctx.config)} is unreachable; answered from the model`);
    }
    const explanation = explain ? explainModel(await predictor.models.require()) : undefined;
    ctx.out(
      json
        ? JSON.stringify({
            ...cachedPredictionRecord(answer),
            ...(explanation ? { explain: explanation } : {}),
          })
        : `Predicted items: ${answer.prediction.toFixed(2)} (source: ${answer.source})`,
    );
    if (explanation && !json) for (const line of explanationLines(explanation)) ctx.out(line);
    const rewarm = await predictor.idle();
    // Other warnings (a failed rewarm) once the rewarm has ended.
    if (answer.missReason !== 'unavailable') for (const w of warnings) ctx.err(w);
    if (rewarm?.status === 'refreshed') {
      ctx.err(
        `cache miss (${answer.missReason}): cache rewarmed with ${rewarm.modelVersion} (${rewarm.count} keys)`,
      );
    }
  } finally {
    await predictor.close();
  }
}

type RefreshResult = Awaited<ReturnType<Awaited<ReturnType<typeof stages>>['refreshCache']>>;

function refreshLine(result: RefreshResult): string {
  if (result.status === 'no-model')
    return 'no model trained yet: run `orderflow train` first; cache untouched';
  if (result.status === 'unchanged')
    return `unchanged: the cache already holds ${result.modelVersion} (${result.count} keys); use --force to rewrite`;
  return (
    `refreshed: ${result.count} predictions of ${result.modelVersion} in ${ms(result.durationMs)}` +
    (result.previousVersion ? ` (was ${result.previousVersion})` : '') +
    (result.staleKeysDeleted ? `; ${result.staleKeysDeleted} stale keys removed` : '') +
    (result.replicasAcknowledged === null
      ? ''
      : result.replicasAcknowledged > 0
        ? '; a replica acknowledged it'
        : '; WARNING: no replica acknowledged it in time')
  );
}

async function refresh(context: ContextFactory, flags: { force: boolean; json: boolean }): Promise<void> {
  const ctx = context();
  const { refreshCache } = await stages();
  const result = await withRedis(ctx, (redis) =>
    refreshCache({ config: ctx.config, logger: ctx.logger, redis }, { force: flags.force }),
  );
  ctx.out(flags.json ? JSON.stringify(result) : refreshLine(result));
  if (result.status === 'no-model') process.exitCode = 1;
}

async function stats(context: ContextFactory, flags: { json: boolean }): Promise<void> {
  const ctx = context();
  const { cacheStats } = await stages();
  const stats = await withRedis(ctx, (redis) => cacheStats({ config: ctx.config, redis }));
  if (flags.json) ctx.out(JSON.stringify(stats));
  else for (const line of statsLines(stats)) ctx.out(line);
}

async function clear(context: ContextFactory, flags: { json: boolean }): Promise<void> {
  const ctx = context();
  const { RedisPredictionCache } = await stages();
  const removed = await withRedis(ctx, (redis) => new RedisPredictionCache(redis, ctx.config).clear());
  ctx.out(flags.json ? JSON.stringify({ removed }) : `cleared: ${removed} keys removed`);
}

const CACHE: CommandSpec = {
  name: 'cache',
  description:
    'The Redis prediction cache: keys "{day}:{hour}:{category}" holding the current model\'s predictions',
  subcommands: [
    {
      name: 'refresh',
      description:
        'Write every cell of the current model to Redis in one atomic step (nothing to do if already cached); ' +
        'exit 1 when no model is trained',
      options: [
        {
          flags: '--force',
          description: 'rewrite even when the cache holds the current model version',
          default: false,
        },
        { flags: '--json', description: 'print the result as JSON', default: false },
      ],
      action: refresh,
    },
    {
      name: 'stats',
      description:
        'Cached predictions, model version cached vs current, last refresh, hits/misses, memory, latency',
      options: [{ flags: '--json', description: 'print as JSON', default: false }],
      action: stats,
    },
    {
      name: 'clear',
      description: "Delete orderflow's cache keys (cells, meta, counters) and nothing else",
      options: [{ flags: '--json', description: 'print the result as JSON', default: false }],
      action: clear,
    },
  ],
};

export function registerCacheCommands(program: Command, context: ContextFactory): void {
  addCommand(program, CACHE, context);
}
