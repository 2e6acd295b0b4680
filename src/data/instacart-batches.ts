// Cuts a relational Instacart folder into day batches in the relational form, as a feed would deliver them:
// <out>/<dow>/orders.csv with that day's orders rows and <out>/<dow>/order_products__prior.csv / __train.csv
// with their line items (rows copied as written, headers kept), and the catalog (products.csv, aisles.csv,
// departments.csv) once at <out>/, where the landing area keeps it (instacart-batch.ts). Rows of orders.csv whose
// day is not 0–6 and line items of orders not in orders.csv go to no batch (the reader of the whole folder
// quarantines them). Memory: one map entry per order.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { INSTACART_FILES, orderProductsFiles } from './instacart-files.js';

async function* lines(file: string): AsyncGenerator<string> {
  const rl = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) yield line;
}

/**
 * Writes the day batches of `dir` under `out`; returns the batch names (days that have orders). `orderIdOffset`
 * is added to every order_id (the first column of orders.csv and of the order_products files), so that sets
 * generated apart can land side by side without sharing ids.
 */
export async function cutInstacartDays(dir: string, out: string, orderIdOffset = 0): Promise<string[]> {
  const shift = (line: string): string => {
    if (orderIdOffset === 0) return line;
    const comma = line.indexOf(',');
    const id = Number(line.slice(0, comma));
    return Number.isInteger(id) && comma > 0 ? `${id + orderIdOffset}${line.slice(comma)}` : line;
  };
  await fs.mkdir(out, { recursive: true });
  for (const name of [INSTACART_FILES.products, INSTACART_FILES.aisles, INSTACART_FILES.departments])
    await fs.copyFile(path.join(dir, name), path.join(out, name));
  const dayOf = new Map<string, number>();
  const byDay: string[][] = Array.from({ length: 7 }, () => []);
  let header = '';
  let dowCol = -1;
  for await (const line of lines(path.join(dir, INSTACART_FILES.orders))) {
    if (dowCol < 0) {
      header = line.replace(/^\uFEFF/, '');
      dowCol = header.split(',').indexOf('order_dow');
      continue;
    }
    const fields = line.split(',');
    const day = Number(fields[dowCol]);
    if (!Number.isInteger(day) || day < 0 || day > 6) continue;
    dayOf.set(fields[0], day);
    byDay[day].push(shift(line));
  }
  const batches: string[] = [];
  for (let day = 0; day < 7; day++) {
    if (byDay[day].length === 0) continue;
    await fs.mkdir(path.join(out, String(day)), { recursive: true });
    await fs.writeFile(
      path.join(out, String(day), INSTACART_FILES.orders),
      [header, ...byDay[day]].join('\n') + '\n',
    );
    batches.push(String(day));
  }
  for (const file of orderProductsFiles(dir)) {
    const items: string[][] = Array.from({ length: 7 }, () => []);
    let itemsHeader: string | undefined;
    for await (const line of lines(file)) {
      if (itemsHeader === undefined) {
        itemsHeader = line.replace(/^\uFEFF/, '');
        continue;
      }
      const day = dayOf.get(line.slice(0, line.indexOf(',')));
      if (day !== undefined) items[day].push(shift(line));
    }
    for (const batch of batches)
      await fs.writeFile(
        path.join(out, batch, path.basename(file)),
        [itemsHeader ?? 'order_id,product_id,add_to_cart_order,reordered', ...items[Number(batch)]].join(
          '\n',
        ) + '\n',
      );
  }
  return batches;
}
