// The synthetic catalog of the relational generator: departments.csv and aisles.csv with the public names
// and ids (aisle_id = position in AISLES + 1), each aisle in its real department, and products.csv with
// 49,688 made-up product names (some with commas and quotes, so they are quoted as in the real file) spread
// over the aisles. Deterministic per seed.
import { AISLES } from './aisles.js';
import { Random } from './random.js';

const DEPARTMENTS: readonly string[] = [
  'frozen',
  'other',
  'bakery',
  'produce',
  'alcohol',
  'international',
  'beverages',
  'pets',
  'dry goods pasta',
  'bulk',
  'personal care',
  'meat seafood',
  'pantry',
  'breakfast',
  'canned goods',
  'dairy eggs',
  'household',
  'babies',
  'snacks',
  'deli',
  'missing',
];

/** department_id of each aisle (AISLES order), as in the public products.csv. */
// prettier-ignore
const AISLE_DEPARTMENT: readonly number[] = [
  20, 16, 19, 9, 13, 2, 12, 3, 9, 17, 11, 9, 20, 20, 12, 4, 13, 10, 13, 11,
  16, 11, 19, 4, 11, 7, 5, 5, 13, 6, 7, 4, 6, 1, 12, 16, 1, 1, 12, 8,
  8, 1, 3, 11, 19, 19, 11, 14, 12, 19, 13, 1, 16, 17, 11, 18, 14, 1, 15, 17,
  19, 5, 9, 7, 11, 6, 20, 10, 15, 11, 16, 13, 11, 17, 17, 6, 7, 19, 1, 11,
  15, 18, 4, 16, 17, 16, 17, 13, 13, 7, 16, 18, 3, 7, 15, 20, 13, 7, 15, 21,
  17, 18, 19, 13, 13, 12, 19, 16, 11, 13, 17, 3, 1, 17, 7, 1, 19, 11, 1, 16,
  14, 12, 4, 5, 19, 11, 11, 3, 1, 14, 9, 11, 11, 5,
];

export interface Product {
  id: number;
  name: string;
  /** 1-based, as written. */
  aisleId: number;
  departmentId: number;
}

const ADJECTIVES = [
  'Organic', 'Original', 'Classic', 'Natural', 'Fresh', 'Light', 'Whole', 'Family Size', 'Unsweetened',
  'Gluten Free', 'Low Fat', 'Extra Virgin', 'Honey', 'Sea Salt', 'Vanilla', 'Dark', 'Spicy', 'Mini',
]; // prettier-ignore
const SIZES = ['12 oz', '16 oz', '1 lb', '6 ct', '32 fl oz', 'Share Size', 'Value Pack', '2 pk'];

/** How a field is written in CSV: quoted when it holds a comma, a quote or a line break (quotes doubled). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** `count` products, each in an aisle drawn (almost) uniformly; the first 134 cover every aisle once. */
export function makeProducts(count: number, seed: number): Product[] {
  const random = new Random(seed ^ 0x5bd1e995);
  const products: Product[] = [];
  for (let id = 1; id <= count; id++) {
    const aisle = id <= AISLES.length ? id - 1 : Math.floor(random.next() * AISLES.length);
    const noun = AISLES[aisle].replace(/\b\w/g, (c) => c.toUpperCase());
    const adjective = ADJECTIVES[Math.floor(random.next() * ADJECTIVES.length)];
    const u = random.next();
    // About one name in eight has a comma ("…, 12 oz"), one in fifty a quoted word, as in the real list.
    const name =
      u < 0.125
        ? `${adjective} ${noun} No. ${id}, ${SIZES[Math.floor(random.next() * SIZES.length)]}`
        : u < 0.145
          ? `"${adjective}" ${noun} No. ${id}`
          : `${adjective} ${noun} No. ${id}`;
    products.push({ id, name, aisleId: aisle + 1, departmentId: AISLE_DEPARTMENT[aisle] });
  }
  return products;
}

export function aislesCsv(): string {
  return 'aisle_id,aisle\n' + AISLES.map((name, i) => `${i + 1},${csvField(name)}\n`).join('');
}

export function departmentsCsv(): string {
  return 'department_id,department\n' + DEPARTMENTS.map((name, i) => `${i + 1},${csvField(name)}\n`).join('');
}

export function productsCsv(products: readonly Product[]): string {
  return (
    'product_id,product_name,aisle_id,department_id\n' +
    products.map((p) => `${p.id},${csvField(p.name)},${p.aisleId},${p.departmentId}\n`).join('')
  );
}
