// First steps of `npm start` on a fresh checkout: the sample dataset, its day split and the full
// aggregate, each made only when absent (a second start reuses them and resumes).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../base/config.js';
import { generateOrders } from '../data/generate.js';
import { generateInstacart } from '../data/instacart-generate.js';
import { splitInstacartByDay } from '../ingest/instacart/instacart-split.js';
import { dayFilePath, splitByDay } from '../ingest/split/split.js';
import { aggregateOrders } from '../ingest/aggregate.js';
import { resolveInputs } from '../ingest/landing/inputs.js';

const exists = (file: string) =>
  fs.stat(file).then(
    () => true,
    () => false,
  );

export async function bootstrapData(
  config: Config,
  say: (line: string) => void,
  orders = 5000,
  format: 'wide' | 'instacart' = 'wide',
): Promise<void> {
  const { paths } = config;
  if (format === 'instacart') {
    // The history as the public download has it (DATA_DIR/instacart), split to the same day files.
    const dir = path.join(config.dataDir, 'instacart');
    if (!(await exists(dir))) {
      const result = await generateInstacart({ orders, seed: 42, outDir: dir });
      say(`generated the relational sample dataset: ${result.orders} orders → ${dir}`);
    }
    if (!(await exists(dayFilePath(paths.rawDir, 6)))) {
      const split = await splitInstacartByDay({
        input: dir,
        category: config.ingest.instacartCategory,
        rawDir: paths.rawDir,
        quarantineDir: paths.quarantineDir,
        dataDir: config.dataDir,
        strict: false,
      });
      say(`split by day: ${split.rowsPerDay.join(' / ')} orders on days 0–6`);
    }
  }
  if (format === 'wide' && !(await exists(paths.ordersCsv))) {
    const result = await generateOrders({ orders, seed: 42, out: paths.ordersCsv });
    say(`generated the sample dataset: ${result.orders} orders → ${paths.ordersCsv}`);
  }
  if (format === 'wide' && !(await exists(dayFilePath(paths.rawDir, 6)))) {
    const split = await splitByDay({
      input: paths.ordersCsv,
      rawDir: paths.rawDir,
      quarantineDir: paths.quarantineDir,
      dataDir: config.dataDir,
      strict: false,
    });
    say(`split by day: ${split.rowsPerDay.join(' / ')} orders on days 0–6`);
  }
  if (!(await exists(paths.processedCsv))) {
    const summary = await aggregateOrders({
      files: await resolveInputs(undefined, paths.rawDir),
      csvPath: paths.processedCsv,
      parquetDir: paths.processedParquet,
      quarantineDir: paths.quarantineDir,
      dataDir: config.dataDir,
      strict: false,
    });
    say(`full aggregate: ${summary.rows} rows → ${paths.processedCsv}`);
  }
}
