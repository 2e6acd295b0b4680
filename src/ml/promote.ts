// Moving the current model version by hand: `orderflow models promote <version>` and `models rollback`, also
// behind the API. Under one advisory lock (so two operators cannot interleave) the version is checked against
// the registry and its artifact, the event is recorded and the pointer file is replaced (atomically, by rename)
// inside the same transaction: if the pointer cannot be written the event is rolled back with it. The caller
// refreshes the prediction cache afterwards (one MULTI/EXEC, see cache/refresh.ts), so readers see the old
// version's predictions or the new one's, never a mix.
import { NotFoundError, UsageError } from '../base/errors.js';
import type { Db } from '../store/db.js';
import { artifactFile, readArtifact, readCurrentPointer, setCurrentPointer } from './artifact.js';
import { currentStack, PROMOTION_LOCK_KEY, recordPromotion } from './promotions.js';
import { ModelRegistry } from './registry.js';

export interface PointerMove {
  /** The version current after the call. */
  version: string;
  /** The version current before it (null when none was). */
  previousVersion: string | null;
  action: 'manual' | 'rollback';
}

async function requireVersion(db: Db, modelsDir: string, version: string): Promise<void> {
  const registry = new ModelRegistry(db, modelsDir);
  if (!(await registry.get(version))) {
    const known = (await registry.list()).map((r) => r.version);
    throw new NotFoundError(
      `no model version ${JSON.stringify(version)}; known: ${known.join(', ') || 'none'}`,
      known,
    );
  }
  if (!(await readArtifact(artifactFile(modelsDir, version)))) {
    throw new NotFoundError(`model version ${version} has no artifact ${artifactFile(modelsDir, version)}`);
  }
}

/** Makes `version` current (any registered version, a rejected challenger too). */
export async function promoteVersion(
  deps: { db: Db; modelsDir: string },
  version: string,
): Promise<PointerMove> {
  return deps.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PROMOTION_LOCK_KEY]);
    await requireVersion(tx, deps.modelsDir, version);
    const previousVersion = (await readCurrentPointer(deps.modelsDir))?.version ?? null;
    await recordPromotion(tx, {
      version,
      previousVersion,
      action: 'manual',
      challengerRmse: null,
      championRmse: null,
      reason: `promoted by hand (was ${previousVersion ?? 'none'})`,
    });
    await setCurrentPointer(deps.modelsDir, version);
    return { version, previousVersion, action: 'manual' };
  });
}

/** Returns to the version that was current before the current one; UsageError when there is none. */
export async function rollbackVersion(deps: { db: Db; modelsDir: string }): Promise<PointerMove> {
  return deps.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PROMOTION_LOCK_KEY]);
    const stack = await currentStack(tx);
    const previousVersion = (await readCurrentPointer(deps.modelsDir))?.version ?? null;
    if (stack.length < 2) {
      throw new UsageError(
        `nothing to roll back to: ${previousVersion ?? 'no version'} is the only version that has been current`,
      );
    }
    const version = stack[stack.length - 2];
    await requireVersion(tx, deps.modelsDir, version);
    await recordPromotion(tx, {
      version,
      previousVersion,
      action: 'rollback',
      challengerRmse: null,
      championRmse: null,
      reason: `rolled back from ${previousVersion ?? 'none'}`,
    });
    await setCurrentPointer(deps.modelsDir, version);
    return { version, previousVersion, action: 'rollback' };
  });
}
