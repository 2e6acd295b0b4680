// What `orderflow reprocess` loads when it runs, kept out of CLI start-up.
export { DbAuditLog } from '../api/audit.js';
export { runIncremental } from '../processing/incremental.js';
export { reprocess } from '../processing/reprocess.js';
export { withResources } from './resources.js';
