// Prediction for one tree or a forest: all trees concatenated into one set of flat arrays, averaged.
// Categories are mapped through a rank table (the order the trees split on) before the walk.
import { InputError } from '../base/errors.js';
import type { Algorithm, Regressor } from './model.js';

import { treeFromJson, treeToJson, type TreeJson, type TreeNodes } from './tree.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface EnsembleState {
  categoryRank: number[];
  trees: TreeJson[];
}

export class TreeEnsemble implements Regressor {
  private readonly roots: Int32Array;
  private readonly feature: Int8Array;
  private readonly threshold: Uint16Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly value: Float64Array;

  constructor(
    readonly algorithm: Algorithm,
    private readonly trees: readonly TreeNodes[],
    private readonly categoryRank: Uint16Array,
  ) {
    const total = trees.reduce((n, t) => n + t.feature.length, 0);
    this.roots = new Int32Array(trees.length);
    this.feature = new Int8Array(total);
    this.threshold = new Uint16Array(total);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.value = new Float64Array(total);
    let offset = 0;
    trees.forEach((t, i) => {
      this.roots[i] = offset;
      this.feature.set(t.feature, offset);
      this.threshold.set(t.threshold, offset);
      this.value.set(t.value, offset);
      for (let j = 0; j < t.feature.length; j++) {
        this.left[offset + j] = t.left[j] + offset;
        this.right[offset + j] = t.right[j] + offset;
      }
      offset += t.feature.length;
    });
  }

  predict(day: number, hour: number, category: number): number {
    const rank = this.categoryRank[category];
    const { feature, threshold, left, right, value, roots } = this;
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      let f = feature[node];
      while (f >= 0) {
        const v = f === 0 ? day : f === 1 ? hour : rank;
        node = v <= threshold[node] ? left[node] : right[node];
        f = feature[node];
      }
      sum += value[node];
    }
    return sum / roots.length;
  }

  /**
   * Every cell at once: each leaf of a tree covers a box of (day, hour, category rank) ranges, so a tree adds its
   * leaf values box by box — one write per cell per tree instead of a root-to-leaf walk per cell.
   */
  predictGrid(): Float64Array {
    const c = this.categoryRank.length;
    const grid = new Float64Array(DAYS * HOURS * c);
    const byRank = new Int32Array(c);
    for (let k = 0; k < c; k++) byRank[this.categoryRank[k]] = k;
    const { feature, threshold, left, right, value } = this;
    const lo = [0, 0, 0];
    const hi = [DAYS - 1, HOURS - 1, c - 1];
    const visit = (node: number): void => {
      const f = feature[node];
      if (f < 0) {
        const v = value[node];
        for (let d = lo[0]; d <= hi[0]; d++)
          for (let h = lo[1]; h <= hi[1]; h++) {
            const base = (d * HOURS + h) * c;
            for (let r = lo[2]; r <= hi[2]; r++) grid[base + byRank[r]] += v;
          }
        return;
      }
      const t = threshold[node];
      const savedLo = lo[f];
      const savedHi = hi[f];
      if (savedLo <= t) {
        hi[f] = Math.min(savedHi, t);
        visit(left[node]);
        hi[f] = savedHi;
      }
      if (savedHi > t) {
        lo[f] = Math.max(savedLo, t + 1);
        visit(right[node]);
        lo[f] = savedLo;
      }
    };
    for (let t = 0; t < this.roots.length; t++) visit(this.roots[t]);
    for (let i = 0; i < grid.length; i++) grid[i] /= this.roots.length;
    return grid;
  }

  state(): EnsembleState {
    return { categoryRank: Array.from(this.categoryRank), trees: this.trees.map(treeToJson) };
  }

  static restore(algorithm: Algorithm, raw: unknown, categoryCount: number): TreeEnsemble {
    const s = raw as Partial<EnsembleState> | null;
    if (
      !s ||
      !Array.isArray(s.categoryRank) ||
      s.categoryRank.length !== categoryCount ||
      !Array.isArray(s.trees)
    ) {
      throw new InputError(`${algorithm} artifact: expected categoryRank[${categoryCount}] and trees`);
    }
    const trees = s.trees.map((t) => {
      const tree = treeFromJson(t);
      const n = tree.feature.length;
      if (n === 0 || tree.value.length !== n || tree.left.length !== n || tree.right.length !== n) {
        throw new InputError(`${algorithm} artifact: a tree has inconsistent node arrays`);
      }
      for (let i = 0; i < n; i++) {
        if (
          tree.feature[i] >= 0 &&
          !(tree.left[i] > i && tree.left[i] < n && tree.right[i] > i && tree.right[i] < n)
        ) {
          throw new InputError(`${algorithm} artifact: node ${i} points outside its tree`);
        }
      }
      return tree;
    });
    if (trees.length === 0) throw new InputError(`${algorithm} artifact: no trees`);
    return new TreeEnsemble(algorithm, trees, Uint16Array.from(s.categoryRank));
  }
}
