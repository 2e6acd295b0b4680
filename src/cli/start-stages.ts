// What `start` runs, imported lazily by start-command.ts.
export { bootstrapData } from '../ops/bootstrap.js';
export { settlesWithin } from '../ops/bounded.js';
export { acquireInstanceLock } from '../ops/instance-lock.js';
export { exitCleanlyOnInterrupt } from '../ops/interrupt.js';
export { ensureRedis } from '../ops/local-redis.js';
export { startPipelineProcess } from '../ops/pipeline-process.js';
export { removeStaleTempFiles } from '../ops/temp-files.js';
export { runUntilSignal } from '../orchestration/signals.js';
export { simulateNewOrders } from '../processing/simulate-orders.js';
export { simulateInstacartDays } from '../processing/simulate-instacart.js';
