// The promotion log (table model_promotions, sql/0007_model_promotion.sql): every change of the current model
// version — an automatic promotion after training, a manual `models promote`, a `models rollback` — and every
// rejected challenger. Replaying the log gives the stack of current versions: a promotion pushes, a rollback
// pops, so `rollback` returns to the version that was current before the current one, and rolling back twice
// walks two steps back (not back and forth).
import type { Db } from '../store/db.js';

export type PromotionAction = 'promoted' | 'rejected' | 'manual' | 'rollback';

export interface PromotionEvent {
  id: number;
  version: string;
  previousVersion: string | null;
  action: PromotionAction;
  challengerRmse: number | null;
  championRmse: number | null;
  reason: string;
  createdAt: string;
}

export type NewPromotionEvent = Omit<PromotionEvent, 'id' | 'createdAt'>;

interface Row {
  id: string | number;
  version: string;
  previous_version: string | null;
  action: PromotionAction;
  challenger_rmse: number | null;
  champion_rmse: number | null;
  reason: string;
  created_at: string;
}

const SELECT = `SELECT id, version, previous_version, action, challenger_rmse, champion_rmse, reason,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at FROM model_promotions`;

const toEvent = (r: Row): PromotionEvent => ({
  id: Number(r.id),
  version: r.version,
  previousVersion: r.previous_version,
  action: r.action,
  challengerRmse: r.challenger_rmse === null ? null : Number(r.challenger_rmse),
  championRmse: r.champion_rmse === null ? null : Number(r.champion_rmse),
  reason: r.reason,
  createdAt: r.created_at,
});

/** Arbitrary constant key of the advisory lock that serializes moves of the current version ("promot" in ASCII). */
export const PROMOTION_LOCK_KEY = 0x70726f6d6f74;

export async function recordPromotion(db: Db, event: NewPromotionEvent): Promise<void> {
  await db.query(
    `INSERT INTO model_promotions (version, previous_version, action, challenger_rmse, champion_rmse, reason)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      event.version,
      event.previousVersion,
      event.action,
      event.challengerRmse,
      event.championRmse,
      event.reason,
    ],
  );
}

/** Events, newest first. */
export async function listPromotions(db: Db, limit = 200): Promise<PromotionEvent[]> {
  return (await db.query<Row>(`${SELECT} ORDER BY id DESC LIMIT $1`, [limit])).map(toEvent);
}

/** The versions that were current, oldest first, after replaying every event (the last one is current). */
export async function currentStack(db: Db): Promise<string[]> {
  const events = (await db.query<Row>(`${SELECT} WHERE action <> 'rejected' ORDER BY id`)).map(toEvent);
  return replayStack(events);
}

export function replayStack(events: readonly Pick<PromotionEvent, 'action' | 'version'>[]): string[] {
  const stack: string[] = [];
  for (const e of events) {
    if (e.action === 'rollback') stack.pop();
    else if (e.action !== 'rejected') stack.push(e.version);
  }
  return stack;
}
