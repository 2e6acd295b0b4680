// The incremental output's totals as the ledger keeps them (sql/0015): a packed snapshot plus a queue of the
// changes commits made since (+ a file committed, − a file that left). A commit only appends to the queue, so it
// costs a few small statements however many orders or cells its files have, and commits of concurrent runs never
// touch the same rows; whoever needs the totals (the output writer on any machine, training, reprocess) folds the
// queue into the snapshot first. A file's partial is the packed totals its parts staged (ingest_parts.payload),
// kept while the file is committed so that its removal subtracts exactly what was added.
import type { Db } from '../../store/db.js';
import { sumCells, type Cell } from '../../base/cell.js';
import { toCells } from '../read/file-aggregate.js';
import { holdoutFromTotals, type HoldoutPartial } from '../read/holdout.js';
import { packTotals, unpackTotals, type PayloadHead } from './part-payload.js';
import { dropPayloads } from './staged-parts.js';
import { emptyTotals, type ScanTotals } from '../read/sum-scan.js';
import { BUCKETS } from '../read/order-bucket.js';
import { DAYS, HOURS } from '../../base/cell.js';

/** Totals with the category of each of their columns. */
export interface KeyedTotals {
  categories: string[];
  totals: ScanTotals;
}

export const emptyKeyedTotals = (): KeyedTotals => ({ categories: [], totals: emptyTotals(0) });

/** `into` with room for `categories` (new ones appended): a copy when it had to grow. */
function withCategories(into: KeyedTotals, categories: readonly string[]): KeyedTotals {
  const missing = categories.filter((c) => !into.categories.includes(c));
  if (missing.length === 0) return into;
  const grown: KeyedTotals = {
    categories: [...into.categories, ...missing],
    totals: emptyTotals(into.categories.length + missing.length),
  };
  addKeyed(grown, into, 1);
  return grown;
}

/** Adds `sign` × `from` into `into` (same or fewer categories, in any order). */
function addKeyed(into: KeyedTotals, from: KeyedTotals, sign: 1 | -1): void {
  const a = into.totals;
  const b = from.totals;
  for (let i = 0; i < b.orders.length; i++) a.orders[i] += sign * b.orders[i];
  for (let i = 0; i < b.bucketOrders.length; i++) a.bucketOrders[i] += sign * b.bucketOrders[i];
  const wa = into.categories.length;
  const wb = from.categories.length;
  const column = from.categories.map((c) => into.categories.indexOf(c));
  for (let slot = 0; slot < DAYS * HOURS; slot++)
    for (let k = 0; k < wb; k++) {
      const ia = slot * wa + column[k];
      const ib = slot * wb + k;
      a.items[ia] += sign * b.items[ib];
      a.squares[ia] += sign * b.squares[ib];
      for (let bucket = 0; bucket < BUCKETS; bucket++)
        a.bucketItems[bucket * DAYS * HOURS * wa + ia] +=
          sign * b.bucketItems[bucket * DAYS * HOURS * wb + ib];
    }
}

/** `into` plus `sign` × `from`; `into` is changed in place unless it had to grow. */
export function addTotalsKeyed(into: KeyedTotals, from: KeyedTotals, sign: 1 | -1 = 1): KeyedTotals {
  const target = withCategories(into, from.categories);
  addKeyed(target, from, sign);
  return target;
}

/** The positive cells of `t`, in output order. */
export const cellsOf = (t: KeyedTotals): Cell[] => sumCells([toCells(t.totals, t.categories).cells]);
export const holdoutOf = (t: KeyedTotals): HoldoutPartial => holdoutFromTotals(t.totals, t.categories);

/** The committed partial of each of `files` (path → token): the sum of its counted parts' payloads. */
export async function partialsOf(
  db: Db,
  files: readonly { path: string; token: number }[],
): Promise<Map<string, KeyedTotals>> {
  const out = new Map<string, KeyedTotals>(
    files.map((f) => [`${f.token}\u0000${f.path}`, emptyKeyedTotals()]),
  );
  if (files.length === 0) return out;
  const rows = await db.query<{ path: string; token: string | number; payload: Uint8Array }>(
    `SELECT p.path, p.token, p.payload FROM ingest_parts p
     JOIN unnest($1::text[], $2::bigint[]) AS f(path, token) ON p.path = f.path AND p.token = f.token
     WHERE p.state = 'committed' AND p.payload IS NOT NULL`,
    [files.map((f) => f.path), files.map((f) => f.token)],
  );
  for (const r of rows) {
    const key = `${Number(r.token)}\u0000${r.path}`;
    const { head, totals } = unpackTotals<PayloadHead>(r.payload);
    out.set(key, addTotalsKeyed(out.get(key)!, { categories: head.categories, totals }));
  }
  return out;
}

/** Queues changes of the output under `generation`, for the next fold (the commit's transaction). */
export async function queueFold(
  tx: Db,
  generation: number,
  entries: readonly { path: string; token: number; sign: 1 | -1 }[],
): Promise<void> {
  await tx.query(
    `INSERT INTO ingest_fold_queue (generation, path, token, sign)
     SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::smallint[])`,
    [generation, entries.map((e) => e.path), entries.map((e) => e.token), entries.map((e) => e.sign)],
  );
}

interface QueueRow {
  seq: string | number;
  path: string;
  token: string | number;
  sign: number;
}

/**
 * Folds every queued change up to the ledger's current generation into the snapshot and returns the totals at
 * that generation. One fold at a time (the snapshot's row lock); commits go on meanwhile. Changes of commits after
 * the generation read here stay queued: generations follow commit order, so the snapshot is exactly generation G.
 */
export async function foldTotals(db: Db): Promise<{ generation: number; totals: KeyedTotals }> {
  return db.transaction(async (tx) => {
    const [snapshot] = await tx.query<{ generation: string | number; payload: Uint8Array | null }>(
      'SELECT generation, payload FROM ingest_totals_snapshot WHERE id = 1 FOR UPDATE',
    );
    const [state] = await tx.query<{ generation: string | number }>(
      'SELECT generation FROM ingest_state WHERE id = 1',
    );
    const generation = Number(state.generation);
    let totals = snapshot.payload ? unpackKeyed(snapshot.payload) : emptyKeyedTotals();
    if (Number(snapshot.generation) === generation) return { generation, totals };
    const queue = await tx.query<QueueRow>(
      'SELECT seq, path, token, sign FROM ingest_fold_queue WHERE generation <= $1 ORDER BY seq',
      [generation],
    );
    const files = queue.map((q) => ({ path: q.path, token: Number(q.token) }));
    const partials = await partialsOf(tx, files);
    for (const q of queue)
      totals = addTotalsKeyed(totals, partials.get(`${Number(q.token)}\u0000${q.path}`)!, q.sign as 1 | -1);
    await tx.query('UPDATE ingest_totals_snapshot SET generation = $1, payload = $2 WHERE id = 1', [
      generation,
      packTotals({ categories: totals.categories }, totals.totals),
    ]);
    await tx.query('DELETE FROM ingest_fold_queue WHERE seq = ANY($1::bigint[])', [queue.map((q) => q.seq)]);
    // A file that left is subtracted now: its partial is no longer needed.
    const left = queue.filter((q) => q.sign < 0);
    if (left.length > 0)
      await dropPayloads(
        tx,
        left.map((q) => ({ path: q.path, token: Number(q.token) })),
      );
    return { generation, totals };
  });
}

function unpackKeyed(bytes: Uint8Array): KeyedTotals {
  const { head, totals } = unpackTotals<PayloadHead>(bytes);
  return { categories: head.categories, totals };
}
