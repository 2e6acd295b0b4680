// What `dags clear|mark` load when they run, kept out of CLI start-up.
export { OrchestrationDagService } from '../api/dag-services.js';
export { DbAuditLog } from '../api/audit.js';
export { openPipelineRuntime } from '../orchestration/pipeline-runtime.js';
export { connectRedis } from '../redis.js';
