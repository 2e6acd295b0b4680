// Outputs are written beside their final name as `.<name>.<pid>.<ms>.tmp` (src/data/atomic.ts) and renamed in.
// A process interrupted mid-write removes its own (removeOwnTempFilesSync, from a signal handler); a start
// after a kill -9 removes those whose process is gone (removeStaleTempFiles). Files of a live process stay.
import fs from 'node:fs';
import path from 'node:path';

const TEMP_NAME = /^\..+\.(\d+)\.\d+\.tmp$/;

/** Whether a process with this pid exists on this machine (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temp outputs under `roots` (and their sub-folders, `depth` levels) whose writer pid passes `select`. */
function findTempFiles(roots: readonly string[], select: (pid: number) => boolean, depth: number): string[] {
  const found: string[] = [];
  const visit = (dir: string, level: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a folder that does not exist (yet) has no temp files
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const match = TEMP_NAME.exec(entry.name);
      if (match) {
        if (select(Number(match[1]))) found.push(full);
      } else if (entry.isDirectory() && level < depth) visit(full, level + 1);
    }
  };
  for (const root of new Set(roots)) visit(root, 0);
  return found;
}

/** Removes this process's temp outputs under `roots`; synchronous so a signal handler can call it last. */
export function removeOwnTempFilesSync(roots: readonly string[], depth = 3): string[] {
  const own = findTempFiles(roots, (pid) => pid === process.pid, depth);
  for (const file of own) fs.rmSync(file, { recursive: true, force: true });
  return own;
}

/** Removes temp outputs left under `roots` by processes that no longer run (a kill -9); returns their paths. */
export function removeStaleTempFiles(roots: readonly string[], depth = 3): string[] {
  const stale = findTempFiles(roots, (pid) => pid !== process.pid && !processAlive(pid), depth);
  for (const file of stale) fs.rmSync(file, { recursive: true, force: true });
  return stale;
}
