// Reprocessing (a backfill of committed data): re-read chosen batches or files of the incremental raw folder and
// compare them with what the ledger committed for them, e.g. after a fix to validation or aggregation.
//
// The dry run changes nothing: it lists the (day, hour, category) cells whose totals would change, by how much,
// and how many prediction-cache keys those cells have (the next training and cache refresh recompute them).
// Applying forgets the files in the ledger while holding claims on their paths (run-claims.ts: no incremental run
// is reading them meanwhile); the next incremental run (the caller starts one) reads them again as new, so the
// output stays the sum of committed partials, exactly once.
import { cellKey, type Cell, type CellAddress } from '../base/cell.js';
import type { Config } from '../base/config.js';
import { NotFoundError, UsageError } from '../base/errors.js';
import { cellCacheKey } from '../redis/cell-key.js';
import type { Redis } from '../redis/redis.js';
import type { Db } from '../store/db.js';
import path from 'node:path';
import { aggregateFile } from './read/file-aggregate.js';
import { aggregateInstacartDir } from './instacart/instacart-aggregate.js';
import { openLanding } from './landing/landing.js';
import { Ledger } from './ledger/ledger.js';
import { randomUUID } from 'node:crypto';
import { LockedError } from '../base/errors.js';
import { claimPaths, releaseClaims, RUN_LEASE_PREFIX } from './ledger/run-claims.js';
import { acquireLease } from './ledger/lease.js';

export interface ReprocessRequest {
  /** Batch folders (every committed file in them). */
  batches?: readonly string[];
  /** Files, as the ledger names them ("<batch>/<name>.csv"). */
  files?: readonly string[];
}

export interface CellChange extends CellAddress {
  /** Items the ledger has committed for the cell from these files, and what reading them again gives. */
  before: number;
  after: number;
}

export interface ReprocessPlan {
  files: { path: string; batch: string; status: 'same' | 'changed' | 'missing'; badRows: number }[];
  /** Cells whose total would change, largest change first. */
  cells: CellChange[];
  /** Prediction-cache keys of those cells that exist now (recomputed by the next training + refresh). */
  cacheKeys: number | null;
  /** True once the files were forgotten in the ledger (the next incremental run reads them again). */
  applied: boolean;
}

/** The plan as JSON readers (HTTP, `reprocess --json`) get it: cells named as the aggregate CSV's columns. */
export function reprocessPlanRecord(plan: ReprocessPlan) {
  return {
    ...plan,
    cells: plan.cells.map(({ day, hour, category, before, after }) => ({
      day_of_week: day,
      hour_of_day: hour,
      category,
      before,
      after,
    })),
  };
}

export interface ReprocessDeps {
  config: Pick<Config, 'paths' | 'redisKeyPrefix' | 'ingest' | 'dataDir'>;
  db: Db;
  /** For the cache-key count; without it (or while Redis is down) the count is null. */
  redis?: Redis;
}

async function chosenFiles(ledger: Ledger, request: ReprocessRequest) {
  const all = await ledger.files();
  const batches = new Set(all.map((f) => f.batch));
  for (const b of request.batches ?? [])
    if (!batches.has(b)) throw new NotFoundError(`no committed batch ${JSON.stringify(b)}`, [...batches]);
  for (const f of request.files ?? [])
    if (!all.some((x) => x.path === f))
      throw new NotFoundError(
        `no committed file ${JSON.stringify(f)}`,
        all.map((x) => x.path),
      );
  const chosen = all.filter((f) => request.batches?.includes(f.batch) || request.files?.includes(f.path));
  if (chosen.length === 0) throw new UsageError('choose at least one batch or file to reprocess');
  return chosen;
}

async function countCachedKeys(deps: ReprocessDeps, cells: readonly CellChange[]): Promise<number | null> {
  if (!deps.redis || cells.length === 0) return deps.redis ? 0 : null;
  try {
    let n = 0;
    for (let i = 0; i < cells.length; i += 1000) {
      const chunk = cells.slice(i, i + 1000).map((c) => cellCacheKey(deps.config, c.day, c.hour, c.category));
      n += await deps.redis.exists(...chunk);
    }
    return n;
  } catch {
    // Redis down: the plan is still right, only this count is unknown.
    return null;
  }
}

export async function reprocess(
  deps: ReprocessDeps,
  request: ReprocessRequest,
  options: { apply: boolean },
): Promise<ReprocessPlan> {
  const ledger = new Ledger(deps.db);
  const chosen = await chosenFiles(ledger, request);
  const committed = await ledger.partials(chosen.map((f) => f.path));
  const totals = new Map<string, CellChange>();
  const add = (c: Cell, side: 'before' | 'after') => {
    const k = cellKey(c);
    const cell = totals.get(k) ?? { day: c.day, hour: c.hour, category: c.category, before: 0, after: 0 };
    cell[side] += c.items;
    totals.set(k, cell);
  };
  const landing = await openLanding(deps.config);
  const present = new Map((await landing.list()).map((f) => [f.path, f]));
  const files: ReprocessPlan['files'] = [];
  {
    for (const f of chosen) {
      for (const c of committed.get(f.path) ?? []) add(c, 'before');
      const landed = present.get(f.path);
      const part = landed
        ? await (
            landed.relational
              ? aggregateInstacartDir(path.dirname(landed.absolute), {
                  category: deps.config.ingest.instacartCategory,
                })
              : aggregateFile(await landing.materialize(landed), {
                  maxLineBytes: deps.config.ingest.maxLineBytes,
                })
          ).catch((err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') return undefined;
            throw err;
          })
        : undefined;
      if (!part) {
        files.push({ path: f.path, batch: f.batch, status: 'missing', badRows: 0 });
        continue;
      }
      for (const c of part.cells) add(c, 'after');
      const before = new Map((committed.get(f.path) ?? []).map((c) => [cellKey(c), c.items]));
      const same =
        before.size === part.cells.length && part.cells.every((c) => before.get(cellKey(c)) === c.items);
      files.push({
        path: f.path,
        batch: f.batch,
        status: same ? 'same' : 'changed',
        badRows: part.badRows.length,
      });
    }
  }
  const cells = [...totals.values()]
    .filter((c) => c.before !== c.after)
    .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before));
  const plan: ReprocessPlan = { files, cells, cacheKeys: await countCachedKeys(deps, cells), applied: false };
  if (!options.apply) return plan;
  const paths = chosen.map((f) => f.path);
  const lock = await acquireLease(deps.db, `${RUN_LEASE_PREFIX}${randomUUID()}`);
  try {
    const claimed = await claimPaths(deps.db, lock.token, paths);
    if (claimed.size < paths.length)
      throw new LockedError(
        `an incremental run is reading ${paths.filter((p) => !claimed.has(p)).join(', ')}: try again once it has committed`,
      );
    await ledger.forget(paths);
  } finally {
    await releaseClaims(deps.db, lock.token);
    await lock.release();
  }
  return { ...plan, applied: true };
}
