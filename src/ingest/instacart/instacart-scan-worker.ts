// Entry point of a relational scan thread: joins the byte range it is given and posts the result back (the
// totals' buffers moved, not copied; the lookup tables are shared memory and were never copied in).
import { parentPort, workerData } from 'node:worker_threads';
import { scanLineItems, type LineItemJob } from './instacart-scan.js';
import { totalsBuffers } from '../read/sum-scan.js';

const result = scanLineItems(workerData as LineItemJob);
parentPort!.postMessage(result, totalsBuffers(result.totals));
