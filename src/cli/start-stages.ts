// What `start` runs, imported lazily by start-command.ts.
export { bootstrapData } from '../ops/bootstrap.js';
export { ensureRedis } from '../ops/local-redis.js';
export { startPipelineProcess } from '../ops/pipeline-process.js';
export { runUntilSignal } from '../orchestration/signals.js';
export { simulateArrival } from '../processing/simulate.js';
