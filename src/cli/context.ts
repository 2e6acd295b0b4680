// What every command needs: the config (env + global flags) and a logger, built once per invocation.
import { loadConfig, type Config, type ConfigOverrides } from '../base/config.js';
import { createLogger, type Logger } from '../base/log.js';

export interface GlobalOptions {
  dataDir?: string;
  redisUrl?: string;
  databaseUrl?: string;
}

export interface CommandContext {
  config: Config;
  logger: Logger;
  /** Whether standard error is a terminal: progress bars and colours only then. */
  interactive: boolean;
  /** Where command output goes (stdout); tests may capture it. */
  out: (line: string) => void;
  /** Where warnings and error details go (stderr). */
  err: (line: string) => void;
}

/** The two output streams of a command; tests pass their own to capture them. */
export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Builds the context lazily, once the global flags are parsed; every command module gets one. */
export type ContextFactory = () => CommandContext;

export const processIo: CommandIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

export function createContext(
  globals: GlobalOptions,
  io: CommandIo = processIo,
  env: Record<string, string | undefined> = process.env,
): CommandContext {
  const overrides: ConfigOverrides = {
    DATA_DIR: globals.dataDir,
    REDIS_URL: globals.redisUrl,
    DATABASE_URL: globals.databaseUrl,
  };
  const config = loadConfig(env, overrides);
  return {
    config,
    logger: createLogger(config.logLevel, config.logFormat),
    interactive: Boolean(process.stderr.isTTY),
    out: io.out,
    err: io.err,
  };
}
