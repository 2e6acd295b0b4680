// A local mirror of stored state: the metadata store holds the truth and names its current version (the ledger's
// generation, the registry's current model); a machine's folder holds a copy (the incremental output, the models
// folder) that readers on that machine use. Every mirror follows the same steps, so they live here once: ask the
// store what is current, ask the folder what it shows, and rewrite the copy only when the two differ.

export interface MirrorOf<V> {
  /** The version the store says is current; null when it has none yet (nothing to mirror). */
  current(): Promise<V | null>;
  /** The version the local copy shows, undefined when the copy is absent or incomplete. */
  local(): Promise<V | undefined>;
  /**
   * Brings the copy to `version`, replacing it atomically; false when it did not have to (another process sharing
   * the folder brought it there, or further, meanwhile).
   */
  write(version: V): Promise<boolean>;
}

export interface MirrorSync<V> {
  /** The store's current version (null: none yet). */
  version: V | null;
  /** Whether the local copy had to change. */
  changed: boolean;
}

export async function syncMirror<V>(mirror: MirrorOf<V>): Promise<MirrorSync<V>> {
  const version = await mirror.current();
  if (version === null) return { version, changed: false };
  if ((await mirror.local()) === version) return { version, changed: false };
  return { version, changed: await mirror.write(version) };
}
