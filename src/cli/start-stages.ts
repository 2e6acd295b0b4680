// What `start` runs, imported lazily by start-command.ts.
export { bootstrapData } from '../ops/bootstrap.js';
export { ensureRedis } from '../ops/local-redis.js';
export { startPipelineProcess } from '../ops/pipeline-process.js';
export { runUntilSignal } from '../orchestration/signals.js';
export { simulateNewOrders } from '../processing/simulate-orders.js';
