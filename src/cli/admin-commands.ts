// `orderflow admin reset-password`: a new dashboard password for the admin user, for when the one printed on the
// first start scrolled away or was lost. Generated and printed once (or read from standard input with
// --password-stdin), stored hashed like the first one. ORDERFLOW_ADMIN_PASSWORD, when set, still wins at the
// next start of the API.
import type { Command } from 'commander';
import { UsageError } from '../base/errors.js';
import type { ContextFactory } from './context.js';

const stages = () => import('./admin-stages.js');

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

export function registerAdminCommands(program: Command, context: ContextFactory): void {
  const admin = program.command('admin').description('Administer the dashboard login');
  admin
    .command('reset-password')
    .description('Set a new password for the dashboard user "admin" (generated and printed once)')
    .option('--password-stdin', 'read the new password from standard input instead of generating one', false)
    .action(async (flags: { passwordStdin: boolean }) => {
      const ctx = context();
      const s = await stages();
      const password = flags.passwordStdin ? await readStdin() : s.generatePassword();
      if (password.length < 8) throw new UsageError('the password must have at least 8 characters');
      const db = await s.openStore(ctx.config, ctx.logger);
      try {
        await s.ensureAdmin(db, password);
      } finally {
        await db.close();
      }
      if (flags.passwordStdin) ctx.out(`the password of "${s.ADMIN_USER}" was changed`);
      else ctx.out(`new password for "${s.ADMIN_USER}" (shown once, stored hashed): ${password}`);
      if (ctx.config.adminPassword !== undefined)
        ctx.err('note: ORDERFLOW_ADMIN_PASSWORD is set; the API sets that password again when it starts');
    });
}
