// Long-running processes (`scheduler`, `worker`, `up`) run until SIGINT or SIGTERM, then close what they started
// in reverse order, once. A second signal while closing exits at once (exit code 130).
import type { Logger } from '../log.js';

export interface Closable {
  close(): Promise<void>;
}

export async function runUntilSignal(
  handles: readonly Closable[],
  logger: Logger,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): Promise<void> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of signals) process.once(s, () => resolve(s));
  });
  logger.info({ signal }, 'shutting down');
  const force = (): void => {
    logger.warn('second signal: exiting without a clean shutdown');
    process.exit(130);
  };
  for (const s of signals) process.once(s, force);
  for (const handle of [...handles].reverse()) {
    try {
      await handle.close();
    } catch (err) {
      logger.error({ err }, 'error during shutdown (continuing)');
    }
  }
  for (const s of signals) process.removeListener(s, force);
}
