// What the model commands run, imported lazily by ml-commands.ts (the metadata store's drivers and the
// learners are not loaded for other commands, nor for `predict`).
export { trainModels } from '../ml/train.js';
export { ModelRegistry } from '../ml/registry.js';
export { openStore } from '../store/open.js';
export { promoteVersion, rollbackVersion } from '../ml/promote.js';
export { listPromotions } from '../ml/promotions.js';
