// Commands of the DAG scheduler: `scheduler`, `worker`, `up` (long-running, until SIGINT/SIGTERM) and
// `dags list|pause|unpause|trigger|runs|logs`. Flags become options; the work is in src/orchestration,
// loaded only when one of these commands runs (BullMQ and Fastify cost ~0.3 s to import).
import type { Command } from 'commander';
import { UsageError } from '../base/errors.js';
import { formatTable } from '../ml/report.js';
import { formatFields, logFields } from '../orchestration/log-fields.js';
import type { RunListEntry } from '../orchestration/queries.js';
import type { OrchestrationRuntime } from '../orchestration/runtime.js';
import type { Closable } from '../orchestration/signals.js';
import { addCommands, type CommandSpec } from './command-spec.js';
import type { CommandContext, ContextFactory } from './context.js';
import { parseIntegerFlag } from './options.js';
import { partsCell, processingLines } from './processing-format.js';

const engine = () => import('./dag-engine.js');

/** Opens the pipeline runtime for one short command (Redis checked first, for a clear error) and closes it. */
async function withRuntime<T>(ctx: CommandContext, fn: (rt: OrchestrationRuntime) => Promise<T>): Promise<T> {
  (await (await engine()).connectRedis(ctx.config)).disconnect();
  const rt = await (await engine()).openPipelineRuntime(ctx.config, ctx.logger);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

const when = (iso: string | null): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
const duration = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`);

/** A run's row; `parts` adds the PARTS cell (runs of the incremental DAG). */
function runRow(r: RunListEntry, parts: boolean): string[] {
  return [
    String(r.id),
    r.state,
    r.trigger,
    when(r.plannedAt),
    when(r.startedAt),
    duration(r.durationMs),
    ...(parts ? [partsCell(r.processing) || '-'] : []),
    r.note ?? '',
  ];
}

function parseRunId(value: string): number {
  if (!/^\d+$/.test(value))
    throw new UsageError(`run id ${JSON.stringify(value)}: expected a number (see \`dags runs <dag>\`)`);
  return Number(value);
}

/** `--param force=true --param note=x` → { force: true, note: 'x' } (a value that parses as JSON is JSON). */
function collectParam(value: string, params: Record<string, unknown>): Record<string, unknown> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new UsageError(`--param ${JSON.stringify(value)}: expected key=value`);
  const raw = value.slice(eq + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Not JSON: the value is the string itself.
  }
  return { ...params, [value.slice(0, eq)]: parsed };
}

async function runScheduler(context: ContextFactory): Promise<void> {
  const ctx = context();
  await (await engine()).connectRedis(ctx.config).then((r) => r.disconnect());
  const rt = await (await engine()).openPipelineRuntime(ctx.config, ctx.logger, { serve: true });
  const handles: Closable[] = [rt];
  try {
    handles.push(
      await (
        await engine()
      ).startScheduler(rt, {
        // A bucket has no cheap change events: its arrivals are found by the incremental DAG's schedule.
        fileTrigger: ctx.config.ingest.landing.startsWith('s3://')
          ? undefined
          : { dir: ctx.config.ingest.landing, dagId: (await engine()).FILE_TRIGGERED_DAG },
      }),
    );
  } catch (err) {
    await rt.close();
    throw err;
  }
  await (
    await engine()
  ).runUntilSignal(handles, ctx.logger, {
    ready: () => ctx.err(`scheduler running (DAGs: ${rt.registry.ids().join(', ')}); Ctrl-C to stop`),
  });
}

async function runWorker(context: ContextFactory, flags: { concurrency: number }): Promise<void> {
  const ctx = context();
  await (await engine()).connectRedis(ctx.config).then((r) => r.disconnect());
  const rt = await (await engine()).openPipelineRuntime(ctx.config, ctx.logger, { serve: true });
  const handles: Closable[] = [rt];
  try {
    handles.push(await (await engine()).startWorker(rt, { concurrency: flags.concurrency }));
  } catch (err) {
    await rt.close();
    throw err;
  }
  await (
    await engine()
  ).runUntilSignal(handles, ctx.logger, {
    ready: () => ctx.err(`worker running (concurrency ${flags.concurrency}); Ctrl-C to stop`),
  });
}

async function runUp(context: ContextFactory, flags: { concurrency: number; http: boolean }): Promise<void> {
  const ctx = context();
  const lock = (await engine()).acquireInstanceLock(ctx.config.dataDir, 'up');
  try {
    await (await engine()).connectRedis(ctx.config).then((r) => r.disconnect());
    // The same composition as `orderflow start` (runtime, worker, scheduler; `http` adds the API), closed
    // in reverse order on SIGINT/SIGTERM.
    const pipeline = await (
      await engine()
    ).startPipelineProcess(ctx.config, ctx.logger, {
      concurrency: flags.concurrency,
      http: flags.http,
      announce: ctx.err,
    });
    if (pipeline.server) lock.setUrl(pipeline.server.url);
    const api = pipeline.server ? `; API and dashboard on ${pipeline.server.url}` : '';
    await (
      await engine()
    ).runUntilSignal(pipeline.handles, ctx.logger, {
      ready: () =>
        ctx.err(
          `orderflow up: scheduler and worker running (DAGs: ${pipeline.runtime.registry.ids().join(', ')})${api}; Ctrl-C to stop`,
        ),
    });
  } finally {
    lock.release();
  }
}

async function listDags(context: ContextFactory, flags: { json: boolean }): Promise<void> {
  const ctx = context();
  const list = await withRuntime(ctx, async (rt) => (await engine()).listDags(rt));
  if (flags.json) {
    ctx.out(JSON.stringify(list));
    return;
  }
  const rows = list.map((d) => [
    d.id,
    d.scheduleText,
    d.paused ? 'yes' : 'no',
    d.lastRun ? `#${d.lastRun.id} ${d.lastRun.state}` : '-',
    when(d.lastRun?.plannedAt ?? null),
    d.activeRunId === null ? '-' : `#${d.activeRunId}`,
    d.paused ? 'paused' : when(d.nextRunAt),
  ]);
  for (const line of formatTable(
    ['DAG', 'SCHEDULE', 'PAUSED', 'LAST RUN', 'LAST RUN AT', 'ACTIVE', 'NEXT RUN'],
    rows,
  )) {
    ctx.out(line);
  }
}

/** `dags pause <dag>` (paused) or `dags unpause <dag>`, audited. */
function setPaused(name: 'pause' | 'unpause') {
  const paused = name === 'pause';
  return async (context: ContextFactory, dagId: string): Promise<void> => {
    const ctx = context();
    await withRuntime(ctx, async (rt) =>
      (await engine()).audited(rt.db, `dags.${name}`, dagId, async () =>
        paused ? (await engine()).pauseDag(rt, dagId) : (await engine()).unpauseDag(rt, dagId),
      ),
    );
    ctx.out(`${dagId}: ${paused ? 'paused' : 'unpaused'}`);
  };
}

async function triggerDag(
  context: ContextFactory,
  dagId: string,
  flags: { json: boolean; param: Record<string, unknown> },
): Promise<void> {
  const ctx = context();
  const params = Object.keys(flags.param).length > 0 ? flags.param : undefined;
  const result = await withRuntime(ctx, async (rt) =>
    (await engine()).audited(
      rt.db,
      'dags.trigger',
      dagId,
      async () => (await engine()).triggerDag(rt, dagId, params),
      () => (params ? { params } : null),
    ),
  );
  if (flags.json) ctx.out(JSON.stringify(result));
  else if (result.outcome === 'created') ctx.out(`${dagId}: run ${result.runId} queued`);
  else if (result.outcome === 'skipped')
    ctx.out(`${dagId}: run ${result.runId} skipped: run ${result.activeRunId} is still active`);
  else ctx.out(`${dagId}: ${result.outcome}`);
}

async function listRuns(
  context: ContextFactory,
  dagId: string,
  flags: { limit: number; json: boolean },
): Promise<void> {
  const ctx = context();
  const runs = await withRuntime(ctx, async (rt) =>
    (await engine()).listRuns(rt, dagId, { limit: flags.limit }),
  );
  if (flags.json) {
    ctx.out(JSON.stringify(runs));
    return;
  }
  if (runs.length === 0) {
    ctx.out(`${dagId}: no runs yet`);
    return;
  }
  const parts = runs.some((r) => r.processing !== null);
  for (const line of formatTable(
    ['RUN', 'STATE', 'TRIGGER', 'PLANNED', 'STARTED', 'DURATION', ...(parts ? ['PARTS'] : []), 'NOTE'],
    runs.map((r) => runRow(r, parts)),
  )) {
    ctx.out(line);
  }
}

type RunDetail = Awaited<ReturnType<Awaited<ReturnType<typeof engine>>['getRun']>>;

/** `dags logs`: the run's line, its processing lines, then each task try with its log lines. */
function runLogLines(run: RunDetail): string[] {
  const lines = [
    `run ${run.id} of ${run.dagId}: ${run.state} (${run.trigger}, ${duration(run.durationMs)})${run.note ? ` — ${run.note}` : ''}`,
  ];
  if (run.processing) lines.push(...processingLines(run.processing));
  for (const t of run.tasks) {
    lines.push(
      `── ${t.taskId} try ${t.tryNumber}: ${t.state}${t.worker ? ` on ${t.worker}` : ''} (${duration(t.durationMs)})`,
    );
    if (t.error) lines.push(`   error: ${t.error}`);
    for (const l of t.logs ?? []) {
      const fields = formatFields(logFields(l.line));
      lines.push(
        `   ${when(l.time)} ${l.level.toUpperCase().padEnd(5)} ${l.message}${fields ? `  ${fields}` : ''}`,
      );
    }
  }
  return lines;
}

async function runLogs(
  context: ContextFactory,
  runIdText: string,
  taskId: string | undefined,
  flags: { json: boolean },
): Promise<void> {
  const ctx = context();
  const runId = parseRunId(runIdText);
  const run = await withRuntime(ctx, async (rt) =>
    (await engine()).getRun(rt, runId, { taskId, logs: true }),
  );
  if (flags.json) {
    ctx.out(JSON.stringify(run));
    return;
  }
  for (const line of runLogLines(run)) ctx.out(line);
}

const concurrency = (fallback: number) => ({
  flags: '--concurrency <n>',
  description: 'tasks run at the same time',
  parse: parseIntegerFlag('--concurrency', 1, 256),
  default: fallback,
});

const json = (description: string) => ({ flags: '--json', description, default: false });

const DAG_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'scheduler',
    description: 'Own the DAG schedules and run bookkeeping until SIGINT/SIGTERM (any number may run)',
    action: runScheduler,
  },
  {
    name: 'worker',
    description: 'Run DAG tasks until SIGINT/SIGTERM (start as many as you like, on any machine)',
    options: [concurrency(1)],
    action: runWorker,
  },
  {
    name: 'up',
    description: 'Scheduler, worker and the HTTP API/dashboard in one process until SIGINT/SIGTERM',
    options: [concurrency(2), { flags: '--no-http', description: 'do not serve the API and dashboard' }],
    action: runUp,
  },
  {
    name: 'dags',
    description: 'List, pause, trigger DAGs and read their run history',
    subcommands: [
      {
        name: 'list',
        description: 'Every DAG: schedule, paused, last run and its state, next run',
        options: [json('print as JSON')],
        action: listDags,
      },
      {
        name: 'pause <dag>',
        description: 'Stop scheduled and event runs of a DAG (an active run finishes)',
        action: setPaused('pause'),
      },
      { name: 'unpause <dag>', description: 'Resume a paused DAG', action: setPaused('unpause') },
      {
        name: 'trigger <dag>',
        description: 'Start a manual run now (also when paused); recorded as skipped if a run is active',
        options: [
          json('print the outcome as JSON'),
          {
            flags: '--param <key=value>',
            description: 'a run parameter the tasks see, e.g. force=true (repeatable)',
            parse: collectParam,
            default: {},
          },
        ],
        action: triggerDag,
      },
      {
        name: 'runs <dag>',
        description: 'Runs of a DAG, newest first',
        options: [
          {
            flags: '--limit <n>',
            description: 'how many',
            parse: parseIntegerFlag('--limit', 1, 10_000),
            default: 20,
          },
          json('print as JSON'),
        ],
        action: listRuns,
      },
      {
        name: 'logs <run-id> [task]',
        description: "A run's task tries and their log lines (optionally of one task)",
        options: [json('print as JSON')],
        action: runLogs,
      },
    ],
  },
];

export function registerDagCommands(program: Command, context: ContextFactory): void {
  addCommands(program, DAG_COMMANDS, context);
}
