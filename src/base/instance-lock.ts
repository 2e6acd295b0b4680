// One `start` / `up` per DATA_DIR: two would share (and fight over) the embedded store, the private Redis and
// the arriving files. The first writes DATA_DIR/orderflow.pid (pid, host, command, then its dashboard URL); a
// second on the same machine sees a live pid there and stops with a message naming it. A pid file whose
// process is gone (a kill -9) is taken over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockedError } from './errors.js';
import { processAlive } from './temp-files.js';

interface InstanceInfo {
  pid: number;
  host: string;
  command: string;
  url?: string;
}

export interface InstanceLock {
  /** Records the URL the process serves, for the message a second start shows. */
  setUrl(url: string): void;
  /** Removes the pid file if it is still this process's; synchronous, so exit paths can call it. */
  release(): void;
}

const lockPath = (dataDir: string): string => path.join(dataDir, 'orderflow.pid');

function read(file: string): InstanceInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<InstanceInfo>;
    return typeof info.pid === 'number' && typeof info.host === 'string'
      ? { pid: info.pid, host: info.host, command: info.command ?? 'orderflow', url: info.url }
      : undefined;
  } catch {
    return undefined; // absent or torn: nobody holds it
  }
}

function write(file: string, info: InstanceInfo): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(info) + '\n');
  fs.renameSync(temp, file);
}

/** Takes DATA_DIR for `command`, or throws LockedError naming the process that has it. */
export function acquireInstanceLock(dataDir: string, command: string): InstanceLock {
  const file = lockPath(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const held = read(file);
  if (held && held.pid !== process.pid && held.host === os.hostname() && processAlive(held.pid)) {
    throw new LockedError(
      `another orderflow ${held.command} already runs on DATA_DIR=${dataDir} (pid ${held.pid}` +
        `${held.url ? `, dashboard ${held.url}` : ''}): use it, stop it (kill ${held.pid}), or pass another --data-dir`,
    );
  }
  const info: InstanceInfo = { pid: process.pid, host: os.hostname(), command };
  write(file, info);
  return {
    setUrl: (url) => write(file, { ...info, url }),
    release: () => {
      if (read(file)?.pid === process.pid) fs.rmSync(file, { force: true });
    },
  };
}
