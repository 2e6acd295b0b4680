// One prediction request: validating and resolving a (day, hour, category) cell from user text, then answering it.
// Kept apart so another answerer (e.g. the Redis cache behind `predict --cached`) can reuse `resolveCell`.
import { UsageError } from '../base/errors.js';
import { dispersionFor, intervalOf, type Interval } from './intervals.js';
import type { LoadedModel } from './predictor.js';
import { DAYS, HOURS, type CellAddress } from '../base/cell.js';

/** A cell checked against a model: `category` is the trained (canonical) name, `categoryIndex` its column. */
export interface ResolvedCell extends CellAddress {
  categoryIndex: number;
}

export interface CellPrediction extends CellAddress {
  prediction: number;
  /** 10 %–90 % of the predictive count distribution (intervals.ts), from the point value and the model's φ. */
  interval?: Interval;
  modelVersion: string;
  algorithm: string;
}

/** A prediction as JSON readers get it (`predict --json`, the HTTP API): fields named as the CSV columns. */
export const predictionRecord = (p: CellPrediction) => ({
  day_of_week: p.day,
  hour_of_day: p.hour,
  category: p.category,
  prediction: p.prediction,
  ...(p.interval ? { interval: p.interval } : {}),
  model_version: p.modelVersion,
  algorithm: p.algorithm,
});

/**
 * The interval of a point value answered for `model` in category `categoryIndex` (a pure function: cache, API and
 * CLI agree): the category's φ when the artifact has them, else the pooled φ.
 */
export const intervalFor = (model: LoadedModel, prediction: number, categoryIndex: number): Interval =>
  intervalOf(prediction, dispersionFor(model.artifact, categoryIndex));

function parseBounded(text: string, what: string, max: number): number {
  const t = text.trim();
  const v = Number(t);
  if (!/^[+-]?\d+$/.test(t) || v < 0 || v > max) {
    throw new UsageError(`${what} must be an integer from 0 to ${max}, got ${JSON.stringify(text)}`);
  }
  return v;
}

export const parseDay = (text: string): number => parseBounded(text, 'day_of_week', DAYS - 1);
export const parseHour = (text: string): number => parseBounded(text, 'hour_of_day', HOURS - 1);

/** Validates day and hour (UsageError) and resolves the category (NotFoundError with suggestions). */
export function resolveCell(model: LoadedModel, day: string, hour: string, category: string): ResolvedCell {
  const d = parseDay(day);
  const h = parseHour(hour);
  const categoryIndex = model.resolveCategory(category);
  return { day: d, hour: h, categoryIndex, category: model.categories[categoryIndex] };
}

export function answerCell(model: LoadedModel, cell: ResolvedCell): CellPrediction {
  const prediction = model.predict(cell.day, cell.hour, cell.categoryIndex);
  return {
    day: cell.day,
    hour: cell.hour,
    category: cell.category,
    prediction,
    interval: intervalFor(model, prediction, cell.categoryIndex),
    modelVersion: model.version,
    algorithm: model.algorithm,
  };
}
