// npm run bench:aggregate — throughput of `orderflow aggregate` (a whole process: start, scan, outputs)
// on 1M generated orders (~280 MB), side by side with the plain TypeScript reference and, when the peer
// virtualenv exists (/tmp/peers, see ../shared/peers/README.md), pandas. In process, it also times the
// fast-path scanner against DuckDB's typed read_csv + GROUP BY of the same file (the engine it replaced).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readOrdersHeader } from '../src/data/orders-header.js';
import { DuckDbEngine } from '../src/ingest/output/duckdb-engine.js';
import { scanFile } from '../src/ingest/read/scan-file.js';
import { referenceAggregate } from '../test/helpers/reference-aggregate.js';
import { buildOnce, CLI, generatedOrders, median, record, timeProcess } from './util.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

buildOnce();
const file = generatedOrders(ORDERS);
const mb = fs.statSync(file).size / 1e6;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-'));
const figures: Record<string, string> = {};
const line = (name: string, ms: number) => {
  const text = `${(mb / (ms / 1000)).toFixed(0)} MB/s, ${Math.round(ORDERS / (ms / 1000)).toLocaleString('en')} orders/s (${(ms / 1000).toFixed(2)} s)`;
  console.log(`${name.padEnd(28)} ${text}`);
  figures[name] = text;
};
console.log(`input: ${ORDERS.toLocaleString('en')} orders, ${mb.toFixed(0)} MB`);

const times: number[] = [];
for (let i = 0; i < RUNS; i++)
  times.push(timeProcess('node', [CLI, 'aggregate', '--input', file], { DATA_DIR: dataDir }).ms);
line('orderflow aggregate', median(times));

const header = await readOrdersHeader(file);
const engine = new DuckDbEngine();
const scanTimes: number[] = [];
const duckTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  let t = performance.now();
  await scanFile(file, header);
  scanTimes.push(performance.now() - t);
  t = performance.now();
  await engine.groupSums(file, header);
  duckTimes.push(performance.now() - t);
}
engine.close();
line('scanner, in process', median(scanTimes));
line('DuckDB query, in process', median(duckTimes));

const started = performance.now();
await referenceAggregate([file]);
line('TypeScript reference', performance.now() - started);

const peerPython = '/tmp/peers/bin/python';
const peerScript = path.resolve(import.meta.dirname, '../../shared/peers/pandas_aggregate.py');
if (fs.existsSync(peerPython) && fs.existsSync(peerScript)) {
  const peer = timeProcess(peerPython, [peerScript, file]);
  line('pandas (whole process)', peer.ms);
}
fs.rmSync(dataDir, { recursive: true, force: true });
record('aggregate', 'npm run bench:aggregate', figures);
