// npm run bench:instacart — `orderflow aggregate` on a generated relational Instacart folder at the published
// size (3,421,083 orders, ≈32M prior line items; INSTACART_ORDERS to change it), side by side in one run with
// DuckDB and Polars doing the same join + group by (bench/peers/instacart_*.py, the peers' virtualenv at
// ~/peers). Whole processes, each under `nice -n 19` (the machine is shared), timed with /usr/bin/time: wall
// time and peak RSS. orderflow's output must equal DuckDB's exactly, cell for cell.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOnce, CLI, OUT, record, ROOT } from './util.js';

const ORDERS = Number(process.env.INSTACART_ORDERS ?? 3_421_083);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const PYTHON = process.env.PEERS_PYTHON ?? path.join(os.homedir(), 'peers', 'bin', 'python');

interface Measured {
  ms: number;
  peakMb: number;
  stdout: string;
}

/** Runs `command` under nice and /usr/bin/time; wall time and peak RSS of the whole process. */
function measure(command: string, args: string[], env: Record<string, string> = {}): Measured {
  const result = spawnSync('nice', ['-n', '19', '/usr/bin/time', '-f', 'TIME %e %M', command, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  const match = /TIME ([\d.]+) (\d+)\s*$/.exec(result.stderr);
  if (!match) throw new Error(`no timing in: ${result.stderr}`);
  return { ms: Number(match[1]) * 1000, peakMb: Number(match[2]) / 1024, stdout: result.stdout };
}

/** The generated folder under bench/out, made once (a marker file says it is complete and which code made it). */
function generatedSet(): string {
  const dir = path.join(OUT, `instacart-${ORDERS}-42`);
  const marker = path.join(dir, '.complete');
  if (!fs.existsSync(marker)) {
    fs.rmSync(dir, { recursive: true, force: true });
    const made = measure('node', [
      CLI,
      'generate',
      '--format',
      'instacart',
      '--orders',
      String(ORDERS),
      '--out',
      dir,
    ]);
    console.log(made.stdout.trim());
    fs.writeFileSync(marker, '');
  }
  return dir;
}

/** An aggregate CSV as "day|hour|category" → items (hours may be written 08 or 8). */
function readCells(file: string): Map<string, number> {
  const cells = new Map<string, number>();
  const [, ...lines] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  for (const line of lines) {
    const m = /^(\d+),(\d+),(?:"((?:[^"]|"")*)"|([^,]*)),(\d+)$/.exec(line);
    if (!m) throw new Error(`${file}: unexpected line ${line}`);
    cells.set(`${Number(m[1])}|${Number(m[2])}|${m[3]?.replace(/""/g, '"') ?? m[4]}`, Number(m[5]));
  }
  return cells;
}

function sameCells(a: Map<string, number>, b: Map<string, number>): string | null {
  if (a.size !== b.size) return `${a.size} cells vs ${b.size}`;
  for (const [k, v] of a) if (b.get(k) !== v) return `cell ${k}: ${v} vs ${b.get(k)}`;
  return null;
}

buildOnce();
const dir = generatedSet();
const sizes = ['orders.csv', 'order_products__prior.csv', 'order_products__train.csv'].map(
  (n) => fs.statSync(path.join(dir, n)).size,
);
const mb = sizes.reduce((a, b) => a + b, 0) / 1e6;
console.log(`input: ${ORDERS.toLocaleString('en')} orders, ${mb.toFixed(0)} MB (orders + order_products)`);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-instacart-'));
const duckOut = path.join(dataDir, 'duckdb.csv');
const polarsOut = path.join(dataDir, 'polars.csv');
const peers = path.join(ROOT, 'bench', 'peers');
const runs: Record<string, Measured[]> = { orderflow: [], duckdb: [], polars: [] };
// Interleaved, so that a slow moment of the shared machine does not fall on one side only.
for (let i = 0; i < RUNS; i++) {
  runs.orderflow.push(measure('node', [CLI, '--data-dir', dataDir, 'aggregate', '--input', dir, '--json']));
  runs.duckdb.push(measure(PYTHON, [path.join(peers, 'instacart_duckdb.py'), dir, duckOut]));
  runs.polars.push(measure(PYTHON, [path.join(peers, 'instacart_polars.py'), dir, polarsOut]));
}
const ours = readCells(path.join(dataDir, 'processed', 'orders.csv'));
const vsDuck = sameCells(ours, readCells(duckOut));
const vsPolars = sameCells(ours, readCells(polarsOut));
const best = (name: string) => runs[name].reduce((a, b) => (b.ms < a.ms ? b : a));
const figures: Record<string, string> = {};
for (const name of Object.keys(runs)) {
  const m = best(name);
  const peak = Math.max(...runs[name].map((r) => r.peakMb));
  figures[`${name} wall, peak RSS`] =
    `${(m.ms / 1000).toFixed(2)} s (${(mb / (m.ms / 1000)).toFixed(0)} MB/s), ${peak.toFixed(0)} MB`;
  console.log(
    `${name.padEnd(10)} ${figures[`${name} wall, peak RSS`]}   runs: ${runs[name].map((r) => (r.ms / 1000).toFixed(2)).join(', ')} s`,
  );
}
figures['orderflow vs duckdb, polars'] =
  `${(best('duckdb').ms / best('orderflow').ms).toFixed(2)}× and ${(best('polars').ms / best('orderflow').ms).toFixed(2)}× faster`;
figures['output equals duckdb / polars'] = `${vsDuck ?? 'yes'} / ${vsPolars ?? 'yes'} (${ours.size} cells)`;
figures.input = `${ORDERS.toLocaleString('en')} orders, ${mb.toFixed(0)} MB, best of ${RUNS} (nice -n 19, all three in one run)`;
for (const [k, v] of Object.entries(figures).slice(3)) console.log(`${k}: ${v}`);
record('instacart', 'npm run bench:instacart', figures);
fs.rmSync(dataDir, { recursive: true, force: true });
if (vsDuck) {
  console.error(`orderflow's output differs from DuckDB's: ${vsDuck}`);
  process.exitCode = 1;
}
