// What `orderflow reprocess` loads when it runs, kept out of CLI start-up.
export { DbAuditLog } from '../auth/audit.js';
export { runIncremental } from '../ingest/incremental.js';
export { reprocess, reprocessPlanRecord } from '../ingest/reprocess.js';
export { withResources } from './resources.js';
