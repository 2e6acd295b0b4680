// The parts of incremental runs in the metadata store (sql/0012): planned by `discover_files`, read and staged by
// any worker, folded into the ledger by `commit`. The rows outlive the payloads as the run's task history.
import type { Db } from '../../store/db.js';
import type { BadRow } from '../../data/order-rows.js';
import type { PartRead, PartTotals } from '../read/file-aggregate.js';
import type { PartPlan } from '../files.js';
import { packPart, unpackPart } from './part-payload.js';

export type PartState = 'queued' | 'running' | 'staged' | 'committed' | 'abandoned';
export type PartOutcome = 'read' | 'rejected' | 'changed';

/** A part as the processing view shows it. */
export interface PartRecord {
  token: number;
  dagRunId: number | null;
  path: string;
  rangeIndex: number;
  rangeCount: number;
  state: PartState;
  outcome: PartOutcome | null;
  /** The bytes read (the range, or the whole file for the exact path); the file's size until read. */
  bytes: number;
  rangeStart: number | null;
  rangeEnd: number | null;
  orders: number | null;
  items: number | null;
  badRows: number | null;
  method: 'scan' | 'exact' | null;
  reason: string | null;
  worker: string | null;
  tries: number;
  queuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
}

/** What a worker reports for a part it read. */
export type PartResult =
  | {
      outcome: 'read';
      part: PartRead;
      orders: number;
      items: number;
      /** A relational batch: the catalog it was joined with (recorded as the part's reason). */
      catalogSha256?: string;
    }
  | { outcome: 'rejected'; reason: string }
  | { outcome: 'changed'; reason: string };

export interface StagedPart {
  path: string;
  rangeIndex: number;
  outcome: PartOutcome;
  reason: string | null;
  /** For a part read: its chunks' hashes (content-hash.ts), from chunk `firstChunk` on. */
  firstChunk: number | null;
  chunkHashes: Buffer | null;
  orders: number;
  items: number;
  /** The exact validator read the whole file for this part: its totals stand for the file. */
  whole: boolean;
  /** The bad rows of a part read whole (a part the scanner read has none). */
  badRows: BadRow[];
}

interface PartRow {
  token: string | number;
  dag_run_id: string | number | null;
  path: string;
  range_index: number;
  range_count: number;
  state: PartState;
  outcome: PartOutcome | null;
  bytes: string | number;
  range_start: string | number | null;
  range_end: string | number | null;
  orders: string | number | null;
  items: string | number | null;
  bad_rows: number | null;
  method: 'scan' | 'exact' | null;
  reason: string | null;
  worker: string | null;
  tries: number;
  queued_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
const iso = (v: Date | null): string | null => (v === null ? null : new Date(v).toISOString());

function toRecord(r: PartRow): PartRecord {
  return {
    token: Number(r.token),
    dagRunId: num(r.dag_run_id),
    path: r.path,
    rangeIndex: r.range_index,
    rangeCount: r.range_count,
    state: r.state,
    outcome: r.outcome,
    bytes: Number(r.bytes),
    rangeStart: num(r.range_start),
    rangeEnd: num(r.range_end),
    orders: num(r.orders),
    items: num(r.items),
    badRows: r.bad_rows,
    method: r.method,
    reason: r.reason,
    worker: r.worker,
    tries: r.tries,
    queuedAt: new Date(r.queued_at).toISOString(),
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
    durationMs:
      r.started_at && r.ended_at ? new Date(r.ended_at).getTime() - new Date(r.started_at).getTime() : null,
  };
}

const COLUMNS = `token, dag_run_id, path, range_index, range_count, state, outcome, bytes, range_start, range_end,
  orders, items, bad_rows, method, reason, worker, tries, queued_at, started_at, ended_at`;

/** Records the plan's parts as queued (again: a no-op). */
export async function recordPlannedParts(
  db: Db,
  token: number,
  dagRunId: number | null,
  parts: readonly PartPlan[],
): Promise<void> {
  if (parts.length === 0) return;
  await db.query(
    `INSERT INTO ingest_parts (token, dag_run_id, path, range_index, range_count, bytes, state)
     SELECT $1::bigint, $2::bigint, *, 'queued' FROM unnest($3::text[], $4::integer[], $5::integer[], $6::bigint[])
     ON CONFLICT DO NOTHING`,
    [
      token,
      dagRunId,
      parts.map((p) => p.path),
      parts.map((p) => p.index),
      parts.map((p) => p.count),
      parts.map((p) => p.stat.size),
    ],
  );
}

/**
 * A worker starts reading a part (a first try, a retry, or after its previous worker died). False when its run
 * was abandoned (a newer run took the lease over) or already committed: then there is nothing to do.
 */
export async function startPart(db: Db, token: number, part: PartPlan, worker: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE ingest_parts SET state = 'running', worker = $4, tries = tries + 1, started_at = now(), ended_at = NULL
     WHERE token = $1 AND path = $2 AND range_index = $3 AND state IN ('queued', 'running', 'staged')
     RETURNING token`,
    [token, part.path, part.index, worker],
  );
  return rows.length > 0;
}

/** The part's totals without its hashes (those have columns of their own). */
function partTotalsOf(part: PartRead): PartTotals {
  const { chunkHashes: _hashes, firstChunk: _first, ...totals } = part;
  return totals;
}

/** Stores a part's outcome (and, when read, its partial) for the commit; a later try overwrites it. */
export async function stagePart(db: Db, token: number, part: PartPlan, result: PartResult): Promise<void> {
  const read = result.outcome === 'read' ? result : undefined;
  await db.query(
    `UPDATE ingest_parts SET state = 'staged', outcome = $4, reason = $5, payload = $6, range_start = $7,
       range_end = $8, bytes = COALESCE($9, bytes), orders = $10, items = $11, bad_rows = $12, method = $13,
       chunk_hashes = $14, first_chunk = $15, ended_at = now()
     WHERE token = $1 AND path = $2 AND range_index = $3 AND state IN ('queued', 'running', 'staged')`,
    [
      token,
      part.path,
      part.index,
      result.outcome,
      result.outcome === 'read'
        ? result.catalogSha256
          ? `catalog sha256:${result.catalogSha256}`
          : null
        : result.reason,
      read ? packPart(partTotalsOf(read.part)) : null,
      read?.part.start ?? null,
      read?.part.end ?? null,
      read ? read.part.end - read.part.start : null,
      read?.orders ?? null,
      read?.items ?? null,
      read?.part.badRows.length ?? null,
      read?.part.method ?? null,
      read?.part.chunkHashes ?? null,
      read?.part.firstChunk ?? null,
    ],
  );
}

/** The staged outcomes of a run's parts, with their hashes; a payload is decoded only for a part read whole. */
export async function stagedParts(db: Db, token: number): Promise<StagedPart[]> {
  const rows = await db.query<{
    path: string;
    range_index: number;
    outcome: PartOutcome;
    reason: string | null;
    first_chunk: number | null;
    chunk_hashes: Uint8Array | null;
    orders: string | number | null;
    items: string | number | null;
    method: 'scan' | 'exact' | null;
    exact_payload: Uint8Array | null;
  }>(
    `SELECT path, range_index, outcome, reason, first_chunk, chunk_hashes, orders, items, method,
       CASE WHEN method = 'exact' THEN payload END AS exact_payload
     FROM ingest_parts WHERE token = $1 AND state = 'staged' ORDER BY path, range_index`,
    [token],
  );
  return rows.map((r) => ({
    path: r.path,
    rangeIndex: r.range_index,
    outcome: r.outcome,
    reason: r.reason,
    firstChunk: r.first_chunk,
    chunkHashes: r.chunk_hashes ? Buffer.from(r.chunk_hashes) : null,
    orders: Number(r.orders ?? 0),
    items: Number(r.items ?? 0),
    whole: r.method === 'exact',
    badRows: r.exact_payload ? unpackPart(r.exact_payload).badRows : [],
  }));
}

/**
 * In the commit's transaction: the run's parts are committed. The payloads of the `counted` parts stay (they are
 * their files' partials, folded into the totals and subtracted when the file leaves); the others are dropped.
 */
export async function markPartsCommitted(
  tx: Db,
  token: number,
  counted: readonly { path: string; rangeIndex: number }[],
): Promise<void> {
  await tx.query(
    `UPDATE ingest_parts p SET state = 'committed',
       payload = CASE WHEN EXISTS (SELECT 1 FROM unnest($2::text[], $3::integer[]) AS c(path, range_index)
                                   WHERE c.path = p.path AND c.range_index = p.range_index)
                      THEN payload END
     WHERE token = $1 AND state <> 'abandoned'`,
    [token, counted.map((c) => c.path), counted.map((c) => c.rangeIndex)],
  );
}

/** A file that left the totals (the fold subtracted it): its parts' payloads are no longer needed. */
export async function dropPayloads(tx: Db, files: readonly { path: string; token: number }[]): Promise<void> {
  await tx.query(
    `UPDATE ingest_parts p SET payload = NULL FROM unnest($1::text[], $2::bigint[]) AS f(path, token)
     WHERE p.path = f.path AND p.token = f.token`,
    [files.map((f) => f.path), files.map((f) => f.token)],
  );
}

/** Parts of runs that hold no lease any more (ingest_leases), never to be committed; returns how many. */
export async function abandonLeaselessParts(db: Db): Promise<number> {
  const abandoned = await db.query(
    `UPDATE ingest_parts p SET state = 'abandoned', payload = NULL
     WHERE state IN ('queued', 'running', 'staged')
       AND NOT EXISTS (SELECT 1 FROM ingest_leases l WHERE l.token = p.token) RETURNING token`,
  );
  return abandoned.length;
}

/** Drops part history older than `before` (the run history's retention). */
export async function deletePartsBefore(db: Db, before: Date): Promise<number> {
  // Parts whose payload is a committed file's partial (or is still to be folded) stay while the file does.
  const rows = await db.query(
    `DELETE FROM ingest_parts p WHERE queued_at < $1
       AND NOT EXISTS (SELECT 1 FROM ingest_files f WHERE f.path = p.path AND f.token = p.token)
       AND NOT EXISTS (SELECT 1 FROM ingest_fold_queue q WHERE q.path = p.path AND q.token = p.token)
     RETURNING token`,
    [before.toISOString()],
  );
  return rows.length;
}

export async function partsOfToken(db: Db, token: number): Promise<PartRecord[]> {
  const rows = await db.query<PartRow>(
    `SELECT ${COLUMNS} FROM ingest_parts WHERE token = $1 ORDER BY path, range_index`,
    [token],
  );
  return rows.map(toRecord);
}

export async function partsOfDagRuns(db: Db, dagRunIds: readonly number[]): Promise<PartRecord[]> {
  if (dagRunIds.length === 0) return [];
  const rows = await db.query<PartRow>(
    `SELECT ${COLUMNS} FROM ingest_parts WHERE dag_run_id = ANY($1::bigint[]) ORDER BY dag_run_id, path, range_index`,
    [dagRunIds],
  );
  return rows.map(toRecord);
}
