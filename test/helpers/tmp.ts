// A fresh temporary directory per test, removed (recursively) by remove().
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

/** Creates a new directory under the OS temp dir. @defaultValue prefix `orderflow-test-` */
export async function tempDir(prefix = 'orderflow-test-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return {
    path: dir,
    remove: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}
