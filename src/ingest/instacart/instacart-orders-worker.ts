// Entry point of an orders.csv parse thread: parses its range and posts the arrays back (moved, not copied).
import { parentPort, workerData } from 'node:worker_threads';
import { parseOrdersRange, type OrdersRangeJob } from './instacart-orders-range.js';

const r = parseOrdersRange(workerData as OrdersRangeJob);
// The arrays are fresh slices, so their buffers are plain ArrayBuffers that can be moved.
const moved = [r.ids.buffer, r.packed.buffer, r.lineOf.buffer] as ArrayBuffer[];
parentPort!.postMessage(r, moved);
