// Short commands that write big outputs (`generate`, `split`, the first steps of `start`) are not closable
// services: on SIGINT/SIGTERM they stop where they are. This handler makes that clean: it removes the
// process's temp outputs, runs the caller's last cleanup (stopping a private redis-server), says so and
// exits 130. Installed for the risky stretch only; the returned function removes it.
import { settlesWithin } from './bounded.js';
import { removeOwnTempFilesSync } from './temp-files.js';

export interface InterruptCleanup {
  /** Folders whose temp outputs (and their sub-folders') belong to this process. */
  roots: readonly string[];
  /** Last cleanup, bounded to 3 s (e.g. stop the private redis-server). */
  last?: () => Promise<void>;
  say: (line: string) => void;
}

export function exitCleanlyOnInterrupt(cleanup: InterruptCleanup): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130); // a second signal: at once
    interrupted = true;
    const removed = removeOwnTempFilesSync(cleanup.roots);
    cleanup.say(
      `interrupted (${signal}): stopped${removed.length ? `, removed ${removed.length} partial output file(s)` : ''}`,
    );
    void settlesWithin(cleanup.last?.() ?? Promise.resolve(), 3_000).then(() => process.exit(130));
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.removeListener(s, onSignal);
  };
}
