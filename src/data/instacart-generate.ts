// Deterministic synthetic data in the relational form of the public Instacart download (instacart-files.ts):
// orders.csv in user order (users with 4–100 orders, each user's last order `train` or `test`, the others
// `prior`; hours zero-padded as in the real file), order_products__prior.csv and __train.csv sorted by order_id
// (order ids are a seeded permutation of 1..N, so they are not in user order, as in the real data), and the
// catalog (instacart-catalog.ts). `test` orders have no line items, as published.
// Line items follow the wide generator's shape (generate.ts: the same day/hour/aisle samplers and items per
// order), each a distinct product drawn by popularity within its aisle.
// Memory is a few bytes per order (day, hour, eval_set and order number by id, needed to write the line items in
// order_id order); everything else streams. The folder is built beside its place and renamed in.
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { AISLES } from './aisles.js';
import { replaceDirectory, siblingTempDir } from './atomic.js';
import { cellSamplers, DAY_WEIGHTS, HOUR_WEIGHTS } from './generate.js';
import { aislesCsv, departmentsCsv, makeProducts, productsCsv, type Product } from './instacart-catalog.js';
import { INSTACART_FILES, INSTACART_FULL } from './instacart-files.js';
import { Random, WeightedSampler } from './random.js';

export interface InstacartGenerateOptions {
  /** Orders in orders.csv (INSTACART_FULL.orders for the published size). */
  orders: number;
  seed: number;
  /** The folder to write (replaced as a whole). */
  outDir: string;
  /** Products in products.csv. @defaultValue 49,688 (the published catalog) */
  products?: number;
  onProgress?: (phase: 'orders' | 'line items', done: number) => void;
}

export interface InstacartGenerateResult {
  orders: number;
  users: number;
  priorRows: number;
  trainRows: number;
  bytes: number;
}

const EVAL_PRIOR = 0;
const EVAL_TRAIN = 1;
const EVAL_TEST = 2;
const EVAL_NAMES = ['prior', 'train', 'test'];
/** Share of users whose last order is in `train` (the rest are `test`), as published: 131,209 of 206,209. */
const TRAIN_SHARE = 0.6363;
/** Mean orders per user above the minimum of 4 (published mean ≈ 16.6). */
const EXTRA_ORDERS_MEAN = 13.1;
const REORDER_RATE = 0.59;

class Output {
  private readonly stream: WriteStream;
  private buffered: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(file: string) {
    this.stream = createWriteStream(file);
  }
  async line(text: string): Promise<void> {
    this.buffered.push(text);
    this.size += text.length + 1;
    if (this.size >= 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const chunk = this.buffered.join('\n') + '\n';
    this.buffered = [];
    this.size = 0;
    this.bytes += Buffer.byteLength(chunk);
    if (!this.stream.write(chunk)) await new Promise<void>((r) => this.stream.once('drain', () => r()));
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
  }
}

/** a·b mod m without losing precision for m < 2^36 (order ids, multipliers). */
function mulMod(a: number, b: number, m: number): number {
  return (((a * Math.floor(b / 65536)) % m) * 65536 + a * (b % 65536)) % m;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The seeded permutation i ↦ order_id of 0..n−1 onto 1..n. */
function orderIdPermutation(n: number, seed: number): (i: number) => number {
  let a = Math.max(1, Math.floor(n * 0.6180339887) + (seed % 1000));
  while (gcd(a, n) !== 1) a++;
  const b = seed % n;
  return (i) => ((mulMod(i, a, n) + b) % n) + 1;
}

/** Orders of the next user: 4 + a geometric tail, at most 100; the last user takes what is left. */
function ordersOfUser(random: Random, remaining: number): number {
  let n = Math.min(100, 4 + Math.floor(-Math.log(1 - random.next()) * EXTRA_ORDERS_MEAN));
  if (n >= remaining) return remaining;
  // Never leave fewer than 4 orders for a last user.
  if (remaining - n < 4) n = remaining <= 100 ? remaining : remaining - 4;
  return n;
}

interface OrderTable {
  day: Uint8Array;
  hour: Uint8Array;
  evalSet: Uint8Array;
  orderNumber: Uint8Array;
}

async function writeOrders(
  options: InstacartGenerateOptions,
  out: Output,
): Promise<{ table: OrderTable; users: number }> {
  const n = options.orders;
  const random = new Random(options.seed);
  const days = new WeightedSampler(DAY_WEIGHTS);
  const hours = new WeightedSampler(HOUR_WEIGHTS);
  const idOf = orderIdPermutation(n, options.seed);
  const table: OrderTable = {
    day: new Uint8Array(n),
    hour: new Uint8Array(n),
    evalSet: new Uint8Array(n),
    orderNumber: new Uint8Array(n),
  };
  await out.line('order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order');
  let index = 0;
  let users = 0;
  while (index < n) {
    const user = ++users;
    const count = ordersOfUser(random, n - index);
    const lastSet = random.next() < TRAIN_SHARE ? EVAL_TRAIN : EVAL_TEST;
    for (let number = 1; number <= count; number++, index++) {
      const id = idOf(index);
      const day = days.sample(random.next());
      const hour = hours.sample(random.next());
      const evalSet = number === count && count > 1 ? lastSet : EVAL_PRIOR;
      const u = random.next();
      const prior =
        number === 1 ? '' : u < 0.11 ? '30.0' : `${Math.min(29, Math.floor(-Math.log(1 - u) * 8))}.0`;
      table.day[id - 1] = day;
      table.hour[id - 1] = hour;
      table.evalSet[id - 1] = evalSet;
      table.orderNumber[id - 1] = number;
      const hh = hour < 10 ? `0${hour}` : `${hour}`;
      await out.line(`${id},${user},${EVAL_NAMES[evalSet]},${number},${day},${hh},${prior}`);
    }
    if (users % 5000 === 0) options.onProgress?.('orders', index);
  }
  return { table, users };
}

/** Per aisle: its products and a sampler that favours the first ones (a Zipf-like popularity). */
function productSamplers(products: readonly Product[]): { ids: Int32Array; sampler: WeightedSampler }[] {
  const byAisle: number[][] = AISLES.map(() => []);
  for (const p of products) byAisle[p.aisleId - 1].push(p.id);
  return byAisle.map((ids) => ({
    ids: Int32Array.from(ids),
    sampler: new WeightedSampler(ids.map((_, rank) => 1 / (rank + 1))),
  }));
}

async function writeLineItems(
  options: InstacartGenerateOptions,
  table: OrderTable,
  products: readonly Product[],
  prior: Output,
  train: Output,
): Promise<{ priorRows: number; trainRows: number }> {
  const header = 'order_id,product_id,add_to_cart_order,reordered';
  await prior.line(header);
  await train.line(header);
  const aisleSamplers = cellSamplers();
  const inAisle = productSamplers(products);
  // Marks the products already in the current order (by order id), so an order lists each product once.
  const taken = new Int32Array(products.length + 1);
  let priorRows = 0;
  let trainRows = 0;
  for (let id = 1; id <= options.orders; id++) {
    const evalSet = table.evalSet[id - 1];
    if (evalSet === EVAL_TEST) continue;
    // One stream per order: an order's items do not depend on how many orders came before it.
    const random = new Random(Math.imul(options.seed ^ 0x27d4eb2d, 0x9e3779b1) ^ Math.imul(id, 0x85ebca6b));
    // ≈ 10.1 items per order on average, as published (32.4M prior rows over 3.2M prior orders).
    const n = Math.min(145, Math.max(1, Math.round(Math.exp(2.1 + 0.65 * random.normal()))));
    const sampler = aisleSamplers[table.day[id - 1] * 24 + table.hour[id - 1]];
    const first = table.orderNumber[id - 1] === 1;
    const out = evalSet === EVAL_PRIOR ? prior : train;
    let added = 0;
    for (let k = 1; k <= n; k++) {
      const aisle = inAisle[sampler.sample(random.next())];
      let product = aisle.ids[aisle.sampler.sample(random.next())];
      // A product already in the order: take the next unused one of the aisle (small aisles wrap around).
      for (let tries = 0; taken[product] === id && tries < aisle.ids.length; tries++) {
        product = aisle.ids[(aisle.ids.indexOf(product) + 1) % aisle.ids.length];
      }
      if (taken[product] === id) continue;
      taken[product] = id;
      const reordered = !first && random.next() < REORDER_RATE ? 1 : 0;
      await out.line(`${id},${product},${++added},${reordered}`);
      if (evalSet === EVAL_PRIOR) priorRows++;
      else trainRows++;
    }
    if (id % 50_000 === 0) options.onProgress?.('line items', id);
  }
  return { priorRows, trainRows };
}

export async function generateInstacart(options: InstacartGenerateOptions): Promise<InstacartGenerateResult> {
  const built = siblingTempDir(options.outDir);
  await fs.mkdir(built, { recursive: true });
  try {
    const products = makeProducts(options.products ?? INSTACART_FULL.products, options.seed);
    const catalog: [string, string][] = [
      [INSTACART_FILES.aisles, aislesCsv()],
      [INSTACART_FILES.departments, departmentsCsv()],
      [INSTACART_FILES.products, productsCsv(products)],
    ];
    let bytes = 0;
    for (const [name, text] of catalog) {
      await fs.writeFile(path.join(built, name), text);
      bytes += Buffer.byteLength(text);
    }
    const orders = new Output(path.join(built, INSTACART_FILES.orders));
    const { table, users } = await writeOrders(options, orders);
    await orders.close();
    const prior = new Output(path.join(built, INSTACART_FILES.prior));
    const train = new Output(path.join(built, INSTACART_FILES.train));
    const rows = await writeLineItems(options, table, products, prior, train);
    await Promise.all([prior.close(), train.close()]);
    bytes += orders.bytes + prior.bytes + train.bytes;
    await replaceDirectory(built, options.outDir);
    return { orders: options.orders, users, ...rows, bytes };
  } catch (err) {
    await fs.rm(built, { recursive: true, force: true });
    throw err;
  }
}
