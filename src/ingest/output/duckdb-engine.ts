// The DuckDB aggregation engine: one in-process DuckDB, opened lazily (a run with nothing to do never
// starts it, nor loads the native module) and closed once. CSV dialect is always passed explicitly: we never
// depend on sniffing.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { OrdersHeader } from '../../data/orders-header.js';
import { sqlIdentifier, sqlString } from './sql.js';

export interface GroupSums {
  day: number;
  hour: number;
  /** The order bucket (order-bucket.ts): md5(order_id)[0] mod 5. */
  bucket: number;
  orders: number;
  /** Items per category, in `header.categories` order. */
  sums: number[];
  /** Σ of squared per-order counts per category, same order. */
  squares: number[];
}

/** md5(order_id)'s first byte mod 5 in SQL, from the hex digest (the scanner computes it on the bytes). */
const BUCKET_SQL =
  "((strpos('0123456789abcdef', substr(md5(order_id), 1, 1)) - 1) * 16 + " +
  "strpos('0123456789abcdef', substr(md5(order_id), 2, 1)) - 1) % 5";

export class DuckDbEngine {
  private instance: DuckDBInstance | undefined;
  private connection: DuckDBConnection | undefined;
  private opening: Promise<DuckDBConnection> | undefined;

  private connect(): Promise<DuckDBConnection> {
    this.opening ??= (async () => {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      this.instance = await DuckDBInstance.create(':memory:');
      this.connection = await this.instance.connect();
      return this.connection;
    })();
    return this.opening;
  }

  /**
   * Starts loading and opening DuckDB in the background, for a caller that will need it after other work
   * (aggregate's scan runs on worker threads meanwhile). A failure surfaces on the first real use.
   */
  warm(): void {
    this.connect().catch(() => {});
  }

  /**
   * read_csv with the validated dialect and explicit column types. Strict mode: a row with more or fewer
   * fields than the header is an error, not silently cut or padded. The line ending is left to DuckDB: an
   * explicit new_line on a file mixing CRLF and LF was measured to return zero rows without an error.
   * Counts are UINTEGER (a negative or non-numeric value is an error). The integer cast would round "3.5"
   * to 4, so this only ever reads files whose rows the exact validator has already checked.
   */
  csvSource(file: string, header: OrdersHeader): string {
    const { index } = header;
    const types = header.columns.map((name, i) => {
      const type =
        i === index.order_id
          ? 'VARCHAR'
          : i === index.order_dow || i === index.order_hour_of_day || i === index.days_since_prior_order
            ? 'DOUBLE'
            : 'UINTEGER';
      return `${sqlString(name)}: '${type}'`;
    });
    return (
      `read_csv(${sqlString(file)}, header = true, delim = ',', quote = '"', escape = '"', ` +
      `auto_detect = false, strict_mode = true, null_padding = false, columns = {${types.join(', ')}})`
    );
  }

  /** Sums (and sums of squares) of every category per (order_dow, order_hour_of_day, order bucket) of an already validated file. */
  async groupSums(file: string, header: OrdersHeader): Promise<GroupSums[]> {
    const connection = await this.connect();
    const sums = header.categories.map((name) => `sum(${sqlIdentifier(name)})::BIGINT`);
    const squares = header.categories.map(
      (name) => `sum(${sqlIdentifier(name)}::BIGINT * ${sqlIdentifier(name)}::BIGINT)::BIGINT`,
    );
    const width = header.categories.length;
    const sql =
      `SELECT order_dow, order_hour_of_day, ${BUCKET_SQL} AS bucket, count(*)::BIGINT, ` +
      `${[...sums, ...squares].join(', ')} FROM ${this.csvSource(file, header)} GROUP BY ALL`;
    const reader = await connection.runAndReadAll(sql);
    return reader.getRows().map((row) => ({
      day: Number(row[0]),
      hour: Number(row[1]),
      bucket: Number(row[2]),
      orders: Number(row[3]),
      sums: row.slice(4, 4 + width).map((v) => Number(v ?? 0)),
      squares: row.slice(4 + width).map((v) => Number(v ?? 0)),
    }));
  }

  async run(sql: string): Promise<void> {
    const connection = await this.connect();
    await connection.run(sql);
  }

  close(): void {
    const opening = this.opening;
    if (this.connection) {
      this.connection.closeSync();
      this.instance?.closeSync();
    } else if (opening) {
      // Closed while still opening (a run that failed before it needed DuckDB): close once it is open.
      opening.then(() => this.close()).catch(() => {});
      return;
    }
    this.connection = undefined;
    this.instance = undefined;
    this.opening = undefined;
  }
}
