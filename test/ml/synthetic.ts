// Synthetic aggregates with known structure for the ml tests and benchmark: items ~ Poisson(rate[d,h] × pop[c]).
import { TOP_AISLES } from '../../src/data/aisles.js';
import { createRng, type Rng } from '../../src/ml/random.js';
import { allocateRows, type Rows } from '../../src/ml/rows.js';
import { AGGREGATE_COLUMNS, type Cell } from '../../src/base/cell.js';

/** Real aisle names, most popular first (the generator's own ranking). */
const BASE_AISLES = TOP_AISLES.slice(0, 20);

/** `count` category names: real aisle names first, then "aisle NNN". */
export function categoryNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i < BASE_AISLES.length ? BASE_AISLES[i] : `aisle ${String(i).padStart(3, '0')}`,
  );
}

export function poisson(rng: Rng, lambda: number): number {
  if (lambda > 30) {
    // Normal approximation, good enough for large rates.
    const u = Math.max(rng.next(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  }
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng.next();
  } while (p > l);
  return k - 1;
}

/** Every cell of the 7 × 24 × `categories` grid, its count drawn ~ Poisson(rate(d, h, c)), in grid order. */
export function poissonGrid(
  rng: Rng,
  categories: number,
  rate: (d: number, h: number, c: number) => number,
): Rows {
  const rows = allocateRows(7 * 24 * categories, categories);
  let i = 0;
  for (let d = 0; d < 7; d++)
    for (let h = 0; h < 24; h++)
      for (let c = 0; c < categories; c++) {
        rows.day[i] = d;
        rows.hour[i] = h;
        rows.cat[i] = c;
        rows.y[i++] = poisson(rng, rate(d, h, c));
      }
  return rows;
}

export interface SyntheticAggregate {
  rows: Cell[];
  categories: string[];
  /** The true Poisson rate of a cell. */
  rate(day: number, hour: number, cat: number): number;
}

/** Counts drawn from a day×hour profile times a category popularity; zero cells are left out, like an aggregate. */
/** `noiseSeed` (default: the same stream as the structure) draws the counts: same structure, other noise. */
export function syntheticAggregate(
  categories = 134,
  scale = 30,
  seed = 7,
  noiseSeed?: number,
): SyntheticAggregate {
  const structure = createRng(seed);
  const rng = noiseSeed === undefined ? structure : createRng(noiseSeed);
  const names = categoryNames(categories);
  const pop = Array.from({ length: categories }, () => Math.exp(2 * structure.next() - 1.5));
  const dayFactor = [1.3, 1.2, 0.9, 0.85, 0.85, 0.95, 1.1];
  const hourFactor = Array.from({ length: 24 }, (_, h) => 0.05 + Math.exp(-((h - 13) ** 2) / 18));
  const rate = (d: number, h: number, c: number): number =>
    scale * dayFactor[d] * hourFactor[h] * pop[c] * (d === 0 && h >= 9 && h <= 11 ? 1.5 : 1);
  const rows: Cell[] = [];
  for (let d = 0; d < 7; d++)
    for (let h = 0; h < 24; h++)
      for (let c = 0; c < categories; c++) {
        const items = poisson(rng, rate(d, h, c));
        if (items > 0) rows.push({ day: d, hour: h, category: names[c], items });
      }
  return { rows, categories: names, rate };
}

export function toCsv(rows: readonly Cell[]): string {
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return (
    [
      AGGREGATE_COLUMNS.join(','),
      ...rows.map((r) => `${r.day},${r.hour},${quote(r.category)},${r.items}`),
    ].join('\n') + '\n'
  );
}
