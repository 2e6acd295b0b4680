// Test helper: pivots a (small) relational Instacart folder to the wide orders CSV the original project read
// — what a user would otherwise have had to script. Deliberately plain (csv-parse, Maps, no typed arrays, no
// streaming), so it shares nothing with the relational reader it checks. One wide row per order with at
// least one joined line item, order_id and days_since_prior_order as written, one column per category in
// catalog order; rows of unknown orders or products are left out (the reader quarantines them).
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

async function records(file: string): Promise<Record<string, string>[]> {
  return parse(await fs.readFile(file), { columns: true, bom: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
}

export async function pivotInstacartToWide(
  dir: string,
  out: string,
  category: 'aisle' | 'department' = 'aisle',
): Promise<void> {
  const names = await records(path.join(dir, category === 'aisle' ? 'aisles.csv' : 'departments.csv'));
  const nameOf = new Map(names.map((r) => [r[`${category}_id`], r[category]]));
  const columns = [...new Set(names.map((r) => r[category]))];
  const categoryOfProduct = new Map(
    (await records(path.join(dir, 'products.csv'))).map((r) => [
      r.product_id,
      nameOf.get(r[`${category}_id`]),
    ]),
  );
  const orders = new Map((await records(path.join(dir, 'orders.csv'))).map((r) => [r.order_id, r]));
  const counts = new Map<string, Map<string, number>>();
  const lineFiles = (await fs.readdir(dir)).filter((n) => /^order_products.*\.csv$/.test(n)).sort();
  for (const name of lineFiles) {
    for (const row of await records(path.join(dir, name))) {
      const cat = categoryOfProduct.get(row.product_id);
      if (!orders.has(row.order_id) || cat === undefined) continue;
      const perOrder = counts.get(row.order_id) ?? new Map<string, number>();
      perOrder.set(cat, (perOrder.get(cat) ?? 0) + 1);
      counts.set(row.order_id, perOrder);
    }
  }
  const lines = [
    ['order_id', 'order_dow', 'order_hour_of_day', 'days_since_prior_order', ...columns].join(','),
  ];
  for (const [id, perOrder] of counts) {
    const o = orders.get(id)!;
    lines.push(
      [
        id,
        Number(o.order_dow),
        Number(o.order_hour_of_day),
        o.days_since_prior_order,
        ...columns.map((c) => perOrder.get(c) ?? 0),
      ].join(','),
    );
  }
  await fs.writeFile(out, lines.join('\n') + '\n');
}
