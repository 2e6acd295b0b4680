// Data-aware trigger: polls DATA_DIR/incremental/raw (the same rule as the incremental stage: <batch>/*.csv,
// no dotfiles, no *.tmp / *.part) and starts an event run of a DAG as soon as a file lands or changes. The run
// key is derived from the new files, so two schedulers seeing the same landing make one run.
import { createHash } from 'node:crypto';
import { listArrivedFiles } from '../ingest/landing/arrivals.js';
import { systemClock, type Clock } from '../base/clock.js';
import type { Logger } from '../base/log.js';

export interface FileTriggerOptions {
  dir: string;
  intervalMs: number;
  logger: Logger;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** Called with a key naming the new files; errors are logged. */
  onLanded(key: string, files: string[]): Promise<void>;
}

export interface FileTrigger {
  close(): Promise<void>;
}

/** Files present when the trigger starts are the baseline: the schedule (or a catch-up run) covers them. */
export async function startFileTrigger(options: FileTriggerOptions): Promise<FileTrigger> {
  const signature = (f: { path: string; size: number; mtimeMs: number }): string =>
    `${f.path}|${f.size}|${f.mtimeMs}`;
  let seen = new Set((await listArrivedFiles(options.dir)).map(signature));
  const clock = options.clock ?? systemClock;
  const stop = new AbortController();
  const poll = async (): Promise<void> => {
    try {
      const files = await listArrivedFiles(options.dir);
      const current = new Set(files.map(signature));
      const landed = [...current].filter((s) => !seen.has(s)).sort();
      seen = current;
      if (landed.length === 0) return;
      const key = 'files:' + createHash('sha1').update(landed.join('\n')).digest('hex').slice(0, 16);
      await options.onLanded(
        key,
        landed.map((s) => s.split('|')[0]),
      );
    } catch (err) {
      options.logger.error({ err }, 'landed-file trigger failed (will poll again)');
    }
  };
  const running = (async () => {
    while (!stop.signal.aborted) {
      await poll();
      await clock.sleep(options.intervalMs, stop.signal);
    }
  })();
  return {
    close: async () => {
      stop.abort();
      await running;
    },
  };
}
