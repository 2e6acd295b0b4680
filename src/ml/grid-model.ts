// A model that is its prediction grid: the count models fit the whole day × hour × category grid at once, so what
// they learned is one value per cell (index (day × 24 + hour) × C + category) plus a few figures worth keeping
// in the registry (`info`: estimated shrinkage, averaging weights). Restoring checks the grid's size.
import { InputError } from '../base/errors.js';
import type { Algorithm, Regressor } from './model.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface GridState {
  grid: number[];
  /** What the fit estimated, for the registry and the curious. */
  info: Record<string, number>;
}

export class GridModel implements Regressor {
  constructor(
    readonly algorithm: Algorithm,
    private readonly values: Float64Array,
    private readonly categories: number,
    private readonly info: Record<string, number>,
  ) {}
  predict(day: number, hour: number, category: number): number {
    return this.values[(day * HOURS + hour) * this.categories + category];
  }
  predictGrid(): Float64Array {
    return this.values.slice();
  }
  state(): GridState {
    return { grid: Array.from(this.values), info: this.info };
  }
  static restore(algorithm: Algorithm, raw: unknown, categoryCount: number): GridModel {
    const s = raw as Partial<GridState> | null;
    const size = DAYS * HOURS * categoryCount;
    if (!s || !Array.isArray(s.grid) || s.grid.length !== size || typeof s.info !== 'object' || !s.info)
      throw new InputError(`${algorithm} artifact: expected a grid of ${size} values and its info`);
    return new GridModel(algorithm, Float64Array.from(s.grid), categoryCount, s.info);
  }
}
