// The statements of the ledger's commit transaction (ledger.ts `commit`), each over a whole run's files at once
// (arrays through unnest), none per cell: a commit's cost follows its files, not their orders or cells.
import type { Db } from '../../store/db.js';
import type { BadRow } from '../../data/order-rows.js';
import type { FileStat, SkippedFile } from '../files.js';
import { queueFold } from './ledger-totals.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export interface CommitChanges {
  /** The run: its fencing token names its parts, whose payloads become the counted files' partials. */
  token: number;
  startedAt: Date;
  files: FileCommit[];
  removed: string[];
  /** Files to record as rejected (replacing any earlier verdict on the same path). */
  skipped: SkippedFile[];
  /** Skipped paths no longer present: their verdict goes. */
  vanishedSkipped: string[];
  /** ORDERFLOW_ALLOW_DUPLICATE_FILES: count content already committed under another path. */
  allowDuplicates: boolean;
}

/** A file of the run, read whole, as the commit receives it (merge-parts.ts). */
export interface FileCommit {
  path: string;
  batch: string;
  /** The content hash (content-hash.ts). */
  sha256: string;
  stat: FileStat;
  orders: number;
  items: number;
  badRows: BadRow[];
  quarantinePath: string | undefined;
  /** The parts whose staged totals are the file's partial (all of them, or the one read whole). */
  parts: number[];
}

/** The store holds text: control characters (NUL above all, which PostgreSQL refuses) are written \u00XX. */
function storableText(raw: string): string {
  return raw.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface Committed {
  path: string;
  sha256: string;
  token: number;
}

export interface SortedFiles {
  /** Files to count: new paths, or paths committed with other content (`replaces`). */
  candidates: (FileCommit & { replaces: boolean })[];
  /** Files whose content is what the ledger holds for their path. */
  unchanged: FileCommit[];
  /** Committed files that leave: removed paths, and the old versions of replaced ones. */
  leaving: string[];
}

/** The run's files against the ledger as it is inside this transaction (the run's claims keep it so). */
export async function sortAgainstLedger(tx: Db, changes: CommitChanges): Promise<SortedFiles> {
  const paths = [...changes.files.map((f) => f.path), ...changes.removed];
  const rows = await tx.query<{ path: string; sha256: string; token: string | number }>(
    'SELECT path, sha256, token FROM ingest_files WHERE path = ANY($1::text[])',
    [paths],
  );
  const committed = new Map<string, Committed>(
    rows.map((r) => [r.path, { path: r.path, sha256: r.sha256, token: Number(r.token) }]),
  );
  const sorted: SortedFiles = { candidates: [], unchanged: [], leaving: [] };
  for (const f of changes.files) {
    const before = committed.get(f.path);
    if (before?.sha256 === f.sha256) sorted.unchanged.push(f);
    else {
      sorted.candidates.push({ ...f, replaces: before !== undefined });
      if (before) sorted.leaving.push(f.path);
    }
  }
  for (const path of changes.removed) if (committed.has(path)) sorted.leaving.push(path);
  return sorted;
}

export interface ContentClaims {
  counted: (FileCommit & { replaces: boolean })[];
  duplicates: { file: FileCommit & { replaces: boolean }; skipped: SkippedFile }[];
}

/**
 * Each content is counted once: one ingest_contents row per content hash of a committed file. A run's file whose
 * content another committed file (or an earlier path of this run) has is a duplicate, unless duplicates are
 * allowed. Concurrent commits of the same content meet on the primary key: the second waits for the first.
 */
export async function claimContents(
  tx: Db,
  candidates: (FileCommit & { replaces: boolean })[],
  allowDuplicates: boolean,
): Promise<ContentClaims> {
  const first = new Map<string, string>();
  for (const f of candidates) if (!first.has(f.sha256)) first.set(f.sha256, f.path);
  const shas = [...first.keys()];
  await tx.query(
    `INSERT INTO ingest_contents (sha256, path) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT DO NOTHING`,
    [shas, shas.map((h) => first.get(h)!)],
  );
  if (allowDuplicates) return { counted: candidates, duplicates: [] };
  const owners = await tx.query<{ sha256: string; path: string }>(
    'SELECT sha256, path FROM ingest_contents WHERE sha256 = ANY($1::text[])',
    [shas],
  );
  const owner = new Map(owners.map((o) => [o.sha256, o.path]));
  const out: ContentClaims = { counted: [], duplicates: [] };
  for (const f of candidates) {
    const original = owner.get(f.sha256)!;
    if (original === f.path) out.counted.push(f);
    else
      out.duplicates.push({
        file: f,
        skipped: {
          path: f.path,
          batch: f.batch,
          status: 'duplicate',
          reason: `same content (SHA-256 ${f.sha256.slice(0, 12)}…) as ${original}, which is committed: not counted again (ORDERFLOW_ALLOW_DUPLICATE_FILES=true counts it)`,
          duplicateOf: original,
          sha256: f.sha256,
          ...f.stat,
        },
      });
  }
  return out;
}

/** Deletes committed files (their bad rows go with them); returns what left, with the run holding each partial. */
export async function dropFiles(tx: Db, paths: readonly string[]): Promise<Committed[]> {
  if (paths.length === 0) return [];
  const rows = await tx.query<{ path: string; sha256: string; token: string | number }>(
    'DELETE FROM ingest_files WHERE path = ANY($1::text[]) RETURNING path, sha256, token',
    [paths],
  );
  const shas = rows.map((r) => r.sha256);
  await tx.query('DELETE FROM ingest_contents WHERE path = ANY($1::text[])', [paths]);
  // Another committed copy of a content that left (counted when duplicates were allowed) now stands for it.
  await tx.query(
    `INSERT INTO ingest_contents (sha256, path) SELECT sha256, min(path) FROM ingest_files
     WHERE sha256 = ANY($1::text[]) GROUP BY sha256 ON CONFLICT DO NOTHING`,
    [shas],
  );
  return rows.map((r) => ({ path: r.path, sha256: r.sha256, token: Number(r.token) }));
}

/** Records the new stats of files whose content did not change, so they are not read again. */
export async function touchFiles(tx: Db, files: readonly FileCommit[]): Promise<void> {
  if (files.length === 0) return;
  await tx.query(
    `UPDATE ingest_files f SET size_bytes = t.size, mtime_ms = t.mtime, ctime_ms = t.ctime, inode = t.inode
     FROM unnest($1::text[], $2::bigint[], $3::float8[], $4::float8[], $5::text[]) AS t(path, size, mtime, ctime, inode)
     WHERE f.path = t.path`,
    [
      files.map((f) => f.path),
      files.map((f) => f.stat.size),
      files.map((f) => f.stat.mtimeMs),
      files.map((f) => f.stat.ctimeMs),
      files.map((f) => f.stat.inode),
    ],
  );
}

export async function insertRun(
  tx: Db,
  changes: CommitChanges,
  counted: readonly (FileCommit & { replaces: boolean })[],
  removed: number,
): Promise<number> {
  const [run] = await tx.query<{ id: number }>(
    `INSERT INTO ingest_runs (started_at, files_added, files_replaced, files_removed, orders, items, bad_rows,
       files_rejected, files_duplicate)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [
      changes.startedAt.toISOString(),
      counted.filter((f) => !f.replaces).length,
      counted.filter((f) => f.replaces).length,
      removed - counted.filter((f) => f.replaces).length,
      counted.reduce((n, f) => n + f.orders, 0),
      counted.reduce((n, f) => n + f.items, 0),
      counted.reduce((n, f) => n + f.badRows.length, 0),
      changes.skipped.length,
      changes.files.length - counted.length,
    ],
  );
  return Number(run.id);
}

export async function insertFiles(
  tx: Db,
  token: number,
  runId: number,
  files: readonly FileCommit[],
): Promise<void> {
  if (files.length === 0) return;
  await tx.query(
    `INSERT INTO ingest_files (path, batch, sha256, size_bytes, mtime_ms, ctime_ms, inode, orders, items, bad_rows,
       quarantine_path, run_id, token)
     SELECT t.*, $12::bigint, $13::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::float8[],
       $6::float8[], $7::text[], $8::bigint[], $9::bigint[], $10::integer[], $11::text[]) AS t`,
    [
      files.map((f) => f.path),
      files.map((f) => f.batch),
      files.map((f) => f.sha256),
      files.map((f) => f.stat.size),
      files.map((f) => f.stat.mtimeMs),
      files.map((f) => f.stat.ctimeMs),
      files.map((f) => f.stat.inode),
      files.map((f) => f.orders),
      files.map((f) => f.items),
      files.map((f) => f.badRows.length),
      files.map((f) => f.quarantinePath ?? null),
      runId,
      token,
    ],
  );
  const bad = files.flatMap((f) => f.badRows.map((r) => ({ path: f.path, ...r })));
  if (bad.length > 0)
    await tx.query(
      `INSERT INTO ingest_bad_rows (path, line, reason, raw) SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[])`,
      [
        bad.map((r) => r.path),
        bad.map((r) => r.line),
        bad.map((r) => r.reason),
        bad.map((r) => storableText(r.raw)),
      ],
    );
}

/** Replaces the verdicts on `skipped` paths and forgets those on `unskipped` ones. */
export async function recordSkipped(
  tx: Db,
  skipped: readonly SkippedFile[],
  unskipped: readonly string[],
): Promise<void> {
  const gone = [...unskipped, ...skipped.map((f) => f.path)];
  if (gone.length > 0)
    await tx.query('DELETE FROM ingest_skipped_files WHERE path = ANY($1::text[])', [gone]);
  if (skipped.length === 0) return;
  await tx.query(
    `INSERT INTO ingest_skipped_files (path, batch, status, reason, duplicate_of, sha256, size_bytes, mtime_ms,
       ctime_ms, inode)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
       $8::float8[], $9::float8[], $10::text[])`,
    [
      skipped.map((f) => f.path),
      skipped.map((f) => f.batch),
      skipped.map((f) => f.status),
      skipped.map((f) => storableText(f.reason)),
      skipped.map((f) => f.duplicateOf),
      skipped.map((f) => f.sha256),
      skipped.map((f) => f.size),
      skipped.map((f) => f.mtimeMs),
      skipped.map((f) => f.ctimeMs),
      skipped.map((f) => f.inode),
    ],
  );
}

/**
 * The next generation, and the output's changes queued under it for the fold (ledger-totals.ts). Taken last: the
 * row lock on ingest_state orders concurrent commits, so generations follow commit order.
 */
export async function queueChanges(
  tx: Db,
  token: number,
  added: readonly FileCommit[],
  left: readonly Committed[],
): Promise<number> {
  const [state] = await tx.query<{ generation: string | number }>(
    'UPDATE ingest_state SET generation = generation + 1 WHERE id = 1 RETURNING generation',
  );
  const generation = Number(state.generation);
  await queueFold(tx, generation, [
    ...left.map((f) => ({ path: f.path, token: f.token, sign: -1 as const })),
    ...added.map((f) => ({ path: f.path, token, sign: 1 as const })),
  ]);
  return generation;
}

/** Records that the run of `token` committed (a retry of its commit task finds it here). */
export async function recordCommit(tx: Db, token: number, generation: number): Promise<void> {
  await tx.query('INSERT INTO ingest_commits (token, generation) VALUES ($1, $2)', [token, generation]);
}

/** Whether the commit transaction of the run of `token` went through. */
export async function commitWentThrough(db: Db, token: number): Promise<boolean> {
  const [row] = await db.query<{ done: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM ingest_commits WHERE token = $1) AS done',
    [token],
  );
  return row.done;
}

/** Forgets the verdict on a rejected or duplicate file; false when there was none. */
export async function forgetVerdict(db: Db, path: string): Promise<boolean> {
  return (
    (await db.query('DELETE FROM ingest_skipped_files WHERE path = $1 RETURNING path', [path])).length > 0
  );
}

export async function currentGeneration(tx: Db): Promise<number> {
  const [row] = await tx.query<{ generation: string | number }>(
    'SELECT generation FROM ingest_state WHERE id = 1',
  );
  return Number(row.generation);
}
