// What `start` runs, imported lazily by start-command.ts.
export { bootstrapData } from '../app/bootstrap.js';
export { settlesWithin } from '../base/bounded.js';
export { acquireInstanceLock } from '../base/instance-lock.js';
export { exitCleanlyOnInterrupt } from '../base/interrupt.js';
export { ensureRedis } from '../app/local-redis.js';
export { startPipelineProcess } from '../app/pipeline-process.js';
export { removeStaleTempFiles } from '../base/temp-files.js';
export { runUntilSignal } from '../orchestration/signals.js';
export { simulateNewOrders } from '../ingest/landing/simulate-orders.js';
export { simulateInstacartDays } from '../ingest/landing/simulate-instacart.js';
