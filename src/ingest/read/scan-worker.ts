// Entry point of a scan thread: scans the byte range it is given and posts its totals back (moved, not
// copied).
import { parentPort, workerData } from 'node:worker_threads';
import { scanRange } from './scan-range.js';
import { totalsBuffers } from './sum-scan.js';
import type { ScanJob } from './scan-file.js';

const job = workerData as ScanJob;
const { lines, totals } = scanRange(job.file, job.start, job.end, job.layout, job.blockBytes);
parentPort!.postMessage({ lines, totals }, totalsBuffers(totals));
