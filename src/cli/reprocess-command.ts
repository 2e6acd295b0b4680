// `orderflow reprocess --batch B [--file F] [--apply] [--json]`: re-read committed batches or files. Without
// --apply it is a dry run (the cells and cache keys that would change; nothing is written); with --apply the files
// are forgotten in the ledger and an incremental run reads them again at once. Audited as the OS user via the CLI.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { ContextFactory } from './context.js';

const stages = () => import('./reprocess-stages.js');
const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerReprocessCommand(program: Command, context: ContextFactory): void {
  program
    .command('reprocess')
    .description('Re-read committed batches/files: a dry run of the cells that would change, or --apply')
    .option('--batch <batch>', 'a committed batch folder (repeatable)', collect, [])
    .option('--file <path>', 'a committed file, "<batch>/<name>.csv" (repeatable)', collect, [])
    .option('--apply', 'forget the files in the ledger and run the incremental stage on them now', false)
    .option('--json', 'JSON as POST /api/ingest/reprocess answers', false)
    .action(async (flags: { batch: string[]; file: string[]; apply: boolean; json: boolean }) => {
      const ctx = context();
      const { withResources, reprocess, reprocessPlanRecord, runIncremental, DbAuditLog } = await stages();
      await withResources(ctx, {}, async ({ db, redis }) => {
        const audit = new DbAuditLog(db);
        const entry = {
          actor: userInfo().username,
          via: 'cli' as const,
          action: 'ingest.reprocess',
          target: null,
        };
        const chosen = { batches: flags.batch, files: flags.file };
        try {
          const plan = await reprocess({ config: ctx.config, db, redis }, chosen, { apply: flags.apply });
          const detail = {
            apply: flags.apply,
            ...chosen,
            cells: plan.cells.length,
            cacheKeys: plan.cacheKeys,
          };
          await audit.record({ ...entry, outcome: 'ok', status: null, detail });
          const run = plan.applied
            ? await runIncremental({ config: ctx.config, logger: ctx.logger, db, redis })
            : null;
          if (flags.json)
            return ctx.out(
              JSON.stringify(run ? { ...reprocessPlanRecord(plan), run } : reprocessPlanRecord(plan)),
            );
          for (const f of plan.files) ctx.out(`${f.path}: ${f.status}`);
          for (const c of plan.cells.slice(0, 50))
            ctx.out(`  day ${c.day} hour ${c.hour} ${c.category}: ${c.before} → ${c.after}`);
          if (plan.cells.length > 50) ctx.out(`  … and ${plan.cells.length - 50} more cell(s)`);
          ctx.out(
            `${plan.cells.length} cell(s) would change, ${plan.cacheKeys ?? 'unknown'} cached prediction(s) with them` +
              (run
                ? `; re-read: incremental run ${run.status}`
                : plan.applied
                  ? ''
                  : ' (dry run: add --apply)'),
          );
        } catch (error) {
          await audit
            .record({ ...entry, outcome: 'failed', status: null, detail: chosen })
            .catch(() => undefined);
          throw error;
        }
      });
    });
}
