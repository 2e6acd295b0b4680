// The columnar row set every learner trains on: integer-coded day (0–6), hour (0–23), category index, target.
// Typed arrays only; subsets are copied once per split or fold, never per tree node.

export interface Rows {
  readonly length: number;
  readonly day: Uint8Array;
  readonly hour: Uint8Array;
  readonly cat: Uint16Array;
  readonly y: Float64Array;
  /** Number of categories (category indexes are 0 … categoryCount − 1). */
  readonly categoryCount: number;
}

export function allocateRows(length: number, categoryCount: number): Rows {
  return {
    length,
    day: new Uint8Array(length),
    hour: new Uint8Array(length),
    cat: new Uint16Array(length),
    y: new Float64Array(length),
    categoryCount,
  };
}

/** The rows at `indexes`, copied into fresh arrays. */
export function selectRows(rows: Rows, indexes: ArrayLike<number>): Rows {
  const out = allocateRows(indexes.length, rows.categoryCount);
  for (let i = 0; i < indexes.length; i++) {
    const r = indexes[i];
    out.day[i] = rows.day[r];
    out.hour[i] = rows.hour[r];
    out.cat[i] = rows.cat[r];
    out.y[i] = rows.y[r];
  }
  return out;
}
