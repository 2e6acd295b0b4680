// bench:models, real-data section: every orderflow candidate and every peer scored by K-fold over ORDER folds of a
// real wide orders file (default /work/shared/data/real-orders-train.csv), on the very same folds. Two fold rules:
// `buckets` — fold = md5(order_id)[0] mod 5, orderflow's order bucket (what `train --folds 5` sees; on the shared
// file bucket 0 is empty, it being the training side of a bucket-0 split, so 4 folds), and `md5[1]` —
// fold = md5(order_id)[1] mod 5, five non-empty folds. Per model: mean RMSE ± sd over the folds, the distance of
// the mean to the mean noise floor, and train ms; then whether orderflow's chosen model beats every peer and how
// its distance to the floor compares with LightGBM-Poisson's, and the 10–90 % interval coverage on the held-out
// orders of every fold.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dispersionOf, foldCoverage } from '../src/ml/intervals.js';
import { evaluateByOrders, withDispersion } from '../src/ml/order-evaluation.js';
import { readWideOrders } from './real-orders.js';

export interface RealRow {
  model: string;
  /** Per-fold RMSE, fold order. */
  folds: number[];
  trainMs: number | null;
}

export interface RealSection {
  rule: string;
  rows: RealRow[];
  floors: number[];
  peerFloors: number[] | null;
  chosen: string;
  coverage: ReturnType<typeof foldCoverage>;
}

const PEER_SCRIPT = path.join(import.meta.dirname, 'peers', 'order_kfold_quality.py');

const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a: readonly number[]): number => {
  const m = mean(a);
  return a.length > 1 ? Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1)) : 0;
};

function peerRows(python: string, file: string, byte: number): { rows: RealRow[]; floors: number[] } {
  const run = spawnSync(python, [PEER_SCRIPT, file, String(byte)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`peer script failed: ${run.stderr}`);
  const byModel = new Map<string, RealRow>();
  const floors: number[] = [];
  for (const line of run.stdout.split('\n')) {
    const f = /^fold \d+ orders train \d+ test \d+ floor ([\d.]+)/.exec(line);
    if (f) floors.push(Number(f[1]));
    const m = /^fold \d+ (\S+) rmse ([\d.]+) train_ms (\d+)/.exec(line);
    if (!m) continue;
    const name = m[1] === 'independence' ? 'peer independence (d*h × c)' : `peer ${m[1]}`;
    const row = byModel.get(name) ?? { model: name, folds: [], trainMs: 0 };
    row.folds.push(Number(m[2]));
    row.trainMs = m[1] === 'independence' ? null : (row.trainMs ?? 0) + Number(m[3]);
    byModel.set(name, row);
  }
  for (const row of byModel.values()) if (row.trainMs !== null) row.trainMs /= row.folds.length;
  return { rows: [...byModel.values()], floors };
}

export function realSection(file: string, byte: number, python: string | null): RealSection {
  const { set, holdout } = readWideOrders(file, byte);
  const ev = evaluateByOrders(
    set,
    holdout,
    withDispersion({ split: 'random', folds: 5, seed: 42 }, dispersionOf(holdout)),
  );
  const rows: RealRow[] = ev.candidates.map((c) => ({
    model: `orderflow ${c.label}`,
    folds: c.foldRmse ?? [],
    trainMs: c.trainMs,
  }));
  const peer = python && fs.existsSync(python) ? peerRows(python, file, byte) : null;
  if (peer) rows.push(...peer.rows);
  return {
    rule: byte === 0 ? 'buckets (md5[0] mod 5)' : `md5[${byte}] mod 5`,
    rows,
    floors: ev.orders!.foldNoiseFloor ?? [],
    peerFloors: peer?.floors ?? null,
    chosen: `orderflow ${ev.best.label}`,
    coverage: foldCoverage(ev, holdout),
  };
}

/** The figures of one section for bench/results.md, and its table rows. */
export function realFigures(s: RealSection): { figures: Record<string, string>; table: string[][] } {
  const floor = mean(s.floors);
  const k = s.floors.length;
  const figures: Record<string, string> = {};
  const table: string[][] = [];
  const label = `real ${k}-fold ${s.rule}`;
  for (const r of s.rows) {
    const m = mean(r.folds);
    const ms = r.trainMs === null ? '-' : r.trainMs.toFixed(0);
    figures[`${label}: ${r.model} — mean RMSE ± sd / − floor / train ms`] =
      `${m.toFixed(4)} ± ${sd(r.folds).toFixed(4)} / ${(m - floor).toFixed(4)} / ${ms}`;
    table.push([label, r.model, `${m.toFixed(4)} ± ${sd(r.folds).toFixed(4)}`, (m - floor).toFixed(4), ms]);
  }
  figures[`${label}: mean noise floor (ours${s.peerFloors ? ' / peer' : ''})`] =
    `${floor.toFixed(4)}${s.peerFloors ? ` / ${mean(s.peerFloors).toFixed(4)}` : ''}`;
  const chosen = s.rows.find((r) => r.model === s.chosen)!;
  const peers = s.rows.filter((r) => r.model.startsWith('peer '));
  if (peers.length > 0) {
    const bestPeer = peers.reduce((a, b) => (mean(b.folds) < mean(a.folds) ? b : a));
    const lgbmP = peers.filter((r) => r.model.includes('LightGBM-poisson'));
    const bestLgbmP = lgbmP.reduce((a, b) => (mean(b.folds) < mean(a.folds) ? b : a));
    const ours = mean(chosen.folds) - floor;
    const theirs = mean(bestLgbmP.folds) - floor;
    const winsEvery = chosen.folds.filter((v, i) => v < bestPeer.folds[i]).length;
    figures[`${label}: chosen (${s.chosen}) vs best peer (${bestPeer.model})`] =
      `${mean(chosen.folds).toFixed(4)} vs ${mean(bestPeer.folds).toFixed(4)}, lower on ${winsEvery} of ${k} folds`;
    figures[`${label}: distance to floor, chosen / best LightGBM-Poisson (${bestLgbmP.model})`] =
      `${ours.toFixed(4)} / ${theirs.toFixed(4)} (ratio ${(ours / theirs).toFixed(3)}; target ≤ 0.5)`;
  }
  figures[`${label}: 10–90 % interval coverage on held-out orders (${s.chosen})`] =
    `${(s.coverage.nonzero * 100).toFixed(1)} % of cells with an item (calibrated: ${(s.coverage.expectedNonzero * 100).toFixed(1)} %); ` +
    `${(s.coverage.all * 100).toFixed(1)} % of all cells (calibrated: ${(s.coverage.expected * 100).toFixed(1)} %)`;
  return { figures, table };
}
