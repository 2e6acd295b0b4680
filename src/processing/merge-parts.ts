// The commit's view of a run: the staged parts of each planned file added up into the file's partial, and each
// file sorted into one outcome, as one pass over the file would have: counted, rejected (any part says the file
// cannot be read as orders), or waiting (it changed while a part was being read, or a part is missing).
import type { WaitingFile } from './file-changes.js';
import { toCells } from './file-aggregate.js';
import type { IncrementPlan, PartPlan } from './increment-plan.js';
import type { FileCommit, SkippedFile } from './ledger.js';
import type { StagedPart } from './staged-parts.js';
import { addTotals, emptyTotals } from './sum-scan.js';

export interface MergedRun {
  commits: FileCommit[];
  skipped: SkippedFile[];
  waiting: WaitingFile[];
  /** Committed paths whose new content is skipped: their old partial leaves the output. */
  dropped: string[];
}

function filesOf(parts: readonly PartPlan[]): PartPlan[][] {
  const byPath = new Map<string, PartPlan[]>();
  for (const p of parts) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p]);
  return [...byPath.values()];
}

export function mergeParts(plan: IncrementPlan, staged: readonly StagedPart[]): MergedRun {
  const merged: MergedRun = { commits: [], skipped: [], waiting: [], dropped: [...plan.dropped] };
  const stagedByKey = new Map(staged.map((s) => [`${s.rangeIndex}\u0000${s.path}`, s]));
  /** Files of this run that were not counted, so their copies are not counted either: why. */
  const notCounted = new Map<string, { status: 'rejected' | 'waiting'; reason: string }>();

  for (const parts of filesOf(plan.parts)) {
    const [first] = parts;
    const { path, batch, sha256, stat, replaces } = first;
    const found = parts.map((p) => stagedByKey.get(`${p.index}\u0000${p.path}`));
    const rejected = found.find((s) => s?.outcome === 'rejected');
    if (rejected) {
      const reason = rejected.reason ?? 'rejected';
      merged.skipped.push({ path, batch, status: 'rejected', reason, duplicateOf: null, sha256, ...stat });
      if (replaces) merged.dropped.push(path);
      notCounted.set(path, { status: 'rejected', reason });
      continue;
    }
    const unread = found.findIndex((s) => s === undefined);
    const changed = found.find((s) => s?.outcome === 'changed');
    if (unread >= 0 || changed) {
      const reason = changed
        ? (changed.reason ?? 'changed while it was being read: it is read again by the next run')
        : `part ${unread + 1} of ${parts.length} was not read: the file is read again by the next run`;
      merged.waiting.push({ path, batch, reason });
      notCounted.set(path, { status: 'waiting', reason });
      continue;
    }
    const read = found.map((s) => s!.part!);
    // The exact validator read the whole file for one part: that part is the file.
    const whole = read.find((p) => p.whole);
    const { categories } = read[0];
    const totals = whole?.totals ?? emptyTotals(categories.length);
    if (!whole) for (const p of read) addTotals(totals, p.totals);
    const { cells, orders, itemsIn, holdout } = toCells(totals, categories);
    merged.commits.push({
      path,
      batch,
      sha256,
      stat,
      orders,
      items: itemsIn,
      cells,
      holdout,
      badRows: whole?.badRows ?? [],
      quarantinePath: undefined,
      replaces,
    });
  }

  // A duplicate of a file of this same run shares that file's fate when it was not counted.
  for (const dup of plan.skipped) {
    const original = dup.duplicateOf === null ? undefined : notCounted.get(dup.duplicateOf);
    if (!original) merged.skipped.push(dup);
    else if (original.status === 'rejected')
      merged.skipped.push({ ...dup, status: 'rejected', duplicateOf: null, reason: original.reason });
    else merged.waiting.push({ path: dup.path, batch: dup.batch, reason: original.reason });
  }
  return merged;
}
