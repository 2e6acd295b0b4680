// Several machines, each with its own DATA_DIR: the registry in the metadata store decides which model version is
// current (the promotion log) and holds every artifact registered since sql/0014; a machine's models folder is its
// local copy. `syncModels` brings that copy in line before a stage reads it — the training stage (its champion),
// the cache refresh (what it precomputes) — so a model trained on one worker is used by every other.
import { access } from 'node:fs/promises';
import type { Db } from '../store/db.js';
import { artifactFile, readCurrentPointer, setCurrentPointer, writeArtifact } from './artifact.js';
import { currentStack } from './promotions.js';
import { storedArtifact } from './registry.js';

export interface SyncResult {
  /** The registry's current version (null when nothing was ever made current). */
  version: string | null;
  /** Whether this models folder had to change (an artifact written, the pointer moved). */
  changed: boolean;
}

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

export async function syncModels(db: Db, modelsDir: string): Promise<SyncResult> {
  const version = (await currentStack(db)).at(-1) ?? null;
  if (version === null) return { version, changed: false };
  const file = artifactFile(modelsDir, version);
  const pointer = await readCurrentPointer(modelsDir);
  if (pointer?.version === version && (await exists(file))) return { version, changed: false };
  if (!(await exists(file))) {
    const artifact = await storedArtifact(db, version);
    if (!artifact) {
      throw new Error(
        `model ${version} is current in the registry, but its artifact is neither in ${modelsDir} nor in the registry ` +
          '(it was registered before artifacts were stored there): copy it from the machine that trained it',
      );
    }
    await writeArtifact(modelsDir, artifact);
  }
  await setCurrentPointer(modelsDir, version);
  return { version, changed: true };
}
