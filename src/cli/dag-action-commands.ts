// `orderflow dags clear <run-id> [task…]` and `dags mark <run-id> <task> success|failed`: the run panel's actions
// from the command line. They go through the same service as the API (so `--json` prints what the API answers)
// and are recorded in the audit log as done through the CLI by the OS user.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../base/errors.js';
import type { InterventionResult as InterventionAnswer } from '../orchestration/interventions.js';
import type { CommandContext, ContextFactory } from './context.js';

const stages = () => import('./dag-action-stages.js');

/** Runs one action on the pipeline runtime and audits it (ok or failed) as the OS user through the CLI. */
async function act(
  ctx: CommandContext,
  action: string,
  target: string,
  fn: (
    service: InstanceType<Awaited<ReturnType<typeof stages>>['OrchestrationDagService']>,
  ) => Promise<InterventionAnswer>,
): Promise<InterventionAnswer> {
  const { openPipelineRuntime, OrchestrationDagService, DbAuditLog, connectRedis } = await stages();
  (await connectRedis(ctx.config)).disconnect();
  const rt = await openPipelineRuntime(ctx.config, ctx.logger);
  const audit = new DbAuditLog(rt.db);
  const entry = { actor: userInfo().username, via: 'cli' as const, action, target, status: null };
  try {
    const result = await fn(new OrchestrationDagService(rt));
    await audit.record({ ...entry, outcome: 'ok', detail: { tasks: result.tasks } });
    return result;
  } catch (error) {
    await audit.record({ ...entry, outcome: 'failed', detail: null }).catch(() => undefined);
    throw error;
  } finally {
    await rt.close();
  }
}

function parseRunId(value: string): number {
  if (!/^\d{1,15}$/.test(value))
    throw new UsageError(`run id ${JSON.stringify(value)}: expected a number (see \`dags runs <dag>\`)`);
  return Number(value);
}

function print(ctx: CommandContext, json: boolean | undefined, verb: string, r: InterventionAnswer): void {
  ctx.out(json ? JSON.stringify(r) : `run ${r.runId} of ${r.dagId}: ${verb} ${r.tasks.join(', ')}`);
}

export function registerDagActionCommands(program: Command, context: ContextFactory): void {
  const dags = program.commands.find((c) => c.name() === 'dags');
  if (!dags) throw new Error('the dags command must be registered first');

  dags
    .command('clear <run-id> [tasks...]')
    .description('Run tasks of an ended run again, with every task after them (all tasks when none is named)')
    .option('--only-failed', 'only the tasks that failed or were blocked by a failure')
    .option('--no-downstream', 'not the tasks that depend on the named ones')
    .option('--json', 'JSON: { runId, dagId, tasks } as POST /api/runs/:id/clear answers')
    .action(
      async (
        runId: string,
        tasks: string[],
        flags: { onlyFailed?: boolean; downstream: boolean; json?: boolean },
      ) => {
        const ctx = context();
        const options = {
          ...(tasks.length > 0 ? { tasks } : {}),
          onlyFailed: flags.onlyFailed ?? false,
          downstream: flags.downstream,
        };
        const result = await act(ctx, 'runs.clear', runId, (s) =>
          s.clear(parseRunId(runId), options, userInfo().username),
        );
        print(ctx, flags.json, 'cleared', result);
      },
    );

  dags
    .command('mark <run-id> <task> <state>')
    .description('Record a task of an ended run as success or failed (success also runs what it had blocked)')
    .option('--json', 'JSON: { runId, dagId, tasks } as POST /api/runs/:id/tasks/:task/mark answers')
    .action(async (runId: string, task: string, state: string, flags: { json?: boolean }) => {
      if (state !== 'success' && state !== 'failed')
        throw new UsageError(`state ${JSON.stringify(state)}: success or failed`);
      const ctx = context();
      const result = await act(ctx, 'tasks.mark', `${runId}/${task}`, (s) =>
        s.mark(parseRunId(runId), task, state, userInfo().username),
      );
      print(ctx, flags.json, `marked ${state}`, result);
    });
}
