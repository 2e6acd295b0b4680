// The processing view of incremental runs (orchestration/processing-view.ts) as the CLI prints it: one short
// PARTS cell per run in `dags runs`, and the part table with the critical path above the logs in `dags logs`.
import { formatTable } from '../ml/report.js';
import { partLabel, type ProcessingTotals, type ProcessingView } from '../orchestration/processing-view.js';

const mb = (bytes: number): string => `${(bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 2 : 1)} MB`;
const rate = (mbps: number | null): string => (mbps === null ? '- MB/s' : `${mbps.toFixed(1)} MB/s`);
const secs = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(3)}s`);
const count = (n: number | null): string => (n === null ? '-' : String(n));

/** "3 parts on 2 workers, 6.00 MB, 5.9 MB/s"; empty for a run without parts. */
export function partsCell(totals: ProcessingTotals | null): string {
  if (!totals) return '';
  const workers = `${totals.workers} worker${totals.workers === 1 ? '' : 's'}`;
  return `${totals.parts} part${totals.parts === 1 ? '' : 's'} on ${workers}, ${mb(totals.bytes)}, ${rate(totals.mbPerSecond)}`;
}

/** The part table (one line per part, the critical one starred), the workers' throughput and the critical path. */
export function processingLines(view: ProcessingView): string[] {
  const parts = formatTable(
    ['PART', 'BYTES', 'ORDERS', 'ITEMS', 'BAD', 'WORKER', 'TRIES', 'WAIT', 'DURATION', 'OUTCOME'],
    view.parts.map((p) => [
      `${p.critical ? '* ' : '  '}${partLabel(p)}`,
      String(p.bytes),
      count(p.orders),
      count(p.items),
      count(p.badRows),
      p.worker ?? '-',
      String(p.tries),
      secs(p.waitMs),
      secs(p.durationMs),
      p.outcome ?? p.state,
    ]),
  );
  const workers = formatTable(
    ['WORKER', 'PARTS', 'BYTES', 'BUSY', 'MB/S'],
    view.workers.map((w) => [
      w.worker,
      String(w.parts),
      mb(w.bytes),
      secs(w.busyMs),
      w.mbPerSecond === null ? '-' : w.mbPerSecond.toFixed(1),
    ]),
  );
  const total = view.criticalPath.reduce((n, s) => n + (s.durationMs ?? 0), 0);
  const path = view.criticalPath.map(
    (s) =>
      `   ${secs(s.durationMs).padStart(8)}  ${s.kind === 'wait' ? `(${s.label})` : s.label}${s.worker && s.kind === 'part' ? ` on ${s.worker}` : ''}`,
  );
  return [
    `processing: ${partsCell(view.totals)} (${view.totals.files} file(s), ${view.totals.orders} orders, ${view.totals.tries} tries)`,
    ...parts.map((l) => `   ${l}`),
    ...workers.map((l) => `   ${l}`),
    `critical path (${secs(total)}; * marks its part):`,
    ...path,
  ];
}
