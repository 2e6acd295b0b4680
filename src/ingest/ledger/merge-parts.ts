// The commit's view of a run: each planned file's staged parts checked and sorted into one outcome, as one pass
// over the file would have: counted (its content hash made of its parts' chunk hashes, its orders and items the
// parts' sums, or those of the part the exact validator read whole), rejected (any part says the file cannot be
// read as orders), or waiting (it changed while a part was being read, or a part is missing). No payload is
// decoded here: what the commit stores is the parts' own staged totals (ledger-totals.ts).
import { contentHash } from '../read/content-hash.js';
import type { WaitingFile } from '../files.js';
import type { IncrementPlan } from '../increment-plan.js';
import type { PartPlan } from '../files.js';
import type { FileCommit } from './ledger-commit.js';
import type { SkippedFile } from '../files.js';
import type { StagedPart } from './staged-parts.js';

export interface MergedRun {
  /** Files to count, each once per content unless ORDERFLOW_ALLOW_DUPLICATE_FILES (the ledger decides that). */
  commits: FileCommit[];
  /** Files not counted (rejected), with why. */
  skipped: SkippedFile[];
  waiting: WaitingFile[];
}

function filesOf(parts: readonly PartPlan[]): PartPlan[][] {
  const byPath = new Map<string, PartPlan[]>();
  for (const p of parts) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p]);
  return [...byPath.values()].sort((a, b) => (a[0].path < b[0].path ? -1 : 1));
}

/** Why a file's parts cannot be counted as they are, or null. */
function notReadWhole(parts: readonly PartPlan[], found: readonly (StagedPart | undefined)[]): string | null {
  const changed = found.find((s) => s?.outcome === 'changed');
  if (changed) return changed.reason ?? 'changed while it was being read: it is read again by the next run';
  const unread = found.findIndex((s) => s === undefined);
  if (unread >= 0)
    return `part ${unread + 1} of ${parts.length} was not read: the file is read again by the next run`;
  // The parts must cover the file's chunks one after another (they always do unless the plan was tampered with).
  let next = 0;
  for (const s of found) {
    if (s!.firstChunk !== next || !s!.chunkHashes)
      return 'its parts do not cover it: read again by the next run';
    next += s!.chunkHashes.length / 32;
  }
  return null;
}

export function mergeParts(plan: IncrementPlan, staged: readonly StagedPart[]): MergedRun {
  const merged: MergedRun = { commits: [], skipped: [], waiting: [] };
  const stagedByKey = new Map(staged.map((s) => [`${s.rangeIndex}\u0000${s.path}`, s]));
  for (const parts of filesOf(plan.parts)) {
    const { path, batch, stat } = parts[0];
    const found = parts.map((p) => stagedByKey.get(`${p.index}\u0000${p.path}`));
    const rejected = found.find((s) => s?.outcome === 'rejected');
    if (rejected) {
      const reason = rejected.reason ?? 'rejected';
      merged.skipped.push({
        path,
        batch,
        status: 'rejected',
        reason,
        duplicateOf: null,
        sha256: '',
        ...stat,
      });
      continue;
    }
    const waitReason = notReadWhole(parts, found);
    if (waitReason) {
      merged.waiting.push({ path, batch, reason: waitReason });
      continue;
    }
    const read = found.map((s) => s!);
    // The exact validator read the whole file for one part: that part is the file.
    const whole = read.find((p) => p.whole);
    const counted = whole ? [whole] : read;
    merged.commits.push({
      path,
      batch,
      sha256: contentHash(read.map((p) => p.chunkHashes!)),
      stat,
      orders: counted.reduce((n, p) => n + p.orders, 0),
      items: counted.reduce((n, p) => n + p.items, 0),
      badRows: whole?.badRows ?? [],
      quarantinePath: undefined,
      parts: counted.map((p) => p.rangeIndex),
    });
  }
  return merged;
}
