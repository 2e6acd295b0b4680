// The audit log (sql/0008): who did what to what, when, and how it ended, for every mutating API request (a hook
// in app.ts, refused ones included) and every mutating CLI command. The one module that touches audit_log.
import type { Db } from '../store/db.js';

export type AuditVia = 'session' | 'token' | 'anonymous' | 'cli';
export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface AuditEntry {
  id: number;
  at: string;
  /** The user name, or null for an anonymous request (a failed login names the user it tried in `detail`). */
  actor: string | null;
  via: AuditVia;
  /** e.g. `dag.trigger`, `users.add`, `login`. */
  action: string;
  /** What it acted on: a DAG id, a run id, a user name; null when nothing in particular. */
  target: string | null;
  outcome: AuditOutcome;
  /** The HTTP status (null for the CLI). */
  status: number | null;
  detail: Record<string, unknown> | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

export interface AuditQuery {
  /** @defaultValue 100 */
  limit?: number;
  /** Entries with an id below this one (paging backwards). */
  before?: number;
  actor?: string;
  action?: string;
}

export interface AuditLog {
  record(entry: NewAuditEntry): Promise<void>;
  /** Newest first. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

export function outcomeOf(status: number): AuditOutcome {
  return status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'failed';
}

export class DbAuditLog implements AuditLog {
  constructor(private readonly db: Db) {}

  async record(e: NewAuditEntry): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_log (actor, via, action, target, outcome, status, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [e.actor, e.via, e.action, e.target, e.outcome, e.status, e.detail ? JSON.stringify(e.detail) : null],
    );
  }

  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const rows = await this.db.query<{
      id: string | number;
      at: Date;
      actor: string | null;
      via: AuditVia;
      action: string;
      target: string | null;
      outcome: AuditOutcome;
      status: number | null;
      detail: Record<string, unknown> | null;
    }>(
      `SELECT id, at, actor, via, action, target, outcome, status, detail FROM audit_log
       WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR actor = $2)
         AND ($3::text IS NULL OR action = $3)
       ORDER BY id DESC LIMIT $4`,
      [q.before ?? null, q.actor ?? null, q.action ?? null, q.limit ?? 100],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id), at: new Date(r.at).toISOString() }));
  }
}
