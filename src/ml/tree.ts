// CART regression trees grown by histogram split search over integer-coded features.
// Features are small integers (day 0–6, hour 0–23, category rank 0–C−1), so a node's best split comes from one
// pass over its rows filling per-feature histograms (weight, weighted sum) and one scan over the bins.
// Rows live in one index array partitioned in place: a node is a segment [start, end) of it, never a copy.
// Nodes are stored flat (typed arrays); a bin `v` goes left when v <= threshold.
import type { Rng } from './random.js';

const FEATURE_COUNT = 3;

/** Binned training features: bins[f][row] in 0 … binCounts[f] − 1. */
export interface BinnedFeatures {
  bins: readonly [Uint8Array | Uint16Array, Uint8Array | Uint16Array, Uint8Array | Uint16Array];
  binCounts: readonly [number, number, number];
}

export interface TreeGrowth {
  /** Deepest level grown (root = 0). */
  maxDepth: number;
  /** A node with fewer (weighted) samples is a leaf. */
  minSamplesSplit: number;
  /** Each child of a split keeps at least this many (weighted) samples. */
  minSamplesLeaf: number;
  /** Features drawn at random per split (1–3); 3 considers every feature. */
  maxFeatures: number;
}

/** A grown tree: node i is a leaf when feature[i] < 0, otherwise it tests bins[feature[i]] <= threshold[i]. */
export interface TreeNodes {
  feature: Int8Array;
  threshold: Uint16Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

/** The packed features of `packFeatures`: per row three histogram slots, and where each feature starts. */
type PackedFeatures = { codes: Uint16Array; offsets: Int32Array; slots: number };

/**
 * Packs the three features of every row into one interleaved array of histogram slots
 * (day → d, hour → 7 + h, category → 31 + rank), so one pass fills every feature's histogram.
 */
export function packFeatures(features: BinnedFeatures): PackedFeatures {
  const [b0, b1, b2] = features.bins;
  const [n0, n1, n2] = features.binCounts;
  const n = b0.length;
  const codes = new Uint16Array(n * FEATURE_COUNT);
  for (let r = 0; r < n; r++) {
    codes[r * 3] = b0[r];
    codes[r * 3 + 1] = n0 + b1[r];
    codes[r * 3 + 2] = n0 + n1 + b2[r];
  }
  return { codes, offsets: Int32Array.from([0, n0, n0 + n1]), slots: n0 + n1 + n2 };
}

/**
 * Grows one tree on the rows listed in `rowIndexes` (each with a weight, e.g. a bootstrap count).
 * `rowIndexes` is reordered in place. Each node's histogram is either filled from its rows (the smaller child)
 * or derived as parent − sibling (the larger child), so a level costs about half a pass over its rows.
 */
export function growTree(
  packed: PackedFeatures,
  binCounts: readonly [number, number, number],
  y: Float64Array,
  weight: Float64Array,
  rowIndexes: Uint32Array,
  growth: TreeGrowth,
  rng: Rng,
): TreeNodes {
  return new TreeGrower(packed, binCounts, y, weight, rowIndexes, growth, rng).grow();
}

/**
 * The state of one tree's growth: the row segments, two histogram buffers per depth, the flat node arrays,
 * and the best split found for the node at hand (fields, so the search allocates nothing per node).
 */
class TreeGrower {
  private readonly codes: Uint16Array;
  private readonly offsets: Int32Array;
  private readonly slots: number;
  private readonly idx: Uint32Array;
  /** weight × y per row, so a histogram pass reads one value per row for the sums. */
  private readonly wy: Float64Array;
  private readonly featureOrder = new Int8Array([0, 1, 2]);
  /** Features tried per split. */
  private readonly k: number;
  private readonly depthLimit: number;
  /** Histograms (weight, weighted sum) per depth: children of a depth-d node live at 2d + 2 and 2d + 3. */
  private readonly histW: Float64Array[] = [];
  private readonly histS: Float64Array[] = [];
  private nodes: TreeNodes;
  private capacity: number;
  private count = 0;
  private bestFeature = -1;
  private bestThreshold = 0;
  private bestWl = 0;
  private bestSl = 0;

  constructor(
    packed: PackedFeatures,
    private readonly binCounts: readonly [number, number, number],
    y: Float64Array,
    private readonly weight: Float64Array,
    rowIndexes: Uint32Array,
    private readonly growth: TreeGrowth,
    private readonly rng: Rng,
  ) {
    this.codes = packed.codes;
    this.offsets = packed.offsets;
    this.slots = packed.slots;
    this.idx = rowIndexes;
    const idx = rowIndexes;
    this.wy = new Float64Array(weight.length);
    for (let i = 0; i < idx.length; i++) this.wy[idx[i]] = weight[idx[i]] * y[idx[i]];
    this.k = Math.min(FEATURE_COUNT, Math.max(1, growth.maxFeatures));
    this.depthLimit = Math.min(growth.maxDepth, 4096);
    this.capacity = Math.min(2 * idx.length + 1, 2 ** (Math.min(growth.maxDepth, 20) + 1));
    this.nodes = allocateNodes(this.capacity);
  }

  grow(): TreeNodes {
    const { histW, histS, idx } = this;
    this.buffers(0);
    this.fill(histW[0], histS[0], 0, idx.length);
    let w0 = 0;
    let s0 = 0;
    for (let b = 0; b < this.binCounts[0]; b++) {
      w0 += histW[0][b];
      s0 += histS[0][b];
    }
    const rootSplits = !this.isLeaf(w0, 0);
    this.build(0, idx.length, 0, w0, s0, rootSplits ? histW[0] : null, rootSplits ? histS[0] : null);
    return growNodes(this.nodes, this.count);
  }

  private buffers(depth: number): void {
    while (this.histW.length <= 2 * depth + 1) {
      this.histW.push(new Float64Array(this.slots));
      this.histS.push(new Float64Array(this.slots));
    }
  }

  /** The histograms of rows [start, end), from scratch. */
  private fill(hw: Float64Array, hs: Float64Array, start: number, end: number): void {
    const { idx, weight, wy, codes } = this;
    hw.fill(0);
    hs.fill(0);
    for (let i = start; i < end; i++) {
      const r = idx[i];
      const w = weight[r];
      const s = wy[r];
      const c = r * 3;
      hw[codes[c]] += w;
      hs[codes[c]] += s;
      hw[codes[c + 1]] += w;
      hs[codes[c + 1]] += s;
      hw[codes[c + 2]] += w;
      hs[codes[c + 2]] += s;
    }
  }

  private newNode(): number {
    if (this.count === this.capacity) {
      this.capacity *= 2;
      this.nodes = growNodes(this.nodes, this.capacity);
    }
    return this.count++;
  }

  private isLeaf(w: number, depth: number): boolean {
    const { growth } = this;
    return depth >= this.depthLimit || w < growth.minSamplesSplit || w < 2 * growth.minSamplesLeaf;
  }

  /** Puts k features drawn at random first in `featureOrder` (all three: no draw). */
  private drawFeatures(): void {
    const { k, featureOrder } = this;
    if (k >= FEATURE_COUNT) return;
    for (let i = 0; i < k; i++) {
      const j = i + this.rng.int(FEATURE_COUNT - i);
      const tmp = featureOrder[i];
      featureOrder[i] = featureOrder[j];
      featureOrder[j] = tmp;
    }
  }

  /** The best split of a node with totals (w, s) into best*; false when no split gains enough. */
  private findBestSplit(hw: Float64Array, hs: Float64Array, w: number, s: number): boolean {
    const { k, featureOrder, offsets, binCounts } = this;
    const minLeaf = this.growth.minSamplesLeaf;
    const parentScore = (s * s) / w;
    let bestGain = 1e-10 * Math.max(1, parentScore);
    this.bestFeature = -1;
    for (let fi = 0; fi < k; fi++) {
      const f = featureOrder[fi];
      const base = offsets[f];
      let wl = 0;
      let sl = 0;
      for (let t = 0; t < binCounts[f] - 1; t++) {
        const cw = hw[base + t];
        if (cw === 0) continue;
        wl += cw;
        sl += hs[base + t];
        if (wl < minLeaf) continue;
        const wr = w - wl;
        if (wr < minLeaf || wr <= 0) break;
        const sr = s - sl;
        const gain = (sl * sl) / wl + (sr * sr) / wr - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          this.bestFeature = f;
          this.bestThreshold = t;
          this.bestWl = wl;
          this.bestSl = sl;
        }
      }
    }
    return this.bestFeature >= 0;
  }

  /** Partitions [start, end) in place, rows with bin <= threshold of `feature` first; returns where the right starts. */
  private partition(start: number, end: number, feature: number, threshold: number): number {
    const { idx, codes } = this;
    const limit = this.offsets[feature] + threshold;
    let lo = start;
    let hi = end - 1;
    while (lo <= hi) {
      if (codes[idx[lo] * 3 + feature] <= limit) lo++;
      else {
        const tmp = idx[lo];
        idx[lo] = idx[hi];
        idx[hi] = tmp;
        hi--;
      }
    }
    return lo;
  }

  /**
   * Fills the children's histograms at `depth` (the children's depth) for those that may split: the smaller
   * child from its rows, the larger as parent − smaller.
   */
  private childHistograms(
    hw: Float64Array,
    hs: Float64Array,
    depth: number,
    [start, mid, end]: readonly [number, number, number],
    needLeft: boolean,
    needRight: boolean,
  ): void {
    this.buffers(depth);
    const lw = this.histW[2 * depth];
    const ls = this.histS[2 * depth];
    const rw = this.histW[2 * depth + 1];
    const rs = this.histS[2 * depth + 1];
    if (needLeft && needRight) {
      const leftSmaller = mid - start <= end - mid;
      const [sw, ss, bw, bs] = leftSmaller ? [lw, ls, rw, rs] : [rw, rs, lw, ls];
      if (leftSmaller) this.fill(sw, ss, start, mid);
      else this.fill(sw, ss, mid, end);
      for (let b = 0; b < this.slots; b++) {
        bw[b] = hw[b] - sw[b];
        bs[b] = hs[b] - ss[b];
      }
    } else if (needLeft) {
      this.fill(lw, ls, start, mid);
    } else {
      this.fill(rw, rs, mid, end);
    }
  }

  /** A node over rows [start, end) with totals (w, s); its histograms when it may split, null when a leaf. */
  private build(
    start: number,
    end: number,
    depth: number,
    w: number,
    s: number,
    hw: Float64Array | null,
    hs: Float64Array | null,
  ): number {
    const id = this.newNode();
    this.nodes.feature[id] = -1;
    this.nodes.value[id] = w > 0 ? s / w : 0;
    if (hw === null || hs === null) return id;
    this.drawFeatures();
    if (!this.findBestSplit(hw, hs, w, s)) return id;
    const { bestFeature, bestThreshold, bestWl: wl, bestSl: sl } = this;
    const mid = this.partition(start, end, bestFeature, bestThreshold);
    this.nodes.feature[id] = bestFeature;
    this.nodes.threshold[id] = bestThreshold;

    const child = depth + 1;
    const needLeft = !this.isLeaf(wl, child);
    const needRight = !this.isLeaf(w - wl, child);
    if (needLeft || needRight) this.childHistograms(hw, hs, child, [start, mid, end], needLeft, needRight);
    const { histW, histS } = this;
    const left = this.build(
      start,
      mid,
      child,
      wl,
      sl,
      needLeft ? histW[2 * child] : null,
      needLeft ? histS[2 * child] : null,
    );
    const right = this.build(
      mid,
      end,
      child,
      w - wl,
      s - sl,
      needRight ? histW[2 * child + 1] : null,
      needRight ? histS[2 * child + 1] : null,
    );
    this.nodes.left[id] = left;
    this.nodes.right[id] = right;
    return id;
  }
}

function allocateNodes(n: number): TreeNodes {
  return {
    feature: new Int8Array(n),
    threshold: new Uint16Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
    value: new Float64Array(n),
  };
}

/** A copy of `nodes` resized to `n` entries (grows or trims). */
function growNodes(nodes: TreeNodes, n: number): TreeNodes {
  const out = allocateNodes(n);
  const m = Math.min(n, nodes.feature.length);
  out.feature.set(nodes.feature.subarray(0, m));
  out.threshold.set(nodes.threshold.subarray(0, m));
  out.left.set(nodes.left.subarray(0, m));
  out.right.set(nodes.right.subarray(0, m));
  out.value.set(nodes.value.subarray(0, m));
  return out;
}

/** Serializable form of a tree (plain arrays). */
export interface TreeJson {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export function treeToJson(t: TreeNodes): TreeJson {
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from(t.value),
  };
}

export function treeFromJson(j: TreeJson): TreeNodes {
  return {
    feature: Int8Array.from(j.feature),
    threshold: Uint16Array.from(j.threshold),
    left: Int32Array.from(j.left),
    right: Int32Array.from(j.right),
    value: Float64Array.from(j.value),
  };
}
