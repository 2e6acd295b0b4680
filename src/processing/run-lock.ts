// A lease in the metadata store so that one incremental run at a time happens across all processes and
// machines. A lease expires unless renewed; one held by a dead process on this host is taken over at once
// (a kill -9 must not block the next run for the lease time).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db } from '../store/db.js';
import { LockedError } from '../errors.js';

export interface RunLock {
  release(): Promise<void>;
}

interface LockRow {
  owner: string;
  host: string;
  pid: number;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireRunLock(db: Db, name: string, leaseMs = 60_000): Promise<RunLock> {
  const owner = randomUUID();
  const host = os.hostname();
  const take = () =>
    db.query<LockRow>(
      `INSERT INTO run_locks (name, owner, host, pid, expires_at)
       VALUES ($1, $2, $3, $4, now() + ($5::double precision * interval '1 millisecond'))
       ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, host = EXCLUDED.host, pid = EXCLUDED.pid,
         acquired_at = now(), expires_at = EXCLUDED.expires_at
       WHERE run_locks.expires_at < now()
       RETURNING owner, host, pid`,
      [name, owner, host, process.pid, leaseMs],
    );
  let rows = await take();
  if (rows.length === 0) {
    const [holder] = await db.query<LockRow>('SELECT owner, host, pid FROM run_locks WHERE name = $1', [
      name,
    ]);
    if (holder && holder.host === host && !processAlive(holder.pid)) {
      await db.query('DELETE FROM run_locks WHERE name = $1 AND owner = $2', [name, holder.owner]);
      rows = await take();
    }
    if (rows.length === 0) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}` : 'another process';
      throw new LockedError(
        `another ${name} run is in progress (${who}); this one exits without doing anything`,
      );
    }
  }
  const renew = setInterval(() => {
    db.query(
      `UPDATE run_locks SET expires_at = now() + ($3::double precision * interval '1 millisecond') WHERE name = $1 AND owner = $2`,
      [name, owner, leaseMs],
    ).catch(() => {});
  }, leaseMs / 3);
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      await db.query('DELETE FROM run_locks WHERE name = $1 AND owner = $2', [name, owner]);
    },
  };
}
