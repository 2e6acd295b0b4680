// `incremental --watch`: runs the incremental stage whenever a file lands (file-system events on the raw
// folder, recursive) and on a periodic rescan as the fallback for file systems without events (NFS).
// Runs never overlap: events during a run schedule exactly one more run after it.
import fs from 'node:fs';
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
  let debounce: NodeJS.Timeout | undefined;
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
  const soon = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(run, options.debounceMs ?? 50);
  };

  const watcher = events
    ? fs.watch(rawDir, { recursive: true }, (_event, name) => {
        const base = name ? String(name).split(/[/\\]/).pop()! : '';
        // A new batch folder, or a complete file name (a writer renaming its temp file into place).
        if (!base || !base.includes('.') || isCompleteFileName(base)) soon();
      })
    : undefined;
  watcher?.on('error', (err) => options.onError?.(toError(err)));
  const rescan = setInterval(run, options.rescanMs ?? 2000);
  run();
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  watcher?.close();
  clearInterval(rescan);
  clearTimeout(debounce);
  await idle;
  if (!deps.engine) engine.close();
}
