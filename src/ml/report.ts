// Plain-text tables of candidate metrics, shared by `orderflow train` and the training benchmark.
import type { CandidateResult } from './evaluate.js';

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const fixed = (v: number | undefined, digits: number): string =>
  v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);

/** model, RMSE, MAE, R², train ms (+ deviance and distance to the noise floor, + CV columns when present); `best` gets a `*`. */
export function candidateTable(candidates: readonly CandidateResult[], best?: string): string[] {
  const cv = candidates.some((c) => c.crossValidation);
  const floor = candidates.some((c) => c.floorDistance !== undefined);
  const header = [
    'model',
    'RMSE',
    'MAE',
    'R²',
    ...(floor ? ['deviance', 'RMSE − floor'] : []),
    'train ms',
    ...(cv ? ['CV RMSE ± sd', 'CV MAE', 'CV R²'] : []),
  ];
  const rows = candidates.map((c) => [
    `${c.algorithm === best ? '* ' : '  '}${c.label}`,
    fixed(c.holdout.rmse, 4),
    fixed(c.holdout.mae, 4),
    fixed(c.holdout.r2, 4),
    ...(floor ? [fixed(c.holdout.deviance, 4), fixed(c.floorDistance, 4)] : []),
    fixed(c.trainMs, 1),
    ...(cv
      ? [
          `${fixed(c.crossValidation?.rmse, 4)} ± ${fixed(c.foldRmseSd, 4)}`,
          fixed(c.crossValidation?.mae, 4),
          fixed(c.crossValidation?.r2, 4),
        ]
      : []),
  ]);
  return formatTable(header, rows);
}
