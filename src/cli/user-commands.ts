// `orderflow users add|remove|list|passwd|token`: the dashboard's and API's users, their roles and tokens. A
// password is read from standard input with --password-stdin (never a flag: flags show in `ps`), or generated and
// printed once. Every change is recorded in the audit log as done through the CLI by the OS user.
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { addCommand, type CommandSpec } from './command-spec.js';
import type { CommandContext, ContextFactory } from './context.js';

const stages = () => import('./user-stages.js');

async function readPassword(
  fromStdin: boolean | undefined,
): Promise<{ password: string; generated: boolean }> {
  const { generatePassword } = await stages();
  if (!fromStdin) return { password: generatePassword(), generated: true };
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return { password: line.replace(/\r$/, ''), generated: false };
  }
  return { password: '', generated: false };
}

/** Runs one user change with the store open, and audits it (ok or failed) as the OS user through the CLI. */
async function change(
  ctx: CommandContext,
  action: string,
  target: string,
  fn: (db: Awaited<ReturnType<Awaited<ReturnType<typeof stages>>['openStore']>>) => Promise<void>,
): Promise<void> {
  const { openStore, DbAuditLog } = await stages();
  const db = await openStore(ctx.config, ctx.logger);
  const audit = new DbAuditLog(db);
  const entry = {
    actor: userInfo().username,
    via: 'cli' as const,
    action,
    target,
    status: null,
    detail: null,
  };
  try {
    await fn(db);
    await audit.record({ ...entry, outcome: 'ok' });
  } catch (error) {
    await audit.record({ ...entry, outcome: 'failed' }).catch(() => undefined);
    throw error;
  } finally {
    await db.close();
  }
}

async function addUserCommand(
  context: ContextFactory,
  name: string,
  flags: { role: string; passwordStdin?: boolean },
): Promise<void> {
  const ctx = context();
  const { parseRole, addUser } = await stages();
  const role = parseRole(flags.role);
  const { password, generated } = await readPassword(flags.passwordStdin);
  await change(ctx, 'users.add', name, async (db) => void (await addUser(db, name, role, password)));
  ctx.out(`user ${name} (${role})${generated ? `: password ${password} (shown once)` : ''}`);
}

async function removeUserCommand(context: ContextFactory, name: string): Promise<void> {
  const ctx = context();
  const { removeUser } = await stages();
  await change(ctx, 'users.remove', name, (db) => removeUser(db, name));
  ctx.out(`removed user ${name}`);
}

async function passwdCommand(
  context: ContextFactory,
  name: string,
  flags: { passwordStdin?: boolean },
): Promise<void> {
  const ctx = context();
  const { setPassword } = await stages();
  const { password, generated } = await readPassword(flags.passwordStdin);
  await change(ctx, 'users.password', name, (db) => setPassword(db, name, password));
  ctx.out(`password of ${name} set${generated ? `: ${password} (shown once)` : ''}`);
}

async function tokenCommand(context: ContextFactory, name: string, flags: { name: string }): Promise<void> {
  const ctx = context();
  const { createToken } = await stages();
  let token = '';
  await change(
    ctx,
    'users.tokens',
    name,
    async (db) => void (token = await createToken(db, name, flags.name)),
  );
  ctx.out(token);
}

async function listUsersCommand(context: ContextFactory, flags: { json?: boolean }): Promise<void> {
  const ctx = context();
  const { openStore, listUsers } = await stages();
  const db = await openStore(ctx.config, ctx.logger);
  try {
    const list = await listUsers(db);
    if (flags.json) ctx.out(JSON.stringify({ users: list }));
    else for (const u of list) ctx.out(`${u.username.padEnd(20)} ${u.role.padEnd(9)} ${u.tokens} token(s)`);
  } finally {
    await db.close();
  }
}

const PASSWORD_STDIN = {
  flags: '--password-stdin',
  description: 'read the password from the first line of standard input (else one is generated)',
};

const USERS: CommandSpec = {
  name: 'users',
  description: 'Users of the dashboard and API, with their roles',
  subcommands: [
    {
      name: 'add <name>',
      description: 'Add a user, or change the role (and password) of one',
      options: [
        {
          flags: '--role <role>',
          description: 'viewer (read), operator (also trigger, pause, rerun, reprocess), admin',
          required: true,
        },
        PASSWORD_STDIN,
      ],
      action: addUserCommand,
    },
    {
      name: 'remove <name>',
      description: 'Remove a user with their sessions and tokens',
      action: removeUserCommand,
    },
    {
      name: 'passwd <name>',
      description: "Set a user's password (ends their sessions)",
      options: [PASSWORD_STDIN],
      action: passwdCommand,
    },
    {
      name: 'token <name>',
      description: "A new API token acting with the user's role (shown once)",
      options: [{ flags: '--name <label>', description: 'what the token is for', default: 'api' }],
      action: tokenCommand,
    },
    {
      name: 'list',
      description: 'Every user with their role',
      options: [
        {
          flags: '--json',
          description: 'JSON: { users: [{ username, role, createdAt, tokens }] } as GET /api/users',
        },
      ],
      action: listUsersCommand,
    },
  ],
};

export function registerUserCommands(program: Command, context: ContextFactory): void {
  addCommand(program, USERS, context);
}
