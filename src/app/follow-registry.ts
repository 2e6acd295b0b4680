// A process that serves what the pipeline produced (the API and dashboard) may run on a machine where no worker
// trained the current model or committed the latest data: every few seconds it brings this machine's models
// folder and incremental output in line with the metadata store (ml/model-sync.ts, increment-output.ts). Cheap
// when nothing moved (a few small queries and a stat); a failure is logged once and tried again.
import type { Config } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { syncModels } from '../ml/model-sync.js';
import { syncLocalOutput } from '../ingest/output/increment-output.js';
import type { Db } from '../store/db.js';
import { toError } from '../base/errors.js';
import { reportOutage } from '../base/outage-log.js';

export interface Follower {
  close(): Promise<void>;
}

export function followRegistry(deps: { config: Config; db: Db; logger: Logger }, everyMs = 5_000): Follower {
  const { config, db, logger } = deps;
  let lastProblem = '';
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = (async () => {
      try {
        const models = await syncModels(db, config.paths.modelsDir);
        if (models.changed)
          logger.info({ version: models.version }, 'current model copied from the registry');
        if (await syncLocalOutput(config, db)) logger.info('incremental output brought up to the ledger');
        lastProblem = '';
      } catch (err) {
        // A lost connection goes to the process's outage log; anything else is said once until it changes.
        if (reportOutage(err, logger)) return;
        const problem = toError(err).message;
        if (problem !== lastProblem)
          logger.warn({ err: problem }, 'following the registry failed (retrying)');
        lastProblem = problem;
      }
    })();
  };
  tick();
  const timer = setInterval(() => void running.then(tick), everyMs);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
