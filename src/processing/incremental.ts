// Part 2: exactly-once incremental processing, in four steps that the incremental DAG runs as four tasks on any
// workers, and `orderflow incremental` runs one after the other in one process:
//
// 1. discover: take the lease (its fencing token names the run), list new, changed and removed files against
//    the ledger, plan the parts (a file, or a byte range of a large one: increment-plan.ts), drop the staged
//    partials of older runs that never committed;
// 2. read parts: each part is read (scanner over its range, or the exact validator over the whole file) and
//    its partial staged in the metadata store under (token, file, range) — a retry overwrites, nothing counts yet;
// 3. commit: one ledger transaction that checks the fencing token, adds up each file's staged parts and applies
//    the changes; then quarantine files and the output (atomic renames, `_state.json` naming the generation);
// 4. tracking: the Redis keys processed_days / last_processed_day, rebuilt from the ledger (one MULTI/EXEC).
//
// Each step is safe to crash after: a re-run finds whatever did not happen and does it; a commit retried after
// its transaction went through sees the run's token recorded and commits nothing twice.
import os from 'node:os';
import { quarantinePathFor } from '../data/quarantine.js';
import { InputError, LeaseLostError, toError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Redis } from '../redis.js';
import type { Db } from '../store/db.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { readPartTotals } from './file-aggregate.js';
import { findChanges, type WaitingFile } from './file-changes.js';
import { planIncrement, type IncrementPlan, type PartPlan } from './increment-plan.js';
import { rebuildOutputIfBehind, writeQuarantines } from './increment-output.js';
import { openLanding, type LandingArea } from './landing.js';
import { Ledger } from './ledger.js';
import { mergeParts } from './merge-parts.js';
import { acquireRunLock, leaseByToken, type RunLock, type RunLockOptions } from './run-lock.js';
import {
  abandonOlderParts,
  markPartsCommitted,
  partsOfToken,
  recordPlannedParts,
  stagedParts,
  stagePart,
  startPart,
  type PartRecord,
  type PartResult,
} from './staged-parts.js';
import { expectedTracking, readTracking, sameTracking, writeTracking } from './tracking.js';
import type { Config } from '../config.js';

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

export const INCREMENTAL_LEASE = 'incremental';

/** This process, as part records and task logs name it. */
export const THIS_WORKER = `${os.hostname()}:${process.pid}`;

export interface CommitOutcome {
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
  /** How each part of each committed file was read: bytes, orders, method, the worker (host:pid), timing. */
  files: PartRecord[];
  /** Batches of the files this run committed. */
  batches: string[];
  generation: number;
  outputRebuilt: boolean;
}

export interface TrackingOutcome {
  trackingRebuilt: boolean;
  redisError: string | undefined;
}

export interface IncrementalResult extends CommitOutcome, TrackingOutcome {
  durationMs: number;
}

/** How a worker read one part (what the `aggregate` task's children return). */
export interface PartReport {
  path: string;
  index: number;
  count: number;
  outcome: PartResult['outcome'] | 'abandoned';
  bytes: number;
  orders: number;
  badRows: number;
  method: 'scan' | 'exact' | null;
  worker: string;
  startedAt: string;
  durationMs: number;
}

/**
 * Step 1. Takes the lease and plans the run. The caller holds the returned lock: it releases it (one process
 * does the whole run) or detaches it (the DAG's later tasks, on other workers, carry on under its token).
 */
export async function discoverIncrement(
  deps: IncrementalDeps,
  options: Pick<RunLockOptions, 'dagRunId' | 'holderEnded'> = {},
): Promise<{ plan: IncrementPlan; lock: RunLock }> {
  const { config, logger, db } = deps;
  const startedAt = new Date();
  const lock = await acquireRunLock(db, INCREMENTAL_LEASE, {
    leaseMs: config.ingest.leaseMs,
    logger,
    ...options,
  });
  try {
    const landing = deps.landing ?? (await openLanding(config));
    const changes = await findChanges(new Ledger(db), landing, {
      nowMs: Date.now(),
      minFileAgeMs: config.ingest.minFileAgeMs,
    });
    const plan = planIncrement(changes, config.ingest, lock.token, startedAt);
    // This run holds the lease: no older run can commit any more, so what they staged is garbage.
    const abandoned = await abandonOlderParts(db, lock.token);
    if (abandoned > 0)
      logger.info({ parts: abandoned }, 'dropped the staged parts of runs that never committed');
    await recordPlannedParts(db, lock.token, options.dagRunId ?? null, plan.parts);
    return { plan, lock };
  } catch (err) {
    await lock.release().catch(() => {});
    throw err;
  }
}

/** Step 2, for one part: reads it and stages its partial (or its verdict). Any process, any machine. */
export async function readIncrementPart(
  deps: Pick<IncrementalDeps, 'config' | 'db' | 'landing'>,
  token: number,
  part: PartPlan,
  worker: string,
): Promise<PartReport> {
  const { config, db } = deps;
  const startedAt = new Date();
  const report = (outcome: PartReport['outcome'], extra: Partial<PartReport> = {}): PartReport => ({
    path: part.path,
    index: part.index,
    count: part.count,
    outcome,
    bytes: 0,
    orders: 0,
    badRows: 0,
    method: null,
    worker,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    ...extra,
  });
  // A newer run took the lease over (this one was abandoned) or this run already committed: nothing to do.
  if (!(await startPart(db, token, part, worker))) return report('abandoned');
  // Reading a large range may outlast the lease: keep it alive while this part is read.
  const lease = leaseByToken(db, INCREMENTAL_LEASE, token, config.ingest.leaseMs);
  const renew = setInterval(() => void lease.renew().catch(() => {}), config.ingest.leaseMs / 3);
  renew.unref();
  try {
    const landing = deps.landing ?? (await openLanding(config));
    const file = landing.locate(part.path, part.batch, part.stat);
    const local = await landing.materialize(file);
    // Messages name the file as landed (s3://…), not the local copy read.
    const named = (text: string) => text.split(local).join(landing.describe(part.path));
    let result: PartResult;
    try {
      const read = await readPartTotals(local, part.index, part.count, {
        maxLineBytes: config.ingest.maxLineBytes,
        threads: config.ingest.scanThreads,
      });
      read.badRows = read.badRows.map((row) => ({ ...row, file: named(row.file) }));
      result = {
        outcome: 'read',
        part: read,
        orders: sum(read.totals.orders),
        items: sum(read.totals.items),
      };
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      result = { outcome: 'rejected', reason: named(err.message) };
    }
    if (result.outcome === 'read' && !(await landing.unchanged(file)))
      result = {
        outcome: 'changed',
        reason: 'changed while it was being read: it is read again by the next run',
      };
    await stagePart(db, token, part, result);
    if (result.outcome !== 'read') return report(result.outcome);
    return report('read', {
      bytes: result.part.end - result.part.start,
      orders: result.orders,
      badRows: result.part.badRows.length,
      method: result.part.method,
    });
  } finally {
    clearInterval(renew);
  }
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** What a commit checks and releases: the in-process lock, or the lease under the run's token. */
export interface CommitLease {
  fence(tx: Db): Promise<void>;
  release(): Promise<void>;
}

/**
 * Step 3. Adds up the staged parts and commits them in one fenced transaction, then writes quarantine files and
 * the output, and releases the lease. Throws LeaseLostError (commits nothing) if another run took the lease.
 */
export async function commitIncrement(
  deps: IncrementalDeps,
  plan: IncrementPlan,
  lease: CommitLease = leaseByToken(deps.db, INCREMENTAL_LEASE, plan.token, deps.config.ingest.leaseMs),
): Promise<CommitOutcome> {
  const { config, logger, db, hooks = {} } = deps;
  const engine = deps.engine ?? new DuckDbEngine();
  const ledger = new Ledger(db);
  try {
    const landing = deps.landing ?? (await openLanding(config));
    if (await alreadyWentThrough(db, plan.token)) {
      // A retry after this run's transaction went through: the ledger has it; only the outputs may lag.
      logger.info({ token: plan.token }, 'this run already committed; bringing the output up to date');
      const generation = await ledger.generation();
      const outputRebuilt = await rebuildOutputIfBehind(config, db, ledger, engine, generation);
      await lease.release();
      return alreadyCommitted(await partsOfToken(db, plan.token), generation, outputRebuilt);
    }
    const merged = mergeParts(plan, await stagedParts(db, plan.token));
    const { commits, skipped } = merged;
    for (const c of commits) {
      if (c.badRows.length === 0) continue;
      const source = landing.describe(c.path);
      c.quarantinePath = quarantinePathFor(config.paths.quarantineDir, config.dataDir, source);
    }
    const removed = [...plan.removed, ...merged.dropped];
    const unskipped = [...plan.vanishedSkipped, ...commits.map((c) => c.path)];
    const moved = commits.length > 0 || removed.length > 0;
    const fence = {
      fence: async (tx: Db) => {
        await lease.fence(tx);
        await markPartsCommitted(tx, plan.token);
        await tx.query('UPDATE ingest_state SET committed_token = $1 WHERE id = 1', [plan.token]);
      },
    };
    const committed =
      moved || skipped.length > 0 || unskipped.length > 0 || plan.parts.length > 0
        ? await ledger.commit(
            new Date(plan.startedAt),
            { files: commits, removed, skipped, unskipped },
            fence,
          )
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
    await lease.release();

    const committedPaths = new Set(commits.map((c) => c.path));
    return {
      status: moved ? 'committed' : 'up-to-date',
      filesAdded: commits.filter((c) => !c.replaces).length,
      filesReplaced: commits.filter((c) => c.replaces).length,
      filesRemoved: removed.length,
      orders: commits.reduce((n, c) => n + c.orders, 0),
      items: commits.reduce((n, c) => n + c.items, 0),
      badRows: commits.reduce((n, c) => n + c.badRows.length, 0),
      skipped: skipped.map((f) => ({ path: f.path, status: f.status, reason: f.reason })),
      waiting: [...plan.waiting, ...merged.waiting],
      quarantined,
      files: (await partsOfToken(db, plan.token)).filter((p) => committedPaths.has(p.path)),
      batches: [...new Set(commits.map((c) => c.batch))],
      generation,
      outputRebuilt,
    };
  } finally {
    if (!deps.engine) engine.close();
  }
}

/** Whether this run's commit transaction went through: it marked its parts, or recorded its token last. */
async function alreadyWentThrough(db: Db, token: number): Promise<boolean> {
  const [row] = await db.query<{ done: boolean }>(
    `SELECT (SELECT committed_token FROM ingest_state WHERE id = 1) = $1
       OR EXISTS (SELECT 1 FROM ingest_parts WHERE token = $1 AND state = 'committed') AS done`,
    [token],
  );
  return row.done;
}

/** The outcome of a commit that had already gone through, as far as its part records tell. */
function alreadyCommitted(parts: PartRecord[], generation: number, outputRebuilt: boolean): CommitOutcome {
  const read = parts.filter((p) => p.outcome === 'read');
  return {
    status: 'committed',
    filesAdded: new Set(read.map((p) => p.path)).size,
    filesReplaced: 0,
    filesRemoved: 0,
    orders: read.reduce((n, p) => n + (p.orders ?? 0), 0),
    items: read.reduce((n, p) => n + (p.items ?? 0), 0),
    badRows: read.reduce((n, p) => n + (p.badRows ?? 0), 0),
    skipped: [],
    waiting: [],
    quarantined: [],
    files: read,
    batches: [...new Set(read.map((p) => p.path.split('/')[0]))],
    generation,
    outputRebuilt,
  };
}

/** Step 4. Brings processed_days / last_processed_day in line with the ledger. Never throws: Redis may be down. */
export async function updateIncrementTracking(
  deps: Pick<IncrementalDeps, 'config' | 'logger' | 'db' | 'redis'>,
  moved: boolean,
): Promise<TrackingOutcome> {
  const { config, logger, redis } = deps;
  if (!redis) return { trackingRebuilt: false, redisError: 'no Redis connection' };
  try {
    const expected = expectedTracking(await new Ledger(deps.db).committedBatches());
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

/** The four steps in this process (`orderflow incremental`, watch mode): the same code the DAG's tasks run. */
export async function runIncremental(deps: IncrementalDeps): Promise<IncrementalResult> {
  const started = Date.now();
  const { plan, lock } = await discoverIncrement(deps);
  try {
    const landing = deps.landing ?? (await openLanding(deps.config));
    for (const part of plan.parts) {
      const read = await readIncrementPart({ ...deps, landing }, plan.token, part, THIS_WORKER);
      if (read.outcome === 'abandoned') lock.assertHeld();
    }
    await deps.hooks?.afterAggregate?.();
    lock.assertHeld();
    const committed = await commitIncrement({ ...deps, landing }, plan, lock);
    const tracking = await updateIncrementTracking(deps, committed.status === 'committed');
    await deps.hooks?.afterRedisUpdate?.();
    return { ...committed, ...tracking, durationMs: Date.now() - started };
  } finally {
    // Released by the commit; again here (a no-op then) when a step failed.
    await lock.release().catch((err: unknown) => {
      if (!(err instanceof LeaseLostError))
        deps.logger.debug({ err }, 'releasing the incremental lease failed');
    });
  }
}
