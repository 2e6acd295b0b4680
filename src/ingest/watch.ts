// `incremental --watch`: runs the incremental stage whenever a file lands (file-system events on the raw
// folder, recursive) and on a periodic rescan as the fallback for file systems without events (NFS).
// Runs never overlap: events during a run schedule exactly one more run after it.
import fs from 'node:fs';
import { systemClock, type Clock } from '../base/clock.js';
import { toError } from '../base/errors.js';
import { isCompleteFileName } from './landing/arrivals.js';
import { DuckDbEngine } from './output/duckdb-engine.js';
import { runIncremental, type IncrementalDeps, type IncrementalResult } from './incremental.js';

export interface WatchOptions {
  /** Fallback rescan period. @defaultValue 2000 */
  rescanMs?: number;
  /** Quiet time after an event before running, so a burst of renames becomes one run. @defaultValue 50 */
  debounceMs?: number;
  signal: AbortSignal;
  /** Times the debounce and the rescan. @defaultValue systemClock */
  clock?: Clock;
  onResult?(result: IncrementalResult): void;
  onError?(error: Error): void;
}

export async function watchIncremental(deps: IncrementalDeps, options: WatchOptions): Promise<void> {
  const rawDir = deps.config.paths.incrementalRawDir;
  // A bucket (s3:// landing) has no file-system events: the periodic rescan finds its arrivals.
  const events = !deps.config.ingest.landing.startsWith('s3://');
  if (events) fs.mkdirSync(rawDir, { recursive: true });
  let running = false;
  let again = false;
  const clock = options.clock ?? systemClock;
  let debounce: AbortController | undefined;
  let idle: Promise<void> = Promise.resolve();
  // One DuckDB for the whole watch: starting one per landed file would add to every file's latency.
  const engine = deps.engine ?? new DuckDbEngine();
  const runDeps = { ...deps, engine };

  const run = (): void => {
    if (options.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    idle = (async () => {
      do {
        again = false;
        try {
          options.onResult?.(await runIncremental(runDeps));
        } catch (err) {
          options.onError?.(toError(err));
        }
      } while (again && !options.signal.aborted);
      running = false;
    })();
  };
  // Each event restarts the quiet time: the previous debounce is cancelled (its sleep ends aborted).
  const soon = (): void => {
    debounce?.abort();
    const quiet = (debounce = new AbortController());
    void clock.sleep(options.debounceMs ?? 50, quiet.signal).then(() => {
      if (!quiet.signal.aborted) run();
    });
  };

  const watcher = events
    ? fs.watch(rawDir, { recursive: true }, (_event, name) => {
        const base = name ? String(name).split(/[/\\]/).pop()! : '';
        // A new batch folder, or a complete file name (a writer renaming its temp file into place).
        if (!base || !base.includes('.') || isCompleteFileName(base)) soon();
      })
    : undefined;
  watcher?.on('error', (err) => options.onError?.(toError(err)));
  run();
  // The rescan loop; its sleep also keeps the process alive until the signal aborts.
  while (!options.signal.aborted) {
    await clock.sleep(options.rescanMs ?? 2000, options.signal);
    run();
  }
  watcher?.close();
  debounce?.abort();
  await idle;
  if (!deps.engine) engine.close();
}
