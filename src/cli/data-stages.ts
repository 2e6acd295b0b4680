// What the data commands run, imported lazily by data-commands.ts.
export { generateOrders } from '../data/generate.js';
export { generateInstacart } from '../data/instacart-generate.js';
export { splitByDay } from '../data/split.js';
export { aggregateOrders, describeBadRows } from '../processing/aggregate.js';
export { resolveInputs } from '../processing/inputs.js';
export { isInstacartDir } from '../data/instacart-files.js';
export { splitInstacartByDay } from '../processing/instacart-split.js';
