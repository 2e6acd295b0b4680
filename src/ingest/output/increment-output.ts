// The incremental stage's local outputs, all derived from the ledger after its commit: the quarantine files of
// committed files' bad rows, and the aggregate CSV/Parquet (+ holdout file) with `_state.json` naming the ledger
// generation they show. Any machine can bring its own copy up to date from the ledger (rebuildOutputIfBehind).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../base/config.js';
import { syncMirror, type MirrorOf, type MirrorSync } from '../../base/local-mirror.js';
import { writeFileAtomic } from '../../data/atomic.js';
import { writeQuarantine } from '../../data/quarantine.js';
import type { Logger } from '../../base/log.js';
import type { Db } from '../../store/db.js';
import { writeAggregateOutputs } from './aggregate-output.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { holdoutPathFor, writeHoldoutFile } from '../read/holdout.js';
import { currentGeneration } from '../ledger/ledger-commit.js';
import { cellsOf, foldTotals, holdoutOf } from '../ledger/ledger-totals.js';
import type { LandingArea } from '../files.js';
import { Ledger } from '../ledger/ledger.js';
import type { FileCommit } from '../ledger/ledger-commit.js';

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
 * The incremental output as a local mirror of the ledger (base/local-mirror.ts), versioned by the ledger's
 * generation. `writeEmpty`: a generation 0 (nothing committed yet) is written too — an empty output, what the
 * incremental run leaves after its first run; readers leave it alone.
 */
function outputMirror(config: Config, db: Db, engine: DuckDbEngine, writeEmpty: boolean): MirrorOf<number> {
  const ledger = new Ledger(db);
  return {
    current: async () => {
      const generation = await ledger.generation();
      return generation === 0 && !writeEmpty ? null : generation;
    },
    local: async () =>
      (await outputPresent(config))
        ? (await readOutputState(config.paths.incrementalProcessedDir))?.generation
        : undefined,
    write: () => writeFoldedOutput(config, db, ledger, engine),
  };
}

/** Brings the output to the ledger with `engine` (a fold and a rewrite when it is behind). */
export function syncOutput(
  config: Config,
  db: Db,
  engine: DuckDbEngine,
  options: { writeEmpty: boolean },
): Promise<MirrorSync<number>> {
  return syncMirror(outputMirror(config, db, engine, options.writeEmpty));
}

/**
 * Folds what commits queued (on whichever machine needs the output: ledger-totals.ts) and writes the totals at the
 * generation the fold reached. Whether it wrote. Processes sharing this output folder take turns on an advisory
 * lock named after it (the fold itself runs before, in its own transaction, so machines writing their own copies
 * never wait for each other), and an output already at the fold's generation or newer is left alone: an older
 * fold never overwrites a newer one.
 */
async function writeFoldedOutput(
  config: Config,
  db: Db,
  ledger: Ledger,
  engine: DuckDbEngine,
): Promise<boolean> {
  const outputDir = config.paths.incrementalProcessedDir;
  const folded = await foldTotals(db);
  const files = (await ledger.files()).map((f) => f.path);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `${os.hostname()}:${path.resolve(outputDir)}`,
    ]);
    if (await newerOutputWritten(config, folded.generation, await currentGeneration(tx))) return false;
    await writeAggregateOutputs(
      engine,
      cellsOf(folded.totals),
      config.paths.incrementalCsv,
      config.paths.incrementalParquet,
    );
    await writeHoldoutFile(holdoutPathFor(config.paths.incrementalCsv), holdoutOf(folded.totals), true, {
      files,
      generation: folded.generation,
    });
    await writeFileAtomic(
      path.join(outputDir, STATE_FILE),
      JSON.stringify({ generation: folded.generation, writtenAt: new Date().toISOString() }) + '\n',
    );
    return true;
  });
}

/**
 * Whether another process wrote the output meanwhile from a fold at least as new as `folded`. An output claiming a
 * generation the ledger never reached is not newer: it shows another ledger (the database was replaced).
 */
async function newerOutputWritten(config: Config, folded: number, ledger: number): Promise<boolean> {
  const state = await readOutputState(config.paths.incrementalProcessedDir);
  if (!state || state.generation < folded || state.generation > ledger) return false;
  return outputPresent(config);
}

/**
 * Brings this machine's copy of the incremental output up to the ledger's generation (the commit may have run on
 * another worker, with another DATA_DIR). Whether it had to be rewritten; nothing to do before a first commit.
 */
export async function syncLocalOutput(config: Config, db: Db): Promise<boolean> {
  const engine = new DuckDbEngine();
  try {
    return (await syncOutput(config, db, engine, { writeEmpty: false })).changed;
  } finally {
    engine.close();
  }
}
