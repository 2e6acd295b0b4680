// An aggregate is a list of cells: items per (day_of_week, hour_of_day, category). Partials from many
// files add up; the output keeps cells with items > 0, sorted by day, hour, category.

export interface Cell {
  day: number;
  hour: number;
  category: string;
  items: number;
}

function compareCells(a: Cell, b: Cell): number {
  return a.day - b.day || a.hour - b.hour || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0);
}

/** Adds up any number of cell lists; returns positive cells in output order. */
export function sumCells(parts: Iterable<readonly Cell[]>): Cell[] {
  const totals = new Map<string, Cell>();
  for (const cells of parts) {
    for (const cell of cells) {
      const key = `${cell.day}\u0000${cell.hour}\u0000${cell.category}`;
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
