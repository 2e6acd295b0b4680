// Part 2: exactly-once incremental processing. Every complete file under DATA_DIR/incremental/raw is folded
// into the output once: the ledger (metadata store) keys files by path + SHA-256 and keeps each file's
// partial aggregate; the output is the sum of the committed partials, rebuilt whenever the ledger moved on.
//
// Order of effects, each safe to crash after: aggregate new files (nothing durable yet) → one ledger
// transaction → output files (atomic renames, then `_state.json` naming the ledger generation they show) →
// Redis tracking keys (one MULTI/EXEC). A re-run finds whatever step did not happen and does it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { writeFileAtomic } from '../data/atomic.js';
import { writeQuarantine } from '../data/quarantine.js';
import { toError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Redis } from '../redis.js';
import type { Db } from '../store/db.js';
import { writeAggregateOutputs } from './aggregate-output.js';
import { listArrivedFiles, type ArrivedFile } from './arrivals.js';
import { sumCells } from './cells.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { aggregateFile } from './file-aggregate.js';
import { holdoutPathFor, writeHoldoutFile } from './holdout.js';
import { holdoutTotals } from './holdout-ledger.js';
import { Ledger, type FileCommit } from './ledger.js';
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

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

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

/** Files that are new or whose content changed since they were committed. */
async function findChanges(ledger: Ledger, arrived: ArrivedFile[]) {
  const known = new Map((await ledger.files()).map((f) => [f.path, f]));
  const changed: { file: ArrivedFile; sha256: string; replaces: boolean }[] = [];
  for (const file of arrived) {
    const entry = known.get(file.path);
    known.delete(file.path);
    if (entry && Number(entry.size_bytes) === file.size && Number(entry.mtime_ms) === file.mtimeMs) continue;
    const sha256 = await sha256Of(file.absolute);
    if (entry && entry.sha256 === sha256) {
      await ledger.touch(file.path, file.mtimeMs);
      continue;
    }
    changed.push({ file, sha256, replaces: Boolean(entry) });
  }
  return { changed, removed: [...known.keys()] };
}

export async function runIncremental(deps: IncrementalDeps): Promise<IncrementalResult> {
  const { config, logger, db, hooks = {} } = deps;
  const started = new Date();
  const lock = await acquireRunLock(db, 'incremental');
  const engine = deps.engine ?? new DuckDbEngine();
  const ledger = new Ledger(db);
  try {
    const arrived = await listArrivedFiles(config.paths.incrementalRawDir);
    const { changed, removed } = await findChanges(ledger, arrived);

    const commits: FileCommit[] = [];
    for (const { file, sha256, replaces } of changed) {
      const part = await aggregateFile(engine, file.absolute);
      const quarantinePath = await writeQuarantine(
        config.paths.quarantineDir,
        config.dataDir,
        file.absolute,
        part.badRows,
      );
      if (part.badRows.length > 0)
        logger.warn(
          { file: file.path, badRows: part.badRows.length, quarantinePath },
          'bad rows quarantined',
        );
      commits.push({
        path: file.path,
        batch: file.batch,
        sha256,
        size: file.size,
        mtimeMs: file.mtimeMs,
        orders: part.orders,
        items: part.itemsIn,
        cells: part.cells,
        holdout: part.holdout,
        badRows: part.badRows,
        quarantinePath,
        replaces,
      });
    }
    await hooks.afterAggregate?.();

    let generation: number;
    if (commits.length > 0 || removed.length > 0) {
      ({ generation } = await ledger.commit(started, commits, removed));
      logger.info({ files: commits.map((c) => c.path), removed, generation }, 'ledger commit');
    } else {
      generation = await ledger.generation();
    }
    await hooks.afterLedgerCommit?.();

    const outputDir = config.paths.incrementalProcessedDir;
    const state = await readOutputState(outputDir);
    let outputRebuilt = false;
    if (state?.generation !== generation || !(await outputPresent(config))) {
      const cells = sumCells([await ledger.totals()]);
      await writeAggregateOutputs(
        engine,
        cells,
        config.paths.incrementalCsv,
        config.paths.incrementalParquet,
      );
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
      outputRebuilt = true;
      if (commits.length === 0 && removed.length === 0)
        logger.warn({ generation }, 'output was behind the ledger: rebuilt it');
    }
    await hooks.afterOutputWrite?.();

    let trackingRebuilt = false;
    let redisError: string | undefined;
    if (deps.redis) {
      try {
        const expected = expectedTracking(await ledger.committedBatches());
        const current = await readTracking(deps.redis, config);
        if (!sameTracking(current, expected)) {
          await writeTracking(deps.redis, config, expected);
          if (commits.length === 0 && removed.length === 0) {
            trackingRebuilt = true;
            logger.warn(
              { had: current, now: expected },
              'Redis tracking keys disagreed with the ledger: rebuilt them from the ledger',
            );
          }
        }
      } catch (err) {
        redisError = toError(err).message;
        logger.warn(
          { err: redisError },
          'Redis unreachable: tracking keys will be rebuilt from the ledger by the next run',
        );
      }
    } else {
      redisError = 'no Redis connection';
    }
    await hooks.afterRedisUpdate?.();

    return {
      status: commits.length > 0 || removed.length > 0 ? 'committed' : 'up-to-date',
      filesAdded: commits.filter((c) => !c.replaces).length,
      filesReplaced: commits.filter((c) => c.replaces).length,
      filesRemoved: removed.length,
      orders: commits.reduce((n, c) => n + c.orders, 0),
      items: commits.reduce((n, c) => n + c.items, 0),
      badRows: commits.reduce((n, c) => n + c.badRows.length, 0),
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
