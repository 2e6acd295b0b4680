// What the incremental commands run, imported lazily by incremental-commands.ts.
export { runIncremental } from '../ingest/incremental.js';
export { Ledger } from '../ingest/ledger/ledger.js';
export { simulateArrival } from '../ingest/landing/simulate.js';
export { ingestStatus } from '../ingest/status.js';
export { watchIncremental } from '../ingest/watch.js';
export { withResources } from './resources.js';
export { readTopology } from '../redis/redis-topology.js';
