// Deterministic synthetic orders in the public dataset's wide format: order_id, order_dow,
// order_hour_of_day, days_since_prior_order, then one item-count column per aisle.
// Shape: more orders on days 0–1, a daytime peak, ~10 items per order with a long tail, a few dominant
// aisles, and some day/hour-dependent aisles (breakfast in the morning, drinks in the evening and at
// weekends) so that demand models have real structure to find. Streams: memory does not grow with N.
import { AISLES, aisleWeights } from './aisles.js';
import { openAtomicWriter } from './atomic.js';
import { Random, WeightedSampler } from './random.js';

export const META_COLUMNS = ['order_id', 'order_dow', 'order_hour_of_day', 'days_since_prior_order'] as const;

/** Share of a week's orders on each day_of_week. */
export const DAY_WEIGHTS = [0.194, 0.176, 0.13, 0.12, 0.117, 0.13, 0.138];
/** Relative share of orders in each hour_of_day. */
export const HOUR_WEIGHTS = [
  0.7, 0.4, 0.2, 0.15, 0.15, 0.3, 0.9, 2.7, 5.3, 7.5, 8.5, 8.5, 8.1, 8.2, 8.3, 8.3, 7.9, 6.6, 5.1, 3.9, 3.0,
  2.5, 2.0, 1.2,
];
const MORNING_AISLES = new Set([
  'coffee',
  'breakfast bakery',
  'cereal',
  'eggs',
  'milk',
  'hot cereal pancake mixes',
]);
const EVENING_AISLES = new Set([
  'beers coolers',
  'red wines',
  'white wines',
  'spirits',
  'specialty wines champagnes',
  'ice cream ice',
  'frozen pizza',
]);

export interface GenerateOptions {
  orders: number;
  seed: number;
  out: string;
  /** Id of the first order (the others follow): new orders need ids the history does not use. @defaultValue 1 */
  firstOrderId?: number;
  /** Put every order on this day_of_week (0–6) instead of drawing the day: one day of a later week. */
  day?: number;
  /** Called every few thousand orders with the number written so far. */
  onProgress?: (written: number) => void;
}

export interface GenerateResult {
  orders: number;
  items: number;
  bytes: number;
}

/**
 * One aisle sampler per (day, hour) (index day × 24 + hour): the base popularity times the day/hour effects
 * above. Shared with the relational generator (instacart-generate.ts), so both formats have the same shape.
 */
export function cellSamplers(): WeightedSampler[] {
  const base = aisleWeights();
  const samplers: WeightedSampler[] = [];
  for (let day = 0; day < 7; day++) {
    for (let hour = 0; hour < 24; hour++) {
      const weekend = day === 0 || day === 6;
      const weights = AISLES.map((name, i) => {
        let w = base[i];
        if (MORNING_AISLES.has(name) && hour >= 6 && hour <= 11) w *= 1.8;
        if (EVENING_AISLES.has(name) && hour >= 17) w *= weekend ? 3 : 2;
        if (EVENING_AISLES.has(name) && hour < 12) w *= 0.5;
        return w;
      });
      samplers.push(new WeightedSampler(weights));
    }
  }
  return samplers;
}

export async function generateOrders(options: GenerateOptions): Promise<GenerateResult> {
  const random = new Random(options.seed);
  const days = new WeightedSampler(DAY_WEIGHTS);
  const hours = new WeightedSampler(HOUR_WEIGHTS);
  const samplers = cellSamplers();
  const counts = new Int32Array(AISLES.length);
  const touched: number[] = [];
  const writer = await openAtomicWriter(options.out);
  let bytes = 0;
  let items = 0;
  try {
    const header = [...META_COLUMNS, ...AISLES].join(',') + '\n';
    await writer.write(header);
    bytes += Buffer.byteLength(header);
    const batch: string[] = [];
    const firstId = options.firstOrderId ?? 1;
    for (let order = 1; order <= options.orders; order++) {
      const drawn = days.sample(random.next());
      const day = options.day ?? drawn;
      const hour = hours.sample(random.next());
      const n = Math.min(145, Math.max(1, Math.round(Math.exp(2.05 + 0.65 * random.normal()))));
      const sampler = samplers[day * 24 + hour];
      for (let k = 0; k < n; k++) {
        const aisle = sampler.sample(random.next());
        if (counts[aisle]++ === 0) touched.push(aisle);
      }
      items += n;
      const u = random.next();
      const prior =
        u < 0.06 ? '' : u < 0.17 ? '30.0' : `${Math.min(29, Math.floor(-Math.log(1 - random.next()) * 8))}.0`;
      batch.push(`${firstId + order - 1},${day},${hour},${prior},${counts.join(',')}`);
      for (const aisle of touched) counts[aisle] = 0;
      touched.length = 0;
      if (batch.length === 2000 || order === options.orders) {
        const chunk = batch.join('\n') + '\n';
        batch.length = 0;
        bytes += chunk.length;
        await writer.write(chunk);
        options.onProgress?.(order);
      }
    }
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return { orders: options.orders, items, bytes };
}
