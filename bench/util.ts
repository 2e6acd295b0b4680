// Shared pieces of the benchmark scripts: a cached generated dataset, timing whole processes, and
// recording figures into bench/results.md (one row per figure, replaced on each run).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const OUT = path.join(ROOT, 'bench', 'out');
export const CLI = path.join(ROOT, 'bin', 'orderflow.js');

/** Makes sure dist/ is current: benchmarks time the built CLI, as users run it. */
export function buildOnce(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/** A generated orders CSV of `orders` rows under bench/out, made once and reused. */
export function generatedOrders(orders: number, seed = 42): string {
  const file = path.join(OUT, `orders-${orders}-${seed}.csv`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(OUT, { recursive: true });
    execFileSync(
      'node',
      [CLI, 'generate', '--orders', String(orders), '--seed', String(seed), '--out', file],
      { stdio: 'inherit' },
    );
  }
  return file;
}

/** Runs a command to completion and returns its wall time in ms; throws on a non-zero exit. */
export function timeProcess(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): { ms: number; stdout: string } {
  const started = performance.now();
  const result = spawnSync(command, args, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const ms = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

const RESULTS = path.join(ROOT, 'bench', 'results.md');
const RESULTS_HEADER =
  '| benchmark | figure | value | command | date | machine |\n|---|---|---|---|---|---|\n';

/** Records figures of one benchmark in bench/results.md, replacing that benchmark's earlier rows. */
export function record(benchmark: string, command: string, figures: Record<string, string>): void {
  const existing = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, 'utf8') : '';
  const rows = existing
    .split('\n')
    .filter(
      (line) =>
        line.startsWith('| ') && !line.startsWith('| benchmark ') && !line.startsWith(`| ${benchmark} |`),
    );
  const date = new Date().toISOString().slice(0, 10);
  for (const [figure, value] of Object.entries(figures)) {
    rows.push(`| ${benchmark} | ${figure} | ${value} | \`${command}\` | ${date} | ${machine()} |`);
  }
  rows.sort();
  fs.writeFileSync(
    RESULTS,
    `# Benchmark results\n\nWritten by \`npm run bench\` (each script replaces its own rows).\n\n${RESULTS_HEADER}${rows.join('\n')}\n`,
  );
}
