// Champion against challenger on the same held-out data: the rule that makes promotion never regress.
// A trained challenger is scored on its own holdout; the champion (the current model) is re-scored on exactly
// those held-out cells. The two were trained on different amounts of data, and a prediction means items per cell
// over all the data a model was trained on, so the champion's predictions are first scaled to the held-out data:
// by held-out orders / the champion's orders (order holdout), or by items (cell holdout, older artifacts). The
// challenger becomes current only if its RMSE is lower by more than the fold noise — the standard deviation of
// its RMSE across the cross-validation folds, when they ran: a "win" smaller than what changing the held-out
// orders does to one model's score is no evidence that it is better. The margin applies to a challenger of another
// algorithm; the champion's own algorithm refitted on newer data needs only a strictly lower RMSE, so that new
// data reaches the served predictions. A tie keeps the champion (a new version must earn its place); `--force`
// promotes regardless, and the reason says so.
import { poissonDeviance, regressionMetrics, type Metrics } from './metrics.js';
import type { LoadedModel } from './predictor.js';
import { normalizeCategory } from './predictor.js';
import type { Rows } from './rows.js';
import type { PromotionDecision } from './artifact.js';

/** Sum of the training target: the data volume a model's per-cell predictions refer to. */
export function totalOf(rows: Rows): number {
  let total = 0;
  for (let i = 0; i < rows.length; i++) total += rows.y[i];
  return total;
}

/** The champion's data volume: recorded in its artifact, else (older artifacts) the sum of its grid. */
function championTotal(champion: LoadedModel): number {
  const recorded = champion.artifact.totalItems;
  if (typeof recorded === 'number' && recorded > 0) return recorded;
  return champion.predictGrid().reduce((s, v) => s + v, 0);
}

/**
 * What the held-out data amounts to: its orders (order holdout; null for a cell holdout) and its items. The
 * champion's predictions are scaled by held-out orders / the champion's training orders when both are known,
 * else by items / the champion's training items.
 */
export interface HeldOutVolume {
  orders: number | null;
  items: number;
}

function championScale(champion: LoadedModel, volume: HeldOutVolume): number {
  const orders = champion.artifact.orders;
  if (volume.orders !== null && typeof orders === 'number' && orders > 0) return volume.orders / orders;
  const base = championTotal(champion);
  return base > 0 ? volume.items / base : 1;
}

/**
 * The champion's metrics on the challenger's held-out rows. `categories` are the challenger's names; a category
 * the champion never saw is predicted 0 by it (as serving would fail to answer it at all).
 */
export function rescoreChampion(
  champion: LoadedModel,
  test: Rows,
  categories: readonly string[],
  volume: HeldOutVolume,
): { metrics: Metrics; scale: number } {
  const known = new Map(champion.categories.map((c, i) => [normalizeCategory(c), i]));
  const mapped = categories.map((c) => known.get(normalizeCategory(c)) ?? -1);
  const scale = championScale(champion, volume);
  const predicted = new Float64Array(test.length);
  for (let i = 0; i < test.length; i++) {
    const k = mapped[test.cat[i]];
    predicted[i] = k < 0 ? 0 : champion.predict(test.day[i], test.hour[i], k) * scale;
  }
  return {
    metrics: { ...regressionMetrics(test.y, predicted), deviance: poissonDeviance(test.y, predicted) },
    scale,
  };
}

export function decidePromotion(input: {
  challengerHoldout: Metrics;
  champion: LoadedModel | null;
  test: Rows;
  categories: readonly string[];
  volume: HeldOutVolume;
  /** Promote whatever the comparison says (operator override, `train --force`). @defaultValue false */
  force?: boolean;
  /**
   * The challenger's fold noise (standard deviation of its RMSE across folds); undefined when no folds ran, and
   * then any strictly lower RMSE wins.
   */
  foldNoise?: number;
  /**
   * The challenger is the champion's own algorithm refitted on newer data: it replaces the champion on any strictly
   * lower RMSE, as fresh data must reach the served predictions. The fold-noise margin guards the choice between
   * algorithms, not the refresh of the chosen one. @defaultValue false
   */
  refit?: boolean;
}): PromotionDecision {
  const { challengerHoldout, champion } = input;
  if (!champion) {
    return {
      promoted: true,
      champion: null,
      challengerHoldout,
      championHoldout: null,
      scale: null,
      reason: 'first model: nothing to compare with',
    };
  }
  const { metrics, scale } = rescoreChampion(champion, input.test, input.categories, input.volume);
  const noise = input.refit ? 0 : (input.foldNoise ?? 0);
  const gain = metrics.rmse - challengerHoldout.rmse;
  const wins = gain > noise;
  const margin = input.refit
    ? ` (a refit of ${champion.algorithm} on newer data: no fold-noise margin)`
    : input.foldNoise === undefined
      ? ' (fold noise not measured: no --folds)'
      : `, fold noise ±${noise.toFixed(4)}`;
  const score = `holdout RMSE ${challengerHoldout.rmse.toFixed(4)} vs champion ${champion.version} ${metrics.rmse.toFixed(4)}${margin}`;
  let reason: string;
  if (wins) reason = `beats the champion: ${score}`;
  else if (input.force) reason = `promoted by --force although it does not beat the champion: ${score}`;
  else if (gain > 0) reason = `rejected, does not beat the champion by more than the fold noise: ${score}`;
  else reason = `rejected, does not beat the champion: ${score}`;
  return {
    promoted: wins || input.force === true,
    champion: champion.version,
    challengerHoldout,
    championHoldout: metrics,
    scale,
    ...(input.foldNoise !== undefined && !input.refit ? { foldNoise: noise } : {}),
    reason,
  };
}
