// `orderflow start --format instacart`: new orders arrive as relational day batches instead of wide files.
// Batch n ≥ 7 is day n mod 7 of week w = ⌊n/7⌋: each week is a relational set generated with its own seed
// (1000 + w) in DATA_DIR/instacart-arrivals/week-<w>, cut into day batches (instacart-batches.ts) with order
// ids from 10⁹ + (w − 1)·weekOrders + 1 (never the history's, never another week's). The catalog is put once at
// the landing root, where relational batches find it (instacart-batch.ts). A batch folder is assembled under a
// dot-name and renamed in whole, so the incremental stage never sees an orders file without its line items.
// Deterministic and resumable like simulate-orders.ts: delivered batches are skipped.
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cutInstacartDays } from '../../data/instacart-batches.js';
import { INSTACART_FILES } from '../../data/instacart-files.js';
import { generateInstacart } from '../../data/instacart-generate.js';
import { FIRST_SIMULATED_DAY, type SimulateOrdersOptions } from './simulate-orders.js';

export interface SimulateInstacartOptions extends SimulateOrdersOptions {
  /** Where the weekly sets are generated and cut (DATA_DIR/instacart-arrivals). */
  stagingDir: string;
}

const exists = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    () => true,
    () => false,
  );

/** The day batches of week `week`, generated and cut once. */
async function weekDays(
  options: SimulateInstacartOptions,
  week: number,
  weekOrders: number,
): Promise<string> {
  const dir = path.join(options.stagingDir, `week-${week}`);
  const days = path.join(dir, 'days');
  if (await exists(path.join(dir, 'done'))) return days;
  await fs.rm(dir, { recursive: true, force: true });
  const set = path.join(dir, 'set');
  await generateInstacart({ orders: weekOrders, seed: 1000 + week, outDir: set });
  await cutInstacartDays(set, days, 1e9 + (week - 1) * weekOrders);
  await fs.writeFile(path.join(dir, 'done'), '');
  return days;
}

/** Delivers the simulated relational days in order, one every `everyMs`; returns the batches it delivered. */
export async function simulateInstacartDays(options: SimulateInstacartOptions): Promise<string[]> {
  const weekOrders = options.weekOrders ?? 5000;
  const last = FIRST_SIMULATED_DAY + 7 * (options.weeks ?? 4);
  const delivered: string[] = [];
  await fs.mkdir(options.to, { recursive: true });
  for (let n = FIRST_SIMULATED_DAY; n < last; n++) {
    if (options.signal?.aborted) break;
    const batch = String(n);
    const target = path.join(options.to, batch);
    if (await exists(target)) continue;
    const days = await weekDays(options, Math.floor(n / 7), weekOrders);
    for (const name of [INSTACART_FILES.products, INSTACART_FILES.aisles, INSTACART_FILES.departments]) {
      const at = path.join(options.to, name);
      if (await exists(at)) continue;
      await fs.copyFile(path.join(days, name), `${at}.tmp`);
      await fs.rename(`${at}.tmp`, at);
    }
    const day = path.join(days, String(n % 7));
    if (!(await exists(day))) continue; // no order of the week fell on this day
    if (delivered.length > 0) {
      try {
        await sleep(options.everyMs, undefined, { signal: options.signal });
      } catch {
        break;
      }
    }
    const temp = path.join(options.to, `.${batch}.part`);
    await fs.rm(temp, { recursive: true, force: true });
    await fs.cp(day, temp, { recursive: true });
    await fs.rename(temp, target);
    delivered.push(batch);
    const orders =
      (await fs.readFile(path.join(target, INSTACART_FILES.orders), 'utf8')).split('\n').length - 2;
    options.onDelivered?.(batch, path.join(target, INSTACART_FILES.orders), orders);
  }
  return delivered;
}
