// A lease in the metadata store: one holder of a name at a time across all processes and machines (each
// incremental run takes a lease of its own name and claims the paths it works on: run-claims.ts). A lease expires unless renewed; one held by a dead process on this host is taken over at once
// (a kill -9 must not block the next run for the lease time).
//
// The lease is also a fence: each acquisition takes a token from a sequence, and the commit calls
// `fence(tx)` inside its transaction, which succeeds only while the row still carries this run's owner and
// token (and renews it under the row lock, so no takeover can slip in before the commit ends). A run that
// was paused past its lease (GC pause, SIGSTOP, slow disk) and lost it to another run commits nothing.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from '../../base/log.js';
import type { Db } from '../../store/db.js';
import { LeaseLostError, LockedError, toError } from '../../base/errors.js';

/** The one fence: what a commit checks inside its transaction (Ledger.commit). */
export interface Fence {
  /** Throws LeaseLostError unless the lease is still held; renews it under the row lock. */
  fence(tx: Db): Promise<void>;
}

/** A lease under its fencing token: what a commit fences with and releases after. */
export interface Lease extends Fence {
  /** The fencing token of the acquisition: larger than every earlier one. */
  readonly token: number;
  release(): Promise<void>;
}

/** A lease this process acquired and renews in the background until it releases or detaches it. */
export interface AcquiredLease extends Lease {
  /** Throws LeaseLostError if a renewal already found the lease gone (fail before doing more work). */
  assertHeld(): void;
  /**
   * Hands the lease on to other processes (the incremental DAG's later tasks, on any worker): this process
   * stops renewing it, and the holder of the token renews, fences and releases it (`leaseByToken`).
   */
  detach(): void;
}

/** A lease adopted by its token, by whichever process does the run's next step; renewed on request. */
export interface AdoptedLease extends Lease {
  /** Extends the lease; false when the token no longer holds it (another run took it over). */
  renew(): Promise<boolean>;
}

export interface LeaseRow {
  owner: string;
  host: string;
  pid: number;
  token: number;
  dag_run_id: number | null;
}

export interface LeaseOptions {
  /** @defaultValue 60 s */
  leaseMs?: number;
  logger?: Logger;
  /** The DAG run this acquisition works for: recorded with the lease, so a later run can tell it ended. */
  dagRunId?: number;
  /**
   * Whether the DAG run that holds the lease has ended (it failed between two of its tasks, so no task of it
   * will release the lease): then the lease is taken over at once instead of after it expires.
   */
  holderEnded?: (dagRunId: number) => Promise<boolean>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Leases this process holds now (by owner id): a row of this pid naming another owner is a leftover. */
const heldHere = new Set<string>();

const LEASE_INTERVAL = "($3::double precision * interval '1 millisecond')";

/**
 * Whether a lease's holder is gone although the lease has not expired: a dead process on this host, this very
 * process no longer running that lease (its release failed on a lost connection), or an ended DAG run. Such a
 * lease would otherwise block every run until it expires.
 */
async function isStaleHolder(
  holder: LeaseRow,
  holderEnded?: (dagRunId: number) => Promise<boolean>,
): Promise<boolean> {
  const host = os.hostname();
  if (holder.host === host) {
    if (!processAlive(holder.pid)) return true;
    if (holder.pid === process.pid && !heldHere.has(holder.owner)) return true;
  }
  return (
    holder.dag_run_id !== null && holderEnded !== undefined && (await holderEnded(Number(holder.dag_run_id)))
  );
}

export async function acquireLease(db: Db, name: string, options: LeaseOptions = {}): Promise<AcquiredLease> {
  const leaseMs = options.leaseMs ?? 60_000;
  const owner = randomUUID();
  const host = os.hostname();
  const take = () =>
    db.query<LeaseRow>(
      `INSERT INTO ingest_leases (name, owner, host, pid, expires_at, token, dag_run_id)
       VALUES ($1, $2, $4, $5, now() + ${LEASE_INTERVAL}, nextval('ingest_lease_tokens'), $6)
       ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, host = EXCLUDED.host, pid = EXCLUDED.pid,
         acquired_at = now(), expires_at = EXCLUDED.expires_at, token = EXCLUDED.token,
         dag_run_id = EXCLUDED.dag_run_id
       WHERE ingest_leases.expires_at < now()
       RETURNING owner, host, pid, token, dag_run_id`,
      [name, owner, leaseMs, host, process.pid, options.dagRunId ?? null],
    );
  let rows = await take();
  if (rows.length === 0) {
    const [holder] = await db.query<LeaseRow>(
      'SELECT owner, host, pid, token, dag_run_id FROM ingest_leases WHERE name = $1',
      [name],
    );
    const stale = holder !== undefined && (await isStaleHolder(holder, options.holderEnded));
    if (holder && stale) {
      await db.query('DELETE FROM ingest_leases WHERE name = $1 AND owner = $2', [name, holder.owner]);
      rows = await take();
    }
    if (rows.length === 0) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}` : 'another process';
      throw new LockedError(
        `another ${name} run is in progress (${who}); this one exits without doing anything`,
      );
    }
  }
  const token = Number(rows[0].token);
  heldHere.add(owner);
  let lost: string | undefined;
  // Only an unexpired lease is renewed: an expired one may be taken over (its claims: run-claims.ts) at any moment.
  const renewSql = `UPDATE ingest_leases SET expires_at = now() + ${LEASE_INTERVAL}
                    WHERE name = $1 AND owner = $2 AND token = $4 AND expires_at > now() RETURNING token`;
  const leaseLost = (why: string) => leaseLostError(name, token, why);
  const renew = setInterval(() => {
    db.query(renewSql, [name, owner, leaseMs, token]).then(
      (renewed) => {
        if (renewed.length === 0 && !lost) {
          lost = 'another run took it over after it expired';
          options.logger?.warn({ lease: name, token }, `lease lost: ${lost}`);
        }
      },
      (err: unknown) => {
        // A renewal that cannot reach the store does not prove the lease is gone, but this run can no
        // longer know it holds it: stop before committing (the fence would refuse it anyway).
        if (!lost) {
          lost = `renewing it failed (${toError(err).message})`;
          options.logger?.warn({ lease: name, token }, `lease renewal failed: ${lost}`);
        }
      },
    );
  }, leaseMs / 3);
  renew.unref();
  return {
    token,
    assertHeld() {
      if (lost) throw leaseLost(lost);
    },
    async fence(tx) {
      if (lost) throw leaseLost(lost);
      const held = await tx.query(renewSql, [name, owner, leaseMs, token]);
      if (held.length === 0) throw leaseLost('another run took it over after it expired');
    },
    async release() {
      clearInterval(renew);
      heldHere.delete(owner);
      await db.query('DELETE FROM ingest_leases WHERE name = $1 AND owner = $2', [name, owner]);
    },
    detach() {
      clearInterval(renew);
      // The row now stands for the run, not for this process: once this process runs no step of it, a later
      // acquisition here may take a leftover over (as after a lost release).
      heldHere.delete(owner);
    },
  };
}

function leaseLostError(name: string, token: number, why: string): LeaseLostError {
  // A run's own lease is named after the run (incremental:<uuid>); the message names the kind of lease.
  const kind = name.replace(/:[0-9a-f-]{36}$/, '');
  return new LeaseLostError(
    `the ${kind} lease (token ${token}) was lost: ${why}; this run commits nothing (the run holding the lease now, or the next one, does the work)`,
  );
}

/**
 * Drops the leases named `prefix…` (other than `token`'s) whose holder is gone: expired, a dead process on this
 * host, or an ended DAG run (isStaleHolder).
 */
export async function dropGoneLeases(
  db: Db,
  prefix: string,
  token: number,
  holderEnded?: (dagRunId: number) => Promise<boolean>,
): Promise<void> {
  await db.query('DELETE FROM ingest_leases WHERE name LIKE $1 AND expires_at < now()', [`${prefix}%`]);
  const live = await db.query<LeaseRow>(
    'SELECT owner, host, pid, token, dag_run_id FROM ingest_leases WHERE name LIKE $1 AND token <> $2',
    [`${prefix}%`, token],
  );
  for (const holder of live)
    if (await isStaleHolder(holder, holderEnded))
      await db.query('DELETE FROM ingest_leases WHERE token = $1 AND owner = $2', [
        holder.token,
        holder.owner,
      ]);
}

/** The lease of fencing token `token`, whatever its name, for whichever process does the run's next step. */
export function leaseByToken(db: Db, token: number, leaseMs: number): AdoptedLease {
  const renewSql = `UPDATE ingest_leases SET expires_at = now() + ($2::double precision * interval '1 millisecond')
                    WHERE token = $1 AND expires_at > now() RETURNING name`;
  const lost = () =>
    new LeaseLostError(
      `the lease of run ${token} expired or was taken over; this run commits nothing (the next run does the work)`,
    );
  return {
    token,
    async renew() {
      return (await db.query(renewSql, [token, leaseMs])).length > 0;
    },
    async fence(tx) {
      if ((await tx.query(renewSql, [token, leaseMs])).length === 0) throw lost();
    },
    async release() {
      await db.query('DELETE FROM ingest_leases WHERE token = $1', [token]);
    },
  };
}
