// The incremental stage's local outputs, all derived from the ledger after its commit: the quarantine files of
// committed files' bad rows, and the aggregate CSV/Parquet (+ holdout file) with `_state.json` naming the ledger
// generation they show. Any machine can bring its own copy up to date from the ledger (rebuildOutputIfBehind).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { writeFileAtomic } from '../data/atomic.js';
import { writeQuarantine } from '../data/quarantine.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { writeAggregateOutputs } from './aggregate-output.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { holdoutPathFor, writeHoldoutFile } from './holdout.js';
import { cellsOf, foldTotals, holdoutOf } from './ledger-totals.js';
import type { LandingArea } from './landing.js';
import { Ledger, type FileCommit } from './ledger.js';

interface OutputState {
  generation: number;
  writtenAt: string;
}

const STATE_FILE = '_state.json';

async function readOutputState(dir: string): Promise<OutputState | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), 'utf8')) as OutputState;
  } catch {
    return undefined;
  }
}

async function outputPresent(config: Config): Promise<boolean> {
  const { paths } = config;
  const stats = await Promise.all(
    [fs.stat(paths.incrementalCsv), fs.stat(paths.incrementalParquet)].map((p) => p.catch(() => null)),
  );
  return stats.every(Boolean);
}

/**
 * Writes the committed files' quarantine files, after the commit so a run that fails leaves none, and removes
 * those of files that left the output (removed, or replaced by a rejected or duplicate version).
 */
export async function writeQuarantines(
  config: Config,
  landing: LandingArea,
  commits: FileCommit[],
  removed: string[],
  logger: Logger,
): Promise<string[]> {
  const written: string[] = [];
  for (const gone of removed) {
    await writeQuarantine(config.paths.quarantineDir, config.dataDir, landing.describe(gone), []);
  }
  for (const c of commits) {
    const source = landing.describe(c.path);
    const target = await writeQuarantine(config.paths.quarantineDir, config.dataDir, source, c.badRows);
    if (!target) continue;
    written.push(target);
    logger.warn({ file: c.path, badRows: c.badRows.length, quarantinePath: target }, 'bad rows quarantined');
  }
  return written;
}

/**
 * Rewrites the output from the ledger when it does not show `generation`: folds what commits queued (on whichever
 * machine needs the output: ledger-totals.ts) and writes the totals at the generation the fold reached. Whether it
 * wrote.
 */
export async function rebuildOutputIfBehind(
  config: Config,
  db: Db,
  ledger: Ledger,
  engine: DuckDbEngine,
  generation: number,
): Promise<boolean> {
  const outputDir = config.paths.incrementalProcessedDir;
  const state = await readOutputState(outputDir);
  if (state?.generation === generation && (await outputPresent(config))) return false;
  const folded = await foldTotals(db);
  await writeAggregateOutputs(engine, cellsOf(folded.totals), config.paths.incrementalCsv, config.paths.incrementalParquet);
  await writeHoldoutFile(holdoutPathFor(config.paths.incrementalCsv), holdoutOf(folded.totals), true, {
    files: (await ledger.files()).map((f) => f.path),
    generation: folded.generation,
  });
  await writeFileAtomic(
    path.join(outputDir, STATE_FILE),
    JSON.stringify({ generation: folded.generation, writtenAt: new Date().toISOString() }) + '\n',
  );
  return true;
}

/**
 * Brings this machine's copy of the incremental output up to the ledger's generation (the commit may have run on
 * another worker, with another DATA_DIR). Whether it had to be rewritten; nothing to do before a first commit.
 */
export async function syncLocalOutput(config: Config, db: Db): Promise<boolean> {
  const ledger = new Ledger(db);
  const generation = await ledger.generation();
  if (generation === 0) return false;
  const engine = new DuckDbEngine();
  try {
    return await rebuildOutputIfBehind(config, db, ledger, engine, generation);
  } finally {
    engine.close();
  }
}
