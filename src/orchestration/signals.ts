// Long-running processes (`start`, `up`, `scheduler`, `worker`, `serve`) run until SIGINT or SIGTERM, then close
// what they started in reverse order, once, within a budget: each close gets what is left of it, and one that
// does not finish in time (a Redis or PostgreSQL that is down) is left behind with a warning so the process
// still ends. A second signal while closing exits at once (exit code 130).
import { settlesWithin } from '../base/bounded.js';
import type { Logger } from '../base/log.js';

export interface Closable {
  close(): Promise<void>;
}

/** Whole time closing may take; what is still open after it is abandoned. @defaultValue 8000 */
export const SHUTDOWN_BUDGET_MS = 8_000;

export interface RunUntilSignalOptions {
  signals?: readonly NodeJS.Signals[];
  /** @defaultValue SHUTDOWN_BUDGET_MS */
  budgetMs?: number;
  /**
   * Called once the signal handlers are installed: say "running" here, since a SIGTERM that comes before the
   * handlers kills the process without any shutdown.
   */
  ready?: () => void;
}

export async function runUntilSignal(
  handles: readonly Closable[],
  logger: Logger,
  options: RunUntilSignalOptions = {},
): Promise<void> {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const waiting: (() => void)[] = [];
  const reason = await new Promise<string>((resolve) => {
    for (const s of signals) {
      const on = (): void => resolve(s);
      process.once(s, on);
      waiting.push(() => process.removeListener(s, on));
    }
    options.ready?.();
  });
  for (const remove of waiting) remove();
  logger.info({ reason }, 'shutting down');
  const force = (): void => {
    logger.warn('second signal: exiting without a clean shutdown');
    process.exit(130);
  };
  for (const s of signals) process.once(s, force);
  try {
    await closeWithin(handles, logger, options.budgetMs ?? SHUTDOWN_BUDGET_MS);
  } finally {
    for (const s of signals) process.removeListener(s, force);
  }
}

/** Closes `handles` in reverse order, each within what is left of `budgetMs`; never throws. */
async function closeWithin(handles: readonly Closable[], logger: Logger, budgetMs: number): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (const handle of [...handles].reverse()) {
    const closing = handle.close().catch((err: unknown) => {
      logger.error({ err }, 'error during shutdown (continuing)');
    });
    if (!(await settlesWithin(closing, deadline - Date.now()))) {
      logger.warn(
        { budgetMs },
        'shutdown: a component did not close in time (Redis or PostgreSQL unreachable?); exiting without it',
      );
      return;
    }
  }
}
