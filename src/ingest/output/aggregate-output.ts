// Writes an aggregate as CSV (day_of_week,hour_of_day,category,items_count) and as Hive-partitioned
// Parquet (…/day_of_week=N/*.parquet) that Spark, pandas and DuckDB read as is. Both are built beside
// their final place and renamed in, so readers never see half an output.
import fs from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import { replaceDirectory, siblingTempDir, writeFileAtomic } from '../../data/atomic.js';
import { AGGREGATE_COLUMNS, type Cell } from '../../base/cell.js';
import type { DuckDbEngine } from './duckdb-engine.js';
import { sqlString } from './sql.js';

function aggregateCsvText(cells: readonly Cell[]): string {
  return stringify(
    cells.map((c) => [c.day, c.hour, c.category, c.items]),
    { header: true, columns: [...AGGREGATE_COLUMNS] },
  );
}

function aggregateCsvSource(csvPath: string): string {
  return (
    `read_csv(${sqlString(csvPath)}, header = true, delim = ',', quote = '"', escape = '"', auto_detect = false, ` +
    `columns = {'day_of_week': 'INTEGER', 'hour_of_day': 'INTEGER', 'category': 'VARCHAR', 'items_count': 'BIGINT'})`
  );
}

export async function writeAggregateOutputs(
  engine: DuckDbEngine,
  cells: readonly Cell[],
  csvPath: string,
  parquetDir: string,
): Promise<void> {
  await writeFileAtomic(csvPath, aggregateCsvText(cells));
  const built = siblingTempDir(parquetDir);
  try {
    await fs.mkdir(built, { recursive: true });
    if (cells.length > 0) {
      await engine.run(
        `COPY (SELECT * FROM ${aggregateCsvSource(csvPath)} ORDER BY day_of_week, hour_of_day, category) ` +
          `TO ${sqlString(built)} (FORMAT parquet, PARTITION_BY (day_of_week), OVERWRITE_OR_IGNORE)`,
      );
    }
    await replaceDirectory(built, parquetDir);
  } catch (err) {
    await fs.rm(built, { recursive: true, force: true });
    throw err;
  }
}
