// The owner file DATA_DIR/meta.owner.json says which process has the embedded PGlite directory open, and whether
// (and where) it serves it. Created atomically with its content (write a temp file, then link(): fails if the
// file exists); updated by rename; removed by the owner on close. A file whose pid is dead is stale.
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { unlinkSync, readFileSync } from 'node:fs';

export interface OwnerInfo {
  pid: number;
  /** `direct`: open without serving; `starting`: will serve soon; `serving`: accepting connections on port. */
  state: 'direct' | 'starting' | 'serving';
  port: number | null;
  /** Password the wire server asks for; the file is readable by its user only. */
  secret: string | null;
  startedAt: string;
}

function tempName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/** Creates the owner file with `info` unless it exists. True when this process is now the owner. */
export async function tryCreateOwnerFile(file: string, info: OwnerInfo): Promise<boolean> {
  const tmp = tempName(file);
  await writeFile(tmp, JSON.stringify(info), { mode: 0o600 });
  try {
    await link(tmp, file);
    return true;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Replaces the owner file's content atomically (only the owner calls this). */
export async function updateOwnerFile(file: string, info: OwnerInfo): Promise<void> {
  const tmp = tempName(file);
  await writeFile(tmp, JSON.stringify(info), { mode: 0o600 });
  await rename(tmp, file);
}

/** The owner file's content; undefined if there is none, null if it cannot be parsed. */
export async function readOwnerFile(file: string): Promise<OwnerInfo | null | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  return parseOwner(text);
}

function parseOwner(text: string): OwnerInfo | null {
  try {
    const value = JSON.parse(text) as Partial<OwnerInfo>;
    return typeof value.pid === 'number' && typeof value.state === 'string' ? (value as OwnerInfo) : null;
  } catch {
    return null;
  }
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return isErrno(error, 'EPERM');
  }
}

/** Removes the owner file if it still belongs to `pid` (this process, on close). */
export async function removeOwnerFile(file: string, pid: number): Promise<void> {
  const current = await readOwnerFile(file);
  if (current?.pid === pid) await unlink(file).catch(() => {});
}

/** Synchronous variant for a process 'exit' handler. */
export function removeOwnerFileSync(file: string, pid: number): void {
  try {
    if (parseOwner(readFileSync(file, 'utf8'))?.pid === pid) unlinkSync(file);
  } catch {
    // Already gone, or unreadable: nothing to clean up.
  }
}

/**
 * Removes a stale owner file (dead pid, or unparseable). Several processes may find the same stale file; a
 * short-lived takeover lock makes sure only one of them removes it, and only if it is still the stale one —
 * never a fresh file another process created in between.
 */
export async function removeStaleOwnerFile(file: string, observed: OwnerInfo | null): Promise<void> {
  const takeover = `${file}.takeover`;
  const mine: OwnerInfo = {
    pid: process.pid,
    state: 'direct',
    port: null,
    secret: null,
    startedAt: new Date().toISOString(),
  };
  if (!(await tryCreateOwnerFile(takeover, mine))) {
    // Someone else is taking over. If their lock is itself left over from a crash, clear it for the next try.
    const info = await readOwnerFile(takeover);
    const age = await stat(takeover).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (info === undefined) return;
    if (info === null ? age > 5_000 : !isProcessAlive(info.pid)) await unlink(takeover).catch(() => {});
    return;
  }
  try {
    const current = await readOwnerFile(file);
    const same =
      current === null
        ? observed === null
        : current !== undefined &&
          observed !== null &&
          current.pid === observed.pid &&
          current.startedAt === observed.startedAt;
    if (same && (current === null || (current !== undefined && !isProcessAlive(current.pid)))) {
      await unlink(file).catch(() => {});
    }
  } finally {
    await unlink(takeover).catch(() => {});
  }
}
