// Part 2: exactly-once incremental processing. Every complete file under DATA_DIR/incremental/raw is folded
// into the output once: the ledger (metadata store) keys files by path + SHA-256 and keeps each file's
// partial aggregate; the output is the sum of the committed partials, rebuilt whenever the ledger moved on.
//
// Order of effects, each safe to crash after: read changed files (nothing durable yet) → one ledger
// transaction, fenced by the run's lease → quarantine files → output files (atomic renames, then
// `_state.json` naming the ledger generation they show) → Redis tracking keys (one MULTI/EXEC). A re-run
// finds whatever step did not happen and does it. A file that cannot be read as orders is recorded as
// rejected and the others commit; one that may still be being written waits (file-changes.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { writeFileAtomic } from '../data/atomic.js';
import { quarantinePathFor, writeQuarantine } from '../data/quarantine.js';
import { toError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Redis } from '../redis.js';
import type { Db } from '../store/db.js';
import { writeAggregateOutputs } from './aggregate-output.js';
import { sumCells } from './cells.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { findChanges, type WaitingFile } from './file-changes.js';
import { holdoutPathFor, writeHoldoutFile } from './holdout.js';
import { holdoutTotals } from './holdout-ledger.js';
import { openLanding, type LandingArea } from './landing.js';
import { Ledger, type FileCommit } from './ledger.js';
import { readChanges, type FileProcessing } from './read-changes.js';
import { acquireRunLock } from './run-lock.js';
import { expectedTracking, readTracking, sameTracking, writeTracking } from './tracking.js';

/** Points where a test-only entry script may inject a crash (kill -9) to prove recovery. */
export interface IncrementalHooks {
  afterAggregate?(): void | Promise<void>;
  afterLedgerCommit?(): void | Promise<void>;
  afterOutputWrite?(): void | Promise<void>;
  afterRedisUpdate?(): void | Promise<void>;
}

export interface IncrementalDeps {
  config: Config;
  logger: Logger;
  db: Db;
  /** Without Redis (unreachable) the run still commits; the tracking keys are rebuilt by a later run. */
  redis: Redis | undefined;
  hooks?: IncrementalHooks;
  /** A DuckDB engine kept open across runs (watch mode, workers); by default each run opens its own. */
  engine?: DuckDbEngine;
  /** Where files land; by default the one the config names (ORDERFLOW_LANDING). */
  landing?: LandingArea;
}

export interface IncrementalResult {
  /** `committed`: the ledger moved on; `up-to-date`: nothing new (the output may still have been repaired). */
  status: 'committed' | 'up-to-date';
  filesAdded: number;
  filesReplaced: number;
  filesRemoved: number;
  orders: number;
  items: number;
  badRows: number;
  /** Files read and not counted by this run, with why (rejected or duplicate). */
  skipped: { path: string; status: 'rejected' | 'duplicate'; reason: string }[];
  /** Files present but not read yet, with why (may still be being written, changed while read). */
  waiting: WaitingFile[];
  /** Quarantine files written for the committed files' bad rows. */
  quarantined: string[];
  /** How each committed file was read: bytes, orders, method, the worker (host:pid), duration. */
  files: FileProcessing[];
  /** Batches of the files this run committed. */
  batches: string[];
  generation: number;
  outputRebuilt: boolean;
  trackingRebuilt: boolean;
  redisError: string | undefined;
  durationMs: number;
}

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
async function writeQuarantines(
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

/** Rewrites the output from the ledger when it does not show `generation`. Whether it did. */
async function rebuildOutputIfBehind(
  config: Config,
  db: Db,
  ledger: Ledger,
  engine: DuckDbEngine,
  generation: number,
) {
  const outputDir = config.paths.incrementalProcessedDir;
  const state = await readOutputState(outputDir);
  if (state?.generation === generation && (await outputPresent(config))) return false;
  const cells = sumCells([await ledger.totals()]);
  await writeAggregateOutputs(engine, cells, config.paths.incrementalCsv, config.paths.incrementalParquet);
  const evaluation = await holdoutTotals(db);
  await writeHoldoutFile(
    holdoutPathFor(config.paths.incrementalCsv),
    evaluation.holdout,
    evaluation.complete,
    {
      files: (await ledger.files()).map((f) => f.path),
      generation,
    },
  );
  await writeFileAtomic(
    path.join(outputDir, STATE_FILE),
    JSON.stringify({ generation, writtenAt: new Date().toISOString() }) + '\n',
  );
  return true;
}

/** Brings processed_days / last_processed_day in line with the ledger. Never throws: Redis may be down. */
async function syncTracking(deps: IncrementalDeps, ledger: Ledger, moved: boolean) {
  const { config, logger, redis } = deps;
  if (!redis) return { trackingRebuilt: false, redisError: 'no Redis connection' };
  try {
    const expected = expectedTracking(await ledger.committedBatches());
    const current = await readTracking(redis, config);
    if (sameTracking(current, expected)) return { trackingRebuilt: false, redisError: undefined };
    await writeTracking(redis, config, expected);
    if (moved) return { trackingRebuilt: false, redisError: undefined };
    logger.warn(
      { had: current, now: expected },
      'Redis tracking keys disagreed with the ledger: rebuilt them from the ledger',
    );
    return { trackingRebuilt: true, redisError: undefined };
  } catch (err) {
    const redisError = toError(err).message;
    logger.warn(
      { err: redisError },
      'Redis unreachable: tracking keys will be rebuilt from the ledger by the next run',
    );
    return { trackingRebuilt: false, redisError };
  }
}

export async function runIncremental(deps: IncrementalDeps): Promise<IncrementalResult> {
  const { config, logger, db, hooks = {} } = deps;
  const started = new Date();
  const lock = await acquireRunLock(db, 'incremental', { leaseMs: config.ingest.leaseMs, logger });
  const engine = deps.engine ?? new DuckDbEngine();
  const ledger = new Ledger(db);
  try {
    const landing = deps.landing ?? (await openLanding(config));
    const changes = await findChanges(ledger, landing, {
      nowMs: Date.now(),
      minFileAgeMs: config.ingest.minFileAgeMs,
    });
    const read = await readChanges(changes, config.ingest, landing);
    const { commits, skipped } = read;
    for (const c of commits) {
      if (c.badRows.length === 0) continue;
      const source = landing.describe(c.path);
      c.quarantinePath = quarantinePathFor(config.paths.quarantineDir, config.dataDir, source);
    }
    const removed = [...changes.removed, ...read.dropped];
    const unskipped = [...changes.vanishedSkipped, ...commits.map((c) => c.path)];
    await hooks.afterAggregate?.();
    lock.assertHeld();

    const moved = commits.length > 0 || removed.length > 0;
    const committed =
      moved || skipped.length > 0 || unskipped.length > 0
        ? await ledger.commit(started, { files: commits, removed, skipped, unskipped }, lock)
        : null;
    const generation = committed?.generation ?? (await ledger.generation());
    if (committed) logger.info({ files: commits.map((c) => c.path), removed, generation }, 'ledger commit');
    for (const f of skipped) logger.warn({ file: f.path, reason: f.reason }, `file ${f.status}`);
    const quarantined = await writeQuarantines(config, landing, commits, removed, logger);
    await hooks.afterLedgerCommit?.();

    const outputRebuilt = await rebuildOutputIfBehind(config, db, ledger, engine, generation);
    // Worth a warning only when an output existed and lagged (a crash after a commit); a first run writes it.
    if (outputRebuilt && !moved && generation > 0)
      logger.warn({ generation }, 'output was behind the ledger: rebuilt it');
    await hooks.afterOutputWrite?.();

    const { trackingRebuilt, redisError } = await syncTracking(deps, ledger, moved);
    await hooks.afterRedisUpdate?.();

    return {
      status: moved ? 'committed' : 'up-to-date',
      filesAdded: commits.filter((c) => !c.replaces).length,
      filesReplaced: commits.filter((c) => c.replaces).length,
      filesRemoved: removed.length,
      orders: commits.reduce((n, c) => n + c.orders, 0),
      items: commits.reduce((n, c) => n + c.items, 0),
      badRows: commits.reduce((n, c) => n + c.badRows.length, 0),
      skipped: skipped.map((f) => ({ path: f.path, status: f.status, reason: f.reason })),
      waiting: [...changes.waiting, ...read.waiting],
      quarantined,
      files: read.processing,
      batches: [...new Set(commits.map((c) => c.batch))],
      generation,
      outputRebuilt,
      trackingRebuilt,
      redisError,
      durationMs: Date.now() - started.getTime(),
    };
  } finally {
    if (!deps.engine) engine.close();
    await lock.release();
  }
}
