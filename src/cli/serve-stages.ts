// What `serve` runs, imported lazily by serve-command.ts.
export { startServer } from '../api/server.js';
export { runUntilSignal } from '../orchestration/signals.js';
