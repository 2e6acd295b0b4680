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

/**
 * Packs the three features of every row into one interleaved array of histogram slots
 * (day → d, hour → 7 + h, category → 31 + rank), so one pass fills every feature's histogram.
 */
export function packFeatures(features: BinnedFeatures): {
  codes: Uint16Array;
  offsets: Int32Array;
  slots: number;
} {
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
  packed: { codes: Uint16Array; offsets: Int32Array; slots: number },
  binCounts: readonly [number, number, number],
  y: Float64Array,
  weight: Float64Array,
  rowIndexes: Uint32Array,
  growth: TreeGrowth,
  rng: Rng,
): TreeNodes {
  const { codes, offsets, slots } = packed;
  const idx = rowIndexes;
  const wy = new Float64Array(weight.length);
  for (let i = 0; i < idx.length; i++) wy[idx[i]] = weight[idx[i]] * y[idx[i]];
  const featureOrder = new Int8Array([0, 1, 2]);
  const k = Math.min(FEATURE_COUNT, Math.max(1, growth.maxFeatures));
  const depthLimit = Math.min(growth.maxDepth, 4096);

  // Two histogram buffers (weight, weighted sum) per depth: children of a depth-d node live at d + 1.
  const histW: Float64Array[] = [];
  const histS: Float64Array[] = [];
  const buffers = (depth: number): void => {
    while (histW.length <= 2 * depth + 1) {
      histW.push(new Float64Array(slots));
      histS.push(new Float64Array(slots));
    }
  };
  const fill = (hw: Float64Array, hs: Float64Array, start: number, end: number): void => {
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
  };

  let capacity = Math.min(2 * idx.length + 1, 2 ** (Math.min(growth.maxDepth, 20) + 1));
  let nodes: TreeNodes = allocateNodes(capacity);
  let count = 0;
  const newNode = (): number => {
    if (count === capacity) {
      capacity *= 2;
      nodes = growNodes(nodes, capacity);
    }
    return count++;
  };

  const isLeaf = (w: number, depth: number): boolean =>
    depth >= depthLimit || w < growth.minSamplesSplit || w < 2 * growth.minSamplesLeaf;

  /** A node over rows [start, end) with totals (w, s); its histograms when it may split, null when a leaf. */
  const build = (
    start: number,
    end: number,
    depth: number,
    w: number,
    s: number,
    hw: Float64Array | null,
    hs: Float64Array | null,
  ): number => {
    const id = newNode();
    nodes.feature[id] = -1;
    nodes.value[id] = w > 0 ? s / w : 0;
    if (hw === null || hs === null) return id;

    if (k < FEATURE_COUNT) {
      for (let i = 0; i < k; i++) {
        const j = i + rng.int(FEATURE_COUNT - i);
        const tmp = featureOrder[i];
        featureOrder[i] = featureOrder[j];
        featureOrder[j] = tmp;
      }
    }
    const parentScore = (s * s) / w;
    let bestGain = 1e-10 * Math.max(1, parentScore);
    let bestFeature = -1;
    let bestThreshold = 0;
    let bestWl = 0;
    let bestSl = 0;
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
        if (wl < growth.minSamplesLeaf) continue;
        const wr = w - wl;
        if (wr < growth.minSamplesLeaf || wr <= 0) break;
        const sr = s - sl;
        const gain = (sl * sl) / wl + (sr * sr) / wr - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestThreshold = t;
          bestWl = wl;
          bestSl = sl;
        }
      }
    }
    if (bestFeature < 0) return id;

    // Partition [start, end) in place: rows with bin <= threshold first.
    const limit = offsets[bestFeature] + bestThreshold;
    let lo = start;
    let hi = end - 1;
    while (lo <= hi) {
      if (codes[idx[lo] * 3 + bestFeature] <= limit) lo++;
      else {
        const tmp = idx[lo];
        idx[lo] = idx[hi];
        idx[hi] = tmp;
        hi--;
      }
    }
    nodes.feature[id] = bestFeature;
    nodes.threshold[id] = bestThreshold;

    const wl = bestWl;
    const sl = bestSl;
    const needLeft = !isLeaf(wl, depth + 1);
    const needRight = !isLeaf(w - wl, depth + 1);
    let lw: Float64Array | null = null;
    let ls: Float64Array | null = null;
    let rw: Float64Array | null = null;
    let rs: Float64Array | null = null;
    if (needLeft || needRight) {
      buffers(depth + 1);
      lw = histW[2 * depth + 2];
      ls = histS[2 * depth + 2];
      rw = histW[2 * depth + 3];
      rs = histS[2 * depth + 3];
      if (needLeft && needRight) {
        const leftSmaller = lo - start <= end - lo;
        const [sw, ss, bw, bs] = leftSmaller ? [lw, ls, rw, rs] : [rw, rs, lw, ls];
        if (leftSmaller) fill(sw, ss, start, lo);
        else fill(sw, ss, lo, end);
        for (let b = 0; b < slots; b++) {
          bw[b] = hw[b] - sw[b];
          bs[b] = hs[b] - ss[b];
        }
      } else if (needLeft) {
        fill(lw, ls, start, lo);
      } else {
        fill(rw, rs, lo, end);
      }
    }
    const left = build(start, lo, depth + 1, wl, sl, needLeft ? lw : null, needLeft ? ls : null);
    const right = build(lo, end, depth + 1, w - wl, s - sl, needRight ? rw : null, needRight ? rs : null);
    nodes.left[id] = left;
    nodes.right[id] = right;
    return id;
  };

  buffers(0);
  fill(histW[0], histS[0], 0, idx.length);
  let w0 = 0;
  let s0 = 0;
  for (let b = 0; b < binCounts[0]; b++) {
    w0 += histW[0][b];
    s0 += histS[0][b];
  }
  const rootSplits = !isLeaf(w0, 0);
  build(0, idx.length, 0, w0, s0, rootSplits ? histW[0] : null, rootSplits ? histS[0] : null);
  return growNodes(nodes, count);
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
