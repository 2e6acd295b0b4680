// The pipeline's one unit of data: a cell is (day of week, hour of day, category), and an aggregate gives each
// cell its item count. Every stage speaks these types — ingest sums cells, ml trains on them, the cache keys them,
// the API answers them. snake_case names (day_of_week, …) exist only at the edges: the CSV columns below and the
// HTTP schemas. Here, at the bottom, so no stage has to import another to agree on what a cell is.

export const DAYS = 7;
export const HOURS = 24;

/** Which cell: what a prediction is asked for. */
export interface CellAddress {
  /** 0 = Sunday … 6, as order_dow in the input. */
  day: number;
  hour: number;
  category: string;
}

/** A cell of an aggregate: how many items were ordered in it. */
export interface Cell extends CellAddress {
  items: number;
}

/** The aggregate CSV's columns, in order (the original Spark job's output). */
export const AGGREGATE_COLUMNS = ['day_of_week', 'hour_of_day', 'category', 'items_count'] as const;

/**
 * The one key of a cell: `{day}:{hour}:{category}`, the original system's Redis key (a user runs
 * `GET "0:9:fresh fruits"` in redis-cli) and the key of every in-memory map of cells. Unambiguous although a
 * category may hold ':' — day and hour are digits.
 */
export const cellKey = (cell: CellAddress): string => `${cell.day}:${cell.hour}:${cell.category}`;

/** Output order: day, hour, then category in code-unit order (as Python's sorted()). */
function compareCells(a: CellAddress, b: CellAddress): number {
  return a.day - b.day || a.hour - b.hour || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0);
}

/** Adds up any number of cell lists; returns positive cells in output order. */
export function sumCells(parts: Iterable<readonly Cell[]>): Cell[] {
  const totals = new Map<string, Cell>();
  for (const cells of parts) {
    for (const cell of cells) {
      const key = cellKey(cell);
      const existing = totals.get(key);
      if (existing) existing.items += cell.items;
      else totals.set(key, { ...cell });
    }
  }
  return [...totals.values()].filter((c) => c.items > 0).sort(compareCells);
}

export function totalItems(cells: readonly Cell[]): number {
  let total = 0;
  for (const cell of cells) total += cell.items;
  return total;
}
