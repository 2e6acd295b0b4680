// The `orderflow` command line: global flags, one sub-command per stage, errors mapped to exit codes.
// Each command module only parses flags and calls its stage; no logic lives here.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { exitCodeFor, toError } from '../base/errors.js';
import { redactText } from '../base/redact.js';
import {
  createContext,
  processIo,
  type ContextFactory,
  type CommandIo,
  type GlobalOptions,
} from './context.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerCacheCommands } from './cache-commands.js';
import { registerDagActionCommands } from './dag-action-commands.js';
import { registerDagCommands } from './dag-commands.js';
import { registerDataCommands } from './data-commands.js';
import { registerStartCommand } from './start-command.js';
import { registerFileCommands, registerIncrementalCommands } from './incremental-commands.js';
import { registerMlCommands } from './ml-commands.js';
import { registerReprocessCommand } from './reprocess-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerUserCommands } from './user-commands.js';

/** The version in package.json (two folders up from both src/cli and dist/cli). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(io: CommandIo = processIo): Command {
  const program = new Command('orderflow')
    .description('Incremental order aggregation, demand models, a Redis prediction cache and scheduled DAGs.')
    .version(packageVersion(), '-V, --version', 'print the orderflow version')
    .option('--data-dir <dir>', 'data root (env DATA_DIR, default ./data)')
    .option('--redis-url <url>', 'Redis URL (env REDIS_URL)')
    .option('--database-url <url>', 'PostgreSQL URL for metadata (env DATABASE_URL; unset → embedded PGlite)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    });
  const context: ContextFactory = () => createContext(program.opts<GlobalOptions>(), io);
  registerStartCommand(program, context);
  registerDataCommands(program, context);
  registerIncrementalCommands(program, context);
  registerFileCommands(program, context);
  registerReprocessCommand(program, context);
  registerMlCommands(program, context);
  registerServeCommand(program, context);
  registerCacheCommands(program, context);
  registerDagCommands(program, context);
  registerDagActionCommands(program, context);
  registerUserCommands(program, context);
  registerAdminCommands(program, context);
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 bad usage or input. */
export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    const error = toError(err);
    io.err(`orderflow: ${redactText(error.message)}`);
    return exitCodeFor(err);
  }
}
