// The processing view of an incremental run (the Spark UI's job and task pages): its parts (the fan-out task's
// child jobs, one per file or byte range, from ingest/ledger/staged-parts.ts), the throughput of each worker that read
// them, and the run's critical path — the chain of steps that decided when the run ended. A pure function of the
// parts, the DAG's task structure and the tasks' tries, so the API, the CLI's `--json` and the dashboard show the
// same numbers and a unit test can pin them down.
import type { PartRecord } from '../ingest/ledger/staged-parts.js';

/** One MB is 10^6 bytes here (as in the README's throughput figures). */
const MB = 1_000_000;

/** A part with what the view adds: how long it waited for a worker, and whether it is on the critical path. */
export interface PartView extends PartRecord {
  /** From when its child job could start (its upstream ended; when it was planned, if later) to its start. */
  waitMs: number | null;
  critical: boolean;
}

export interface WorkerThroughput {
  /** host:pid */
  worker: string;
  parts: number;
  bytes: number;
  orders: number;
  items: number;
  /** The sum of its parts' durations (more than the wall time when it read parts side by side). */
  busyMs: number;
  /** bytes / busyMs, in MB/s; null before it finished a part. */
  mbPerSecond: number | null;
  firstStartedAt: string | null;
  lastEndedAt: string | null;
}

export interface ProcessingTotals {
  parts: number;
  files: number;
  workers: number;
  bytes: number;
  orders: number;
  items: number;
  badRows: number;
  /** Tries of all parts (a part read once counts 1). */
  tries: number;
  read: number;
  rejected: number;
  changed: number;
  /** Parts not read (yet): queued or running, or abandoned with their run. */
  unfinished: number;
  /** From the first part's start to the last part's end. */
  wallMs: number | null;
  /** Sum of the parts' durations. */
  busyMs: number;
  /** bytes / wallMs, in MB/s: how fast the workers together read the run's input. */
  mbPerSecond: number | null;
}

export type CriticalStepKind = 'task' | 'part' | 'wait';

/** One segment of the critical path; consecutive segments touch, so their durations add up to the path's. */
export interface CriticalStep {
  kind: CriticalStepKind;
  /** The task id, the part (`path [i/n]`), or what was waited for ("queue wait", "wait for commit"). */
  label: string;
  startedAt: string;
  /** null while the step runs. */
  endedAt: string | null;
  durationMs: number | null;
  /** host:pid of the part's or task's worker. */
  worker: string | null;
}

export interface ProcessingView {
  /** In the order they were planned (path, range). */
  parts: PartView[];
  /** By worker name. */
  workers: WorkerThroughput[];
  /** From the first task's start to the last step; empty before anything started. */
  criticalPath: CriticalStep[];
  totals: ProcessingTotals;
}

/** The DAG's structure as the view needs it (from its definition). */
export interface TaskNode {
  id: string;
  dependsOn: readonly string[];
  /** The task whose child jobs the parts are. */
  fanOut: boolean;
}

/** A try of a task (queries.ts's TaskInstanceView satisfies it). */
export interface TaskTry {
  taskId: string;
  tryNumber: number;
  state: string;
  startedAt: string | null;
  endedAt: string | null;
  worker: string | null;
}

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
const mbps = (bytes: number, millis: number | null): number | null =>
  millis === null || millis <= 0 ? null : bytes / MB / (millis / 1000);
const sum = (values: readonly (number | null)[]): number => values.reduce<number>((n, v) => n + (v ?? 0), 0);

export const partLabel = (p: Pick<PartRecord, 'path' | 'rangeIndex' | 'rangeCount'>): string =>
  p.rangeCount > 1 ? `${p.path} [${p.rangeIndex + 1}/${p.rangeCount}]` : p.path;

/** The totals of a run's parts (also what a list of runs shows). */
export function processingTotals(parts: readonly PartRecord[]): ProcessingTotals {
  const starts = parts.map((p) => ms(p.startedAt)).filter((t) => t !== null);
  const ends = parts.map((p) => ms(p.endedAt)).filter((t) => t !== null);
  const wallMs = starts.length > 0 && ends.length > 0 ? Math.max(...ends) - Math.min(...starts) : null;
  const bytes = sum(parts.map((p) => p.bytes));
  const count = (outcome: PartRecord['outcome']) => parts.filter((p) => p.outcome === outcome).length;
  return {
    parts: parts.length,
    files: new Set(parts.map((p) => p.path)).size,
    workers: new Set(parts.map((p) => p.worker).filter((w) => w !== null)).size,
    bytes,
    orders: sum(parts.map((p) => p.orders)),
    items: sum(parts.map((p) => p.items)),
    badRows: sum(parts.map((p) => p.badRows)),
    tries: sum(parts.map((p) => p.tries)),
    read: count('read'),
    rejected: count('rejected'),
    changed: count('changed'),
    unfinished: count(null),
    wallMs,
    busyMs: sum(parts.map((p) => p.durationMs)),
    mbPerSecond: mbps(bytes, wallMs),
  };
}

function workerThroughput(parts: readonly PartRecord[]): WorkerThroughput[] {
  const byWorker = new Map<string, PartRecord[]>();
  for (const p of parts)
    if (p.worker !== null) byWorker.set(p.worker, [...(byWorker.get(p.worker) ?? []), p]);
  return [...byWorker]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([worker, own]) => {
      const finished = own.filter((p) => p.durationMs !== null);
      const busyMs = sum(finished.map((p) => p.durationMs));
      const bytes = sum(finished.map((p) => p.bytes));
      const starts = own.map((p) => p.startedAt).filter((t) => t !== null);
      const ends = own.map((p) => p.endedAt).filter((t) => t !== null);
      return {
        worker,
        parts: own.length,
        bytes,
        orders: sum(own.map((p) => p.orders)),
        items: sum(own.map((p) => p.items)),
        busyMs,
        mbPerSecond: mbps(bytes, busyMs),
        firstStartedAt: starts.sort()[0] ?? null,
        lastEndedAt: ends.sort().at(-1) ?? null,
      };
    });
}

/** The latest try of each task (a cleared try was superseded by the next one). */
function latestTries(tries: readonly TaskTry[]): Map<string, TaskTry> {
  const latest = new Map<string, TaskTry>();
  for (const t of tries) {
    const seen = latest.get(t.taskId);
    if (!seen || t.tryNumber > seen.tryNumber) latest.set(t.taskId, t);
  }
  return latest;
}

interface Step {
  kind: 'task' | 'part';
  label: string;
  start: number;
  end: number | null;
  worker: string | null;
}

const endOf = (t: TaskTry | PartRecord | undefined): number => ms(t?.endedAt ?? null) ?? -Infinity;

/**
 * Walks back from the task that ended last: each step's predecessor is the upstream task that ended last; inside
 * the fan-out task, the part that ended last (the run could not go on before it), whose predecessor is the fan-out
 * task's own upstream.
 */
function criticalSteps(
  nodes: readonly TaskNode[],
  tries: Map<string, TaskTry>,
  parts: readonly PartRecord[],
) {
  const started = nodes.filter((n) => tries.get(n.id)?.startedAt);
  if (started.length === 0) return { steps: [] as Step[], part: undefined };
  const running = started.find((n) => tries.get(n.id)?.endedAt === null);
  let node: TaskNode | undefined =
    running ?? started.reduce((a, b) => (endOf(tries.get(b.id)) > endOf(tries.get(a.id)) ? b : a));
  const steps: Step[] = [];
  let lastPart: PartRecord | undefined;
  while (node) {
    const t = tries.get(node.id);
    if (!t?.startedAt) break;
    steps.push({
      kind: 'task',
      label: node.id,
      start: Date.parse(t.startedAt),
      end: ms(t.endedAt),
      worker: t.worker,
    });
    if (node.fanOut) {
      const ended = parts.filter((p) => p.startedAt !== null && p.endedAt !== null);
      lastPart = ended.reduce<PartRecord | undefined>(
        (a, b) => (!a || endOf(b) > endOf(a) ? b : a),
        undefined,
      );
      if (lastPart?.startedAt) {
        const [start, end] = [Date.parse(lastPart.startedAt), ms(lastPart.endedAt)];
        steps.push({ kind: 'part', label: partLabel(lastPart), start, end, worker: lastPart.worker });
      }
    }
    const upstream = nodes.filter((n) => node?.dependsOn.includes(n.id) && tries.get(n.id)?.endedAt);
    node = upstream.reduce<TaskNode | undefined>(
      (a, b) => (!a || endOf(tries.get(b.id)) > endOf(tries.get(a.id)) ? b : a),
      undefined,
    );
  }
  return { steps: steps.reverse(), part: lastPart };
}

/** Consecutive segments: a step starts where the previous ended (a fan-out task continues after its last part). */
function segments(steps: readonly Step[]): CriticalStep[] {
  const out: CriticalStep[] = [];
  const iso = (t: number) => new Date(t).toISOString();
  let previous: number | null = null;
  for (const [i, s] of steps.entries()) {
    if (previous !== null && s.start > previous) {
      const label = s.kind === 'part' ? 'queue wait' : `wait for ${s.label}`;
      out.push({
        kind: 'wait',
        label,
        startedAt: iso(previous),
        endedAt: iso(s.start),
        durationMs: s.start - previous,
        worker: null,
      });
    }
    const start: number = previous === null ? s.start : Math.max(s.start, previous);
    out.push({
      kind: s.kind,
      label: s.label,
      startedAt: iso(start),
      endedAt: s.end === null ? null : iso(s.end),
      durationMs: s.end === null ? null : Math.max(0, s.end - start),
      worker: s.worker,
    });
    if (s.end === null && i < steps.length - 1) break;
    previous = s.end;
  }
  return out;
}

/** The view of a run from its parts (empty: null, the run read nothing), its DAG's tasks and their tries. */
export function processingView(
  parts: readonly PartRecord[],
  nodes: readonly TaskNode[],
  tries: readonly TaskTry[],
): ProcessingView | null {
  if (parts.length === 0) return null;
  const latest = latestTries(tries);
  const { steps, part: critical } = criticalSteps(nodes, latest, parts);
  // A child job can start once the fan-out task's upstream ended.
  const fanOut = nodes.find((n) => n.fanOut);
  const ready = Math.max(-Infinity, ...(fanOut?.dependsOn ?? []).map((id) => endOf(latest.get(id))));
  return {
    parts: parts.map((p) => {
      const start = ms(p.startedAt);
      const from = Math.max(Date.parse(p.queuedAt), ready);
      return { ...p, waitMs: start === null ? null : Math.max(0, start - from), critical: p === critical };
    }),
    workers: workerThroughput(parts),
    criticalPath: segments(steps),
    totals: processingTotals(parts),
  };
}
