// Part 2: exactly-once incremental processing, in four steps that the incremental DAG runs as four tasks on any
// workers, and `orderflow incremental` runs one after the other in one process:
//
// 1. discover: take a lease of the run's own (its fencing token names the run), list new, changed and removed
//    files against the ledger by their stats alone, claim the paths no other live run holds (run-claims.ts: runs
//    over different files go on side by side), plan the parts (whole content-hash chunks: increment-plan.ts);
// 2. read parts: each part is read (scanner over its range, or the exact validator over the whole file), its
//    chunks hashed, and its partial staged under (token, file, range) — a retry overwrites, nothing counts yet;
// 3. commit: one ledger transaction of a few statements that checks the lease and the claims, decides from the
//    parts' hashes which files are new, changed, unchanged or duplicates, keeps the counted parts' staged totals
//    as the files' partials and queues the change for the fold; then the quarantine files. The output is written
//    after it by whichever process needs it (increment-output.ts folds and writes it);
// 4. tracking: the Redis keys processed_days / last_processed_day, rebuilt from the ledger (one MULTI/EXEC).
//
// Each step is safe to crash after: a re-run finds whatever did not happen and does it; a commit retried after
// its transaction went through sees the run's token recorded and commits nothing twice.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { quarantinePathFor } from '../data/quarantine.js';
import { InputError, LeaseLostError, toError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import type { Redis } from '../redis/redis.js';
import type { Db } from '../store/db.js';
import { DuckDbEngine } from './output/duckdb-engine.js';
import { readPart } from './read/file-aggregate.js';
import { readRelationalBatch, relationalBatchFiles } from './instacart/instacart-batch.js';
import { findChanges, type FileChanges } from './landing/file-changes.js';
import type { WaitingFile } from './files.js';
import { planIncrement, type IncrementPlan } from './increment-plan.js';
import type { PartPlan } from './files.js';
import { syncOutput, writeQuarantines } from './output/increment-output.js';
import { openLanding } from './landing/landing.js';
import type { LandingArea } from './files.js';
import { Ledger } from './ledger/ledger.js';
import { mergeParts } from './ledger/merge-parts.js';
import { commitWentThrough } from './ledger/ledger-commit.js';
import {
  acquireLease,
  leaseByToken,
  type AcquiredLease,
  type Lease,
  type LeaseOptions,
} from './ledger/lease.js';
import {
  claimedByOthers,
  claimPaths,
  fenceClaims,
  RUN_LEASE_PREFIX,
  sweepGoneRuns,
} from './ledger/run-claims.js';
import {
  partsOfToken,
  recordPlannedParts,
  stagedParts,
  stagePart,
  startPart,
  type PartRecord,
  type PartResult,
} from './ledger/staged-parts.js';
import { syncTracking } from './output/tracking.js';
import type { Config } from '../base/config.js';

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

/** This process, as part records and task logs name it. */
const THIS_WORKER = `${os.hostname()}:${process.pid}`;

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
  options: Pick<LeaseOptions, 'dagRunId' | 'holderEnded'> = {},
): Promise<{ plan: IncrementPlan; lock: AcquiredLease }> {
  const { config, logger, db } = deps;
  const startedAt = new Date();
  const lock = await acquireLease(db, `${RUN_LEASE_PREFIX}${randomUUID()}`, {
    leaseMs: config.ingest.leaseMs,
    logger,
    ...options,
  });
  try {
    // Runs that are gone leave their claims and staged parts behind: free them before claiming.
    const abandoned = await sweepGoneRuns(db, lock.token, { holderEnded: options.holderEnded });
    if (abandoned > 0)
      logger.info({ parts: abandoned }, 'dropped the staged parts of runs that never committed');
    const landing = deps.landing ?? (await openLanding(config));
    const changes = await claimChanges(
      db,
      lock.token,
      await findChanges(new Ledger(db), landing, {
        nowMs: Date.now(),
        minFileAgeMs: config.ingest.minFileAgeMs,
      }),
    );
    const plan = planIncrement(changes, config.ingest, lock.token, startedAt, changes.claims);
    await recordPlannedParts(db, lock.token, options.dagRunId ?? null, plan.parts);
    return { plan, lock };
  } catch (err) {
    await lock.release().catch(() => {});
    throw err;
  }
}

/** The changes whose paths this run could claim; the others wait for the runs that hold them. */
async function claimChanges(
  db: Db,
  token: number,
  changes: FileChanges,
): Promise<FileChanges & { claims: number }> {
  const wanted = [...changes.toRead.map((t) => t.file.path), ...changes.removed, ...changes.vanishedSkipped];
  const mine = await claimPaths(db, token, wanted);
  const others = await claimedByOthers(db, token, wanted);
  const waiting = changes.toRead
    .filter((t) => !mine.has(t.file.path))
    .map((t) => ({
      path: t.file.path,
      batch: t.file.batch,
      reason: `being read by another run (${others.has(t.file.path) ? `run ${others.get(t.file.path)}` : 'just committed'})`,
    }));
  return {
    ...changes,
    toRead: changes.toRead.filter((t) => mine.has(t.file.path)),
    removed: changes.removed.filter((p) => mine.has(p)),
    vanishedSkipped: changes.vanishedSkipped.filter((p) => mine.has(p)),
    waiting: [...changes.waiting, ...waiting],
    claims: mine.size,
  };
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
  const lease = leaseByToken(db, token, config.ingest.leaseMs);
  const renew = setInterval(() => void lease.renew().catch(() => {}), config.ingest.leaseMs / 3);
  renew.unref();
  try {
    const landing = deps.landing ?? (await openLanding(config));
    const result = await readAndCheck(landing, part, config);
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

const CHANGED_WHILE_READ = 'changed while it was being read: it is read again by the next run';

/** Reads a part from the landing area (only its bytes: landing.ts) and checks the file did not change meanwhile. */
async function readAndCheck(landing: LandingArea, part: PartPlan, config: Config): Promise<PartResult> {
  const file = landing.locate(part.path, part.batch, part.stat);
  const chunks = { chunkBytes: part.chunkBytes, index: part.index, count: part.count };
  const locals: string[] = [];
  // Messages name the file as landed (s3://…), not the local copy read.
  const named = (text: string) => locals.reduce((t, l) => t.split(l).join(landing.describe(part.path)), text);
  let copy: Awaited<ReturnType<LandingArea['materializePart']>> | undefined;
  try {
    const relational = landing.isDirectory ? relationalBatchFiles(file.absolute) : null;
    if (relational) {
      const { part: read, catalogSha256 } = await readRelationalBatch(relational, {
        category: config.ingest.instacartCategory,
        chunkBytes: part.chunkBytes,
        threads: config.ingest.scanThreads,
      });
      if (!(await landing.unchanged(file))) return { outcome: 'changed', reason: CHANGED_WHILE_READ };
      const [orders, items] = [sum(read.totals.orders), sum(read.totals.items)];
      return { outcome: 'read', part: read, orders, items, catalogSha256 };
    }
    copy = await landing.materializePart(file, chunks);
    locals.push(copy.path);
    const read = await readPart(copy.path, chunks, {
      maxLineBytes: config.ingest.maxLineBytes,
      threads: config.ingest.scanThreads,
      wholeFile: async () => {
        const whole = await landing.materialize(file);
        locals.push(whole);
        return whole;
      },
    });
    read.badRows = read.badRows.map((row) => ({ ...row, file: named(row.file) }));
    if (!(await landing.unchanged(file))) return { outcome: 'changed', reason: CHANGED_WHILE_READ };
    return { outcome: 'read', part: read, orders: sum(read.totals.orders), items: sum(read.totals.items) };
  } catch (err) {
    // An object replaced since it was listed: the ranged GETs are pinned to the listed ETag.
    if ((err as { name?: string }).name === 'PreconditionFailed')
      return { outcome: 'changed', reason: CHANGED_WHILE_READ };
    if (!(err instanceof InputError)) throw err;
    return { outcome: 'rejected', reason: named(err.message) };
  } finally {
    await copy?.discard();
  }
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * Step 3. Checks the staged parts and commits them in one fenced transaction, then writes the quarantine files and
 * releases the lease. Throws LeaseLostError (commits nothing) if the run's lease or a claim was taken over.
 */
export async function commitIncrement(
  deps: IncrementalDeps,
  plan: IncrementPlan,
  lease: Lease = leaseByToken(deps.db, plan.token, deps.config.ingest.leaseMs),
): Promise<CommitOutcome> {
  const { config, logger, db, hooks = {} } = deps;
  const ledger = new Ledger(db);
  const landing = deps.landing ?? (await openLanding(config));
  if (await commitWentThrough(db, plan.token)) {
    // A retry after this run's transaction went through: the ledger has it.
    logger.info({ token: plan.token }, 'this run already committed');
    await lease.release();
    return alreadyCommitted(await partsOfToken(db, plan.token), await ledger.generation());
  }
  const merged = mergeParts(plan, await stagedParts(db, plan.token));
  for (const c of merged.commits) {
    if (c.badRows.length === 0) continue;
    c.quarantinePath = quarantinePathFor(
      config.paths.quarantineDir,
      config.dataDir,
      landing.describe(c.path),
    );
  }
  const committed = await ledger.commit(
    {
      token: plan.token,
      startedAt: new Date(plan.startedAt),
      files: merged.commits,
      removed: plan.removed,
      skipped: merged.skipped,
      vanishedSkipped: plan.vanishedSkipped,
      allowDuplicates: config.ingest.allowDuplicateFiles,
    },
    {
      fence: async (tx) => {
        await lease.fence(tx);
        await fenceClaims(tx, plan.token, plan.claims);
      },
    },
  );
  const { added, removed, generation } = committed;
  const moved = added.length > 0 || removed.length > 0;
  if (moved) logger.info({ files: added.map((c) => c.path), removed, generation }, 'ledger commit');
  const skipped = [...merged.skipped, ...committed.duplicates];
  for (const f of skipped) logger.warn({ file: f.path, reason: f.reason }, `file ${f.status}`);
  const quarantined = await writeQuarantines(config, landing, added, removed, logger);
  await hooks.afterLedgerCommit?.();
  await lease.release();

  const addedPaths = new Set(added.map((c) => c.path));
  return {
    status: moved ? 'committed' : 'up-to-date',
    filesAdded: added.filter((c) => !c.replaces).length,
    filesReplaced: added.filter((c) => c.replaces).length,
    filesRemoved: removed.length - added.filter((c) => c.replaces).length,
    orders: added.reduce((n, c) => n + c.orders, 0),
    items: added.reduce((n, c) => n + c.items, 0),
    badRows: added.reduce((n, c) => n + c.badRows.length, 0),
    skipped: skipped.map((f) => ({ path: f.path, status: f.status, reason: f.reason })),
    waiting: [...plan.waiting, ...merged.waiting],
    quarantined,
    files: (await partsOfToken(db, plan.token)).filter((p) => addedPaths.has(p.path)),
    batches: [...new Set(added.map((c) => c.batch))],
    generation,
    outputRebuilt: false,
  };
}

/** The outcome of a commit that had already gone through, as far as its part records tell. */
function alreadyCommitted(parts: PartRecord[], generation: number): CommitOutcome {
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
    outputRebuilt: false,
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
    const sync = await syncTracking(deps.db, redis, config);
    if (!sync.changed || moved) return { trackingRebuilt: false, redisError: undefined };
    logger.warn(
      { had: sync.had, now: sync.now },
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

/** Brings the local output up to the ledger (a fold and a rewrite when it is behind). Whether it wrote. */
async function writeOutput(deps: IncrementalDeps, committed: CommitOutcome): Promise<boolean> {
  const engine = deps.engine ?? new DuckDbEngine();
  try {
    const { version: generation, changed: rebuilt } = await syncOutput(deps.config, deps.db, engine, {
      writeEmpty: true,
    });
    // Worth a warning only when an output existed and lagged (a crash after a commit); a first run writes it.
    if (rebuilt && committed.status !== 'committed' && generation !== null && generation > 0)
      deps.logger.warn({ generation }, 'output was behind the ledger: rebuilt it');
    return rebuilt;
  } finally {
    if (!deps.engine) engine.close();
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
    // In one process the output is written at once (in the DAG, by whichever task needs it: training, serve).
    committed.outputRebuilt = await writeOutput(deps, committed);
    await deps.hooks?.afterOutputWrite?.();
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
