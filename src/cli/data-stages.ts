// What the data commands run, imported lazily by data-commands.ts.
export { generateOrders } from '../data/generate.js';
export { generateInstacart } from '../data/instacart-generate.js';
export { splitByDay } from '../ingest/split/split.js';
export { aggregateOrders, describeBadRows } from '../ingest/aggregate.js';
export { resolveInputs } from '../ingest/landing/inputs.js';
export { isInstacartDir } from '../data/instacart-files.js';
export { splitInstacartByDay } from '../ingest/instacart/instacart-split.js';
