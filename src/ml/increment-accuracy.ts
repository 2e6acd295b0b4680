// Accuracy on the data that arrives: every committed incremental file (one increment) is scored once, right after
// its commit, against the model serving at that moment (table increment_accuracy, sql/0007). The cells it covers
// are every category of the (day, hour) slots in which it has items; the model's predictions there are scaled to
// the increment's items on each day (a prediction means items over all the data the model was trained on), so
// the score is how well the model spread the day's items over hours and categories. Next to the RMSE, the
// increment's own noise floor √(Σ squared per-order counts / cells): a model drifting away from the data shows as
// a growing distance between the two, increment after increment.
import { holdoutPartialOf } from '../ingest/ledger/holdout-ledger.js';
import { committedPaths } from '../ingest/ledger/ledger.js';
import type { Db } from '../store/db.js';
import { loadCurrentModel, normalizeCategory, type LoadedModel } from './predictor.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface IncrementScore {
  path: string;
  modelVersion: string;
  orders: number;
  cells: number;
  rmse: number;
  noiseFloor: number;
  scoredAt: string;
}

/** Scores one increment's cells against `model`; null when it covers no cell the model knows. */
function scoreIncrement(
  model: LoadedModel,
  rows: readonly { day: number; hour: number; category: string; items: number; squares: number }[],
): { cells: number; rmse: number; noiseFloor: number } | null {
  const C = model.categories.length;
  const index = new Map(model.categories.map((c, i) => [normalizeCategory(c), i]));
  const actual = new Float64Array(DAYS * HOURS * C);
  const slots = new Set<number>();
  let squares = 0;
  for (const r of rows) {
    const k = index.get(normalizeCategory(r.category));
    squares += r.squares;
    if (k === undefined || r.items <= 0) continue;
    const slot = r.day * HOURS + r.hour;
    slots.add(slot);
    actual[slot * C + k] += r.items;
  }
  if (slots.size === 0) return null;
  const grid = model.predictGrid();
  // Per day: the increment's items over the model's items in the same slots.
  const dayScale = new Float64Array(DAYS);
  for (let d = 0; d < DAYS; d++) {
    let have = 0;
    let predicted = 0;
    for (const slot of slots) {
      if (Math.floor(slot / HOURS) !== d) continue;
      for (let k = 0; k < C; k++) {
        have += actual[slot * C + k];
        predicted += grid[slot * C + k];
      }
    }
    dayScale[d] = predicted > 0 ? have / predicted : 0;
  }
  let se = 0;
  for (const slot of slots) {
    const scale = dayScale[Math.floor(slot / HOURS)];
    for (let k = 0; k < C; k++) se += (grid[slot * C + k] * scale - actual[slot * C + k]) ** 2;
  }
  const cells = slots.size * C;
  return { cells, rmse: Math.sqrt(se / cells), noiseFloor: Math.sqrt(squares / cells) };
}

/** Scores every committed increment not scored yet against the current model; returns the new scores. */
export async function scoreNewIncrements(deps: { db: Db; modelsDir: string }): Promise<IncrementScore[]> {
  const model = await loadCurrentModel(deps.modelsDir);
  if (!model) return [];
  const scored = new Set(
    (await deps.db.query<{ path: string }>('SELECT path FROM increment_accuracy')).map((r) => r.path),
  );
  const pending = (await committedPaths(deps.db))
    .filter((path) => !scored.has(path))
    .map((path) => ({ path }));
  const out: IncrementScore[] = [];
  for (const file of pending) {
    const partial = await holdoutPartialOf(deps.db, file.path);
    const score = scoreIncrement(
      model,
      (partial?.cells ?? []).map((c) => ({
        day: c.day,
        hour: c.hour,
        category: c.category,
        items: c.buckets.reduce((s, v) => s + v, 0),
        squares: c.squares,
      })),
    );
    if (!score) continue;
    const orders = (partial?.bucketOrders ?? []).reduce((s, v) => s + v, 0);
    const [row] = await deps.db.query<{ scored_at: string }>(
      `INSERT INTO increment_accuracy (path, model_version, orders, cells, rmse, noise_floor)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (path) DO NOTHING
       RETURNING to_char(scored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS scored_at`,
      [file.path, model.version, orders, score.cells, score.rmse, score.noiseFloor],
    );
    if (row)
      out.push({ path: file.path, modelVersion: model.version, orders, ...score, scoredAt: row.scored_at });
  }
  return out;
}

/** Scores, oldest first (the chart's order). */
export async function listIncrementScores(db: Db, limit = 500): Promise<IncrementScore[]> {
  const rows = await db.query<{
    path: string;
    model_version: string;
    orders: string;
    cells: number;
    rmse: number;
    noise_floor: number;
    scored_at: string;
  }>(
    `SELECT * FROM (SELECT path, model_version, orders::text AS orders, cells, rmse, noise_floor,
       to_char(scored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS scored_at
     FROM increment_accuracy ORDER BY scored_at DESC, path DESC LIMIT $1) t ORDER BY scored_at, path`,
    [limit],
  );
  return rows.map((r) => ({
    path: r.path,
    modelVersion: r.model_version,
    orders: Number(r.orders),
    cells: Number(r.cells),
    rmse: Number(r.rmse),
    noiseFloor: Number(r.noise_floor),
    scoredAt: r.scored_at,
  }));
}
