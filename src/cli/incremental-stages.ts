// What the incremental commands run, imported lazily by incremental-commands.ts.
export { runIncremental } from '../processing/incremental.js';
export { Ledger } from '../processing/ledger.js';
export { simulateArrival } from '../processing/simulate.js';
export { ingestionStatus } from '../processing/status.js';
export { watchIncremental } from '../processing/watch.js';
export { withResources } from './resources.js';
export { readTopology } from '../redis-topology.js';
