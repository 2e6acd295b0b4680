// Which incremental run works on which path (ingest_claims, sql/0015), so that runs over different files go on at
// once — two batches landing together are read and committed side by side — while no two runs ever read, commit
// or remove the same path. Each run holds a lease of its own (lease.ts, named `incremental:<uuid>`); a claim
// lives as long as its run's lease. A claim whose lease expired, whose process died on this host or whose DAG
// run ended is taken over; the old run's commit then fails its fence (its lease row is gone), so a path is never
// committed by two runs.
import type { Db } from '../../store/db.js';
import { LeaseLostError } from '../../base/errors.js';
import { dropGoneLeases } from './lease.js';
import { abandonLeaselessParts } from './staged-parts.js';

/** Lease names of incremental runs (and of anything else that must exclude them from paths: reprocess). */
export const RUN_LEASE_PREFIX = 'incremental:';

export interface ClaimOptions {
  holderEnded?: (dagRunId: number) => Promise<boolean>;
}

/**
 * Drops the leases of incremental runs (other than `token`'s) that are gone (expired, dead process, ended DAG run), the claims they
 * held and the parts they staged but never committed. Returns how many parts were abandoned.
 */
export async function sweepGoneRuns(db: Db, token: number, options: ClaimOptions = {}): Promise<number> {
  await dropGoneLeases(db, RUN_LEASE_PREFIX, token, options.holderEnded);
  await db.query(
    'DELETE FROM ingest_claims c WHERE NOT EXISTS (SELECT 1 FROM ingest_leases l WHERE l.token = c.token)',
  );
  return abandonLeaselessParts(db);
}

/** Claims what of `paths` no other live run holds, for run `token`; returns the paths now this run's. */
export async function claimPaths(db: Db, token: number, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  await db.query(
    `INSERT INTO ingest_claims (path, token) SELECT p, $2 FROM unnest($1::text[]) AS p ON CONFLICT DO NOTHING`,
    [paths, token],
  );
  const mine = await db.query<{ path: string }>(
    'SELECT path FROM ingest_claims WHERE token = $1 AND path = ANY($2::text[])',
    [token, paths],
  );
  return new Set(mine.map((r) => r.path));
}

/** The paths other live runs hold now (shown as waiting for them). */
export async function claimedByOthers(
  db: Db,
  token: number,
  paths: readonly string[],
): Promise<Map<string, number>> {
  if (paths.length === 0) return new Map();
  const rows = await db.query<{ path: string; token: string | number }>(
    'SELECT path, token FROM ingest_claims WHERE token <> $1 AND path = ANY($2::text[])',
    [token, paths],
  );
  return new Map(rows.map((r) => [r.path, Number(r.token)]));
}

/** In the commit's transaction, after the lease's fence: this run still holds all `count` of its claims. */
export async function fenceClaims(tx: Db, token: number, count: number): Promise<void> {
  const [row] = await tx.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM ingest_claims WHERE token = $1',
    [token],
  );
  if (Number(row.n) !== count)
    throw new LeaseLostError(
      `run ${token} holds ${Number(row.n)} of its ${count} path claims (another run took some over); it commits nothing`,
    );
}

/** In the commit's transaction: the run is done with its paths. */
export async function releaseClaims(tx: Db, token: number): Promise<void> {
  await tx.query('DELETE FROM ingest_claims WHERE token = $1', [token]);
}
