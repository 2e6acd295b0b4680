// What `serve` runs, imported lazily by serve-command.ts.
export { startServer } from '../app/server.js';
export { runUntilSignal } from '../orchestration/signals.js';
