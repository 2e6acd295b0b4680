// The whole pipeline in one process: DAG runtime, a worker, the scheduler (with the file trigger) and,
// optionally, the HTTP API and dashboard. Used by `orderflow up` and `orderflow start`. Everything started
// is returned in start order; callers close it in reverse (runUntilSignal does).
import { startServer, type RunningServer } from './server.js';
import type { Config } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { FILE_TRIGGERED_DAG } from '../orchestration/pipeline-dags.js';
import { openPipelineRuntime } from './pipeline-runtime.js';
import type { OrchestrationRuntime } from '../orchestration/runtime.js';
import { startScheduler } from '../orchestration/scheduler.js';
import type { Closable } from '../orchestration/signals.js';
import { startWorker } from '../orchestration/worker.js';

export interface PipelineProcessOptions {
  concurrency: number;
  /** Serve the API and dashboard on config.host:port. */
  http: boolean;
  /** Where the one-time generated admin password is shown. */
  announce: (line: string) => void;
}

export interface PipelineProcess {
  runtime: OrchestrationRuntime;
  server: RunningServer | undefined;
  handles: Closable[];
}

export async function startPipelineProcess(
  config: Config,
  logger: Logger,
  options: PipelineProcessOptions,
): Promise<PipelineProcess> {
  const runtime = await openPipelineRuntime(config, logger, { serve: true });
  const handles: Closable[] = [runtime];
  try {
    let server: RunningServer | undefined;
    if (options.http) {
      server = await startServer({
        config,
        logger,
        db: runtime.db,
        orchestration: runtime,
        announce: options.announce,
      });
      handles.push(server);
    }
    handles.push(await startWorker(runtime, { concurrency: options.concurrency }));
    handles.push(
      await startScheduler(runtime, {
        // A bucket has no cheap change events: its arrivals are found by the incremental DAG's schedule.
        fileTrigger: config.ingest.landing.startsWith('s3://')
          ? undefined
          : { dir: config.ingest.landing, dagId: FILE_TRIGGERED_DAG },
      }),
    );
    return { runtime, server, handles };
  } catch (err) {
    for (const handle of handles.reverse()) await handle.close().catch(() => {});
    throw err;
  }
}
