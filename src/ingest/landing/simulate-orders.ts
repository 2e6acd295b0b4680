// What `npm start` feeds the incremental stage: NEW orders, one day at a time, as the original system's daily
// folders did. The batch history (DATA_DIR/raw, days 0–6) is week 1; batch n ≥ 7 is absolute day n, i.e. day
// n mod 7 of week ⌊n/7⌋ + 1, written to DATA_DIR/incremental/raw/<n>/orders_<n>.csv with the generator's shape
// (same day/hour/aisle structure), its own seed (1000 + n) and order ids from 10⁹ + 10⁶·n (never the
// history's). So the data the models train on — history plus increments — only grows. Deterministic: a restarted
// simulation skips the days whose file exists and writes the same orders for the others.
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DAY_WEIGHTS, generateOrders } from '../../data/generate.js';

/** The history's days are batches 0–6; simulated days start after them. */
export const FIRST_SIMULATED_DAY = 7;

export interface SimulateOrdersOptions {
  /** DATA_DIR/incremental/raw. */
  to: string;
  /** Orders in a simulated week (each day gets its usual share). @defaultValue 5000 */
  weekOrders?: number;
  /** Weeks to simulate after the history. @defaultValue 4 */
  weeks?: number;
  everyMs: number;
  signal?: AbortSignal;
  onDelivered?(batch: string, file: string, orders: number): void;
}

function simulatedBatch(n: number, weekOrders: number): { batch: string; day: number; orders: number } {
  const day = n % 7;
  return { batch: String(n), day, orders: Math.max(1, Math.round(weekOrders * DAY_WEIGHTS[day])) };
}

const exists = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    () => true,
    () => false,
  );

/** Delivers the simulated days in order, one every `everyMs`; returns the batches it wrote. */
export async function simulateNewOrders(options: SimulateOrdersOptions): Promise<string[]> {
  const weekOrders = options.weekOrders ?? 5000;
  const last = FIRST_SIMULATED_DAY + 7 * (options.weeks ?? 4);
  const delivered: string[] = [];
  for (let n = FIRST_SIMULATED_DAY; n < last; n++) {
    if (options.signal?.aborted) break;
    const { batch, day, orders } = simulatedBatch(n, weekOrders);
    const file = path.join(options.to, batch, `orders_${batch}.csv`);
    if (await exists(file)) continue;
    if (delivered.length > 0) {
      try {
        await sleep(options.everyMs, undefined, { signal: options.signal });
      } catch {
        break;
      }
    }
    // Written beside its final name and renamed in: the incremental stage never sees half a day.
    await generateOrders({ orders, seed: 1000 + n, out: file, day, firstOrderId: 1e9 + 1e6 * n });
    delivered.push(batch);
    options.onDelivered?.(batch, file, orders);
  }
  return delivered;
}
