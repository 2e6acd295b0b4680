// Several machines, each with its own DATA_DIR: the registry in the metadata store decides which model version is
// current (the promotion log) and holds every artifact registered since sql/0014; a machine's models folder is its
// local copy. `syncModels` brings that copy in line before a stage reads it — the training stage (its champion),
// the cache refresh (what it precomputes) — so a model trained on one worker is used by every other.
import { access } from 'node:fs/promises';
import { syncMirror, type MirrorOf, type MirrorSync } from '../base/local-mirror.js';
import type { Db } from '../store/db.js';
import { artifactFile, readCurrentPointer, setCurrentPointer, writeArtifact } from './artifact.js';
import { currentStack } from './promotions.js';
import { storedArtifact } from './registry.js';

/** The registry's current version (null when nothing was ever made current) and whether the folder changed. */
export type SyncResult = MirrorSync<string>;

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** The models folder as a local mirror of the registry (base/local-mirror.ts), versioned by the current model. */
const modelsMirror = (db: Db, modelsDir: string): MirrorOf<string> => ({
  current: async () => (await currentStack(db)).at(-1) ?? null,
  local: async () => {
    const pointer = await readCurrentPointer(modelsDir);
    return pointer && (await exists(artifactFile(modelsDir, pointer.version))) ? pointer.version : undefined;
  },
  write: (version) => copyFromRegistry(db, modelsDir, version),
});

export const syncModels = (db: Db, modelsDir: string): Promise<SyncResult> =>
  syncMirror(modelsMirror(db, modelsDir));

/** Writes the artifact of `version` from the registry unless the folder has it, and points `current` at it. */
async function copyFromRegistry(db: Db, modelsDir: string, version: string): Promise<boolean> {
  if (!(await exists(artifactFile(modelsDir, version)))) {
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
  return true;
}
