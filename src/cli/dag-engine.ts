// What the DAG commands run, imported lazily by dag-commands.ts so other commands start fast.
export { acquireInstanceLock } from '../ops/instance-lock.js';
export { startPipelineProcess } from '../ops/pipeline-process.js';
export { audited } from './audited.js';
export { connectRedis } from '../redis.js';
export { FILE_TRIGGERED_DAG } from '../orchestration/pipeline-dags.js';
export { openPipelineRuntime } from '../orchestration/pipeline-runtime.js';
export { getRun, listDags, listRuns, pauseDag, triggerDag, unpauseDag } from '../orchestration/queries.js';
export { startScheduler } from '../orchestration/scheduler.js';
export { runUntilSignal } from '../orchestration/signals.js';
export { startWorker } from '../orchestration/worker.js';
