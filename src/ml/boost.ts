// Poisson gradient boosting over the day × hour × category grid: log μ = log base + Σ trees. Each tree is grown
// by Newton steps on the Poisson deviance (gradient μ − y, hessian μ) from histograms of (G, H) per bin. Day and
// hour are ordered (a split is a threshold); category is unordered: at each node its bins are sorted by G/(H + λ)
// and split by threshold in that order, the best binary partition for a convex loss (what LightGBM does for
// categorical features — and what lets one split set the breakfast aisles apart without one-hot columns). A
// node's histogram is filled from the smaller child and the larger one's is the parent's minus it. Leaves are
// −G/(H + λ), clipped to ±maxDelta (a leaf of few items must not multiply a rate by e⁵), times the learning rate.
// The grid is small (168 × C cells): every tree is applied to every cell while it grows (the cells follow the
// same splits as the rows), so the result is the boosted grid and no tree has to be kept.
import { type Rows } from './rows.js';
import { DAYS, HOURS } from '../base/cell.js';

export interface BoostGrowth {
  /** Trees added to the base. */
  trees: number;
  learningRate: number;
  /** Depth of each tree (root = 0). */
  maxDepth: number;
  /** Each child of a split keeps at least this much hessian (≈ predicted items). */
  minHessian: number;
  /** L2 penalty on leaf values, in hessian units. */
  lambda: number;
  /** Largest |leaf| before the learning rate. */
  maxDelta: number;
}

const FEATURES = 3;

interface Work {
  g: Float64Array;
  h: Float64Array;
  /** Histogram slots: day 0–6, hour 7–30, category 31 … 31 + C − 1; two buffers (G, H) per depth and side. */
  histG: Float64Array[];
  histH: Float64Array[];
  idx: Uint32Array;
  codes: Uint16Array;
  step: Float64Array;
  order: Int32Array;
  ratio: Float64Array;
  left: Uint8Array;
  /** The grid's cells, partitioned along with the rows, and their codes and step. */
  cellIdx: Uint32Array;
  cellCodes: Uint16Array;
  cellStep: Float64Array;
}

const OFFSETS = [0, DAYS, DAYS + HOURS] as const;

/**
 * Boosts a base model: `base` is its prediction per row of `rows` (cells with their item counts), `gridBase` per
 * cell of the grid (index (day × 24 + hour) × C + category); returns the boosted grid. A base of 0 is treated as
 * a tiny rate.
 */
export function boostPoisson(
  rows: Rows,
  base: Float64Array,
  gridBase: Float64Array,
  growth: BoostGrowth,
): Float64Array {
  const n = rows.length;
  const C = Math.max(rows.categoryCount, 1);
  const slots = DAYS + HOURS + C;
  const codes = new Uint16Array(n * FEATURES);
  for (let i = 0; i < n; i++) {
    codes[i * 3] = rows.day[i];
    codes[i * 3 + 1] = DAYS + rows.hour[i];
    codes[i * 3 + 2] = DAYS + HOURS + rows.cat[i];
  }
  // Rows that are the grid itself, in grid order (training in grid mode): the cells need no second walk.
  let isGrid = n === DAYS * HOURS * C;
  for (let i = 0; isGrid && i < n; i++) isGrid = (rows.day[i] * HOURS + rows.hour[i]) * C + rows.cat[i] === i;
  const cells = isGrid ? 0 : DAYS * HOURS * C;
  const cellCodes = new Uint16Array(cells * FEATURES);
  for (let c = 0; c < cells; c++) {
    cellCodes[c * 3] = Math.floor(c / (HOURS * C));
    cellCodes[c * 3 + 1] = DAYS + (Math.floor(c / C) % HOURS);
    cellCodes[c * 3 + 2] = DAYS + HOURS + (c % C);
  }
  const buffers = 2 * (growth.maxDepth + 1);
  const w: Work = {
    g: new Float64Array(n),
    h: new Float64Array(n),
    histG: Array.from({ length: buffers }, () => new Float64Array(slots)),
    histH: Array.from({ length: buffers }, () => new Float64Array(slots)),
    idx: new Uint32Array(n),
    codes,
    step: new Float64Array(n),
    order: new Int32Array(C),
    ratio: new Float64Array(C),
    left: new Uint8Array(slots),
    cellIdx: new Uint32Array(cells),
    cellCodes,
    cellStep: new Float64Array(cells),
  };
  const F = new Float64Array(n);
  for (let i = 0; i < n; i++) F[i] = Math.log(Math.max(base[i], 1e-6));
  const FG = new Float64Array(cells);
  for (let c = 0; c < cells; c++) FG[c] = Math.log(Math.max(gridBase[c], 1e-6));
  for (let t = 0; t < growth.trees; t++) {
    for (let i = 0; i < n; i++) {
      const mu = Math.exp(F[i]);
      w.g[i] = mu - rows.y[i];
      w.h[i] = mu;
      w.idx[i] = i;
    }
    for (let c = 0; c < cells; c++) w.cellIdx[c] = c;
    fill(w, 0, 0, n);
    const root = totals(w.histG[0], w.histH[0]);
    growNode(w, growth, C, { start: 0, end: n, cellStart: 0, cellEnd: cells }, 0, 0, root.G, root.H);
    for (let i = 0; i < n; i++) F[i] += w.step[i];
    for (let c = 0; c < cells; c++) FG[c] += w.cellStep[c];
  }
  return (isGrid ? F : FG).map(Math.exp);
}

/** Partitions idx[start, end) so the entries whose code of feature f is marked in `left` come first. */
function partition(
  idx: Uint32Array,
  codes: Uint16Array,
  left: Uint8Array,
  f: number,
  start: number,
  end: number,
): number {
  let lo = start;
  let hi = end - 1;
  while (lo <= hi) {
    if (left[codes[idx[lo] * 3 + f]]) lo++;
    else {
      const tmp = idx[lo];
      idx[lo] = idx[hi];
      idx[hi--] = tmp;
    }
  }
  return lo;
}

/** A node: its rows idx[start, end) and its grid cells cellIdx[cellStart, cellEnd). */
interface Segment {
  start: number;
  end: number;
  cellStart: number;
  cellEnd: number;
}

function totals(hg: Float64Array, hh: Float64Array): { G: number; H: number } {
  let G = 0;
  let H = 0;
  for (let b = 0; b < DAYS; b++) {
    G += hg[b];
    H += hh[b];
  }
  return { G, H };
}

function fill(w: Work, buffer: number, start: number, end: number): void {
  const hg = w.histG[buffer];
  const hh = w.histH[buffer];
  hg.fill(0);
  hh.fill(0);
  const { idx, codes, g, h } = w;
  for (let k = start; k < end; k++) {
    const r = idx[k];
    const gr = g[r];
    const hr = h[r];
    const c = r * 3;
    hg[codes[c]] += gr;
    hh[codes[c]] += hr;
    hg[codes[c + 1]] += gr;
    hh[codes[c + 1]] += hr;
    hg[codes[c + 2]] += gr;
    hh[codes[c + 2]] += hr;
  }
}

interface Split {
  gain: number;
  feature: number;
  /** Slots going left are marked in work.left. */
  G: number;
  H: number;
}

/** Best split of the node whose histograms are in `buffer`; marks the left slots in w.left. */
function bestSplit(w: Work, growth: BoostGrowth, C: number, buffer: number, G: number, H: number): Split {
  const hg = w.histG[buffer];
  const hh = w.histH[buffer];
  const lambda = growth.lambda;
  const parent = (G * G) / (H + lambda);
  const best: Split = { gain: 1e-9, feature: -1, G: 0, H: 0 };
  let bestCut = -1;
  const scan = (feature: number, m: number, slotAt: (k: number) => number): void => {
    let gl = 0;
    let hl = 0;
    for (let k = 0; k < m - 1; k++) {
      const s = slotAt(k);
      gl += hg[s];
      hl += hh[s];
      const hr = H - hl;
      if (hl < growth.minHessian) continue;
      if (hr < growth.minHessian) break;
      const gr = G - gl;
      const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
      if (gain > best.gain) {
        best.gain = gain;
        best.feature = feature;
        best.G = gl;
        best.H = hl;
        bestCut = k;
      }
    }
  };
  scan(0, DAYS, (k) => k);
  const day = { feature: best.feature, cut: bestCut };
  scan(1, HOURS, (k) => DAYS + k);
  const hour = { feature: best.feature, cut: bestCut };
  // Categories by gradient ratio; bins without hessian (no rows here) sort last and go right.
  const { order, ratio } = w;
  const cat0 = DAYS + HOURS;
  for (let c = 0; c < C; c++) {
    order[c] = c;
    ratio[c] = hh[cat0 + c] > 0 ? hg[cat0 + c] / (hh[cat0 + c] + lambda) : Number.POSITIVE_INFINITY;
  }
  const sorted = order.subarray(0, C).sort((a, b) => ratio[a] - ratio[b]);
  scan(2, C, (k) => cat0 + sorted[k]);
  w.left.fill(0);
  if (best.feature === 2) for (let k = 0; k <= bestCut; k++) w.left[cat0 + sorted[k]] = 1;
  else if (best.feature >= 0) {
    const cut = best.feature === 1 ? hour.cut : day.cut;
    for (let k = 0; k <= cut; k++) w.left[OFFSETS[best.feature] + k] = 1;
  }
  return best;
}

function growNode(
  w: Work,
  growth: BoostGrowth,
  C: number,
  seg: Segment,
  depth: number,
  buffer: number,
  G: number,
  H: number,
): void {
  const split =
    depth < growth.maxDepth && H >= 2 * growth.minHessian ? bestSplit(w, growth, C, buffer, G, H) : null;
  if (!split || split.feature < 0) {
    const v = Math.max(-growth.maxDelta, Math.min(growth.maxDelta, -G / (H + growth.lambda)));
    const step = v * growth.learningRate;
    for (let k = seg.start; k < seg.end; k++) w.step[w.idx[k]] = step;
    for (let k = seg.cellStart; k < seg.cellEnd; k++) w.cellStep[w.cellIdx[k]] = step;
    return;
  }
  const { start, end } = seg;
  const lo = partition(w.idx, w.codes, w.left, split.feature, start, end);
  const cellMid = partition(w.cellIdx, w.cellCodes, w.left, split.feature, seg.cellStart, seg.cellEnd);
  // Children's histograms: the smaller side filled, the larger = parent − smaller.
  const lb = 2 * (depth + 1);
  const rb = lb + 1;
  if (depth + 1 < growth.maxDepth) {
    const leftSmaller = lo - start <= end - lo;
    const [small, large] = leftSmaller ? [lb, rb] : [rb, lb];
    if (leftSmaller) fill(w, small, start, lo);
    else fill(w, small, lo, end);
    const pg = w.histG[buffer];
    const ph = w.histH[buffer];
    const sg = w.histG[small];
    const sh = w.histH[small];
    const bg = w.histG[large];
    const bh = w.histH[large];
    for (let s = 0; s < pg.length; s++) {
      bg[s] = pg[s] - sg[s];
      bh[s] = ph[s] - sh[s];
    }
  }
  const leftSeg = { start, end: lo, cellStart: seg.cellStart, cellEnd: cellMid };
  const rightSeg = { start: lo, end, cellStart: cellMid, cellEnd: seg.cellEnd };
  growNode(w, growth, C, leftSeg, depth + 1, lb, split.G, split.H);
  growNode(w, growth, C, rightSeg, depth + 1, rb, G - split.G, H - split.H);
}
