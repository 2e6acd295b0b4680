// What the DAG commands run, imported lazily by dag-commands.ts so other commands start fast.
export { acquireInstanceLock } from '../base/instance-lock.js';
export { startPipelineProcess } from '../app/pipeline-process.js';
export { audited } from './audited.js';
export { connectRedis } from '../redis/redis.js';
export { FILE_TRIGGERED_DAG } from '../orchestration/pipeline-dags.js';
export { openPipelineRuntime } from '../app/pipeline-runtime.js';
export { getRun, listDags, listRuns, pauseDag, triggerDag, unpauseDag } from '../orchestration/queries.js';
export { startScheduler } from '../orchestration/scheduler.js';
export { runUntilSignal } from '../orchestration/signals.js';
export { startWorker } from '../orchestration/worker.js';
