// npm run bench:split — `orderflow split` (a whole process) on 1M generated orders (~280 MB): the fast path
// (every line plain, routed as bytes) against the exact path (the same file plus one bad row, so csv-parse
// reads every row), with a check that both write the same seven day files.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOnce, CLI, generatedOrders, median, record, timeProcess } from './util.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

buildOnce();
const source = generatedOrders(ORDERS);
const mb = fs.statSync(source).size / 1e6;
const figures: Record<string, string> = {};
const line = (name: string, ms: number) => {
  const text = `${(mb / (ms / 1000)).toFixed(0)} MB/s, ${Math.round(ORDERS / (ms / 1000)).toLocaleString('en')} orders/s (${(ms / 1000).toFixed(2)} s)`;
  console.log(`${name.padEnd(34)} ${text}`);
  figures[name] = text;
};

function dataDir(extra: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-split-'));
  fs.copyFileSync(source, path.join(dir, 'orders.csv'));
  if (extra) fs.appendFileSync(path.join(dir, 'orders.csv'), extra);
  return dir;
}

const dayHashes = (dir: string) =>
  Array.from({ length: 7 }, (_, d) =>
    createHash('sha256')
      .update(fs.readFileSync(path.join(dir, 'raw', String(d), `orders_${d}.csv`)))
      .digest('hex'),
  );

console.log(`input: ${ORDERS.toLocaleString('en')} orders, ${mb.toFixed(0)} MB`);
const fastDir = dataDir('');
const exactDir = dataDir('99,1,10,,3.5\n');
try {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(timeProcess('node', [CLI, 'split'], { DATA_DIR: fastDir }).ms);
  line('orderflow split, fast path', median(times));
  line('orderflow split, exact path', timeProcess('node', [CLI, 'split'], { DATA_DIR: exactDir }).ms);
  const exactHashes = dayHashes(exactDir);
  const same = dayHashes(fastDir).every((h, d) => h === exactHashes[d]);
  if (!same) throw new Error('the fast and exact paths wrote different day files');
  figures['same day files on both paths'] = 'yes (SHA-256 of all seven)';
} finally {
  fs.rmSync(fastDir, { recursive: true, force: true });
  fs.rmSync(exactDir, { recursive: true, force: true });
}
record('split', 'npm run bench:split', figures);
