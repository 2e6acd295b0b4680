// What `dags clear|mark` load when they run, kept out of CLI start-up.
export { OrchestrationDagService } from '../api/dag-services.js';
export { DbAuditLog } from '../auth/audit.js';
export { openPipelineRuntime } from '../app/pipeline-runtime.js';
export { connectRedis } from '../redis/redis.js';
