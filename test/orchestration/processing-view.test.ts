// The processing view of an incremental run, from hand-made parts and tries: totals, throughput per worker, the
// parts' queue waits and the critical path through the fan-out task's last part.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { processingView, type TaskNode, type TaskTry } from '../../src/orchestration/processing-view.js';
import type { PartRecord } from '../../src/ingest/ledger/staged-parts.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

const NODES: TaskNode[] = [
  { id: 'discover_files', dependsOn: [], fanOut: false },
  { id: 'aggregate', dependsOn: ['discover_files'], fanOut: true },
  { id: 'commit', dependsOn: ['discover_files', 'aggregate'], fanOut: false },
  { id: 'update_tracking', dependsOn: ['commit'], fanOut: false },
];

function task(taskId: string, start: number, end: number | null, tryNumber = 1): TaskTry {
  return {
    taskId,
    tryNumber,
    state: end === null ? 'running' : 'success',
    startedAt: at(start),
    endedAt: end === null ? null : at(end),
    worker: 'w:1',
  };
}

function part(
  path: string,
  worker: string,
  start: number,
  end: number,
  extra: Partial<PartRecord> = {},
): PartRecord {
  return {
    token: 7,
    dagRunId: 3,
    path,
    rangeIndex: 0,
    rangeCount: 1,
    state: 'committed',
    outcome: 'read',
    bytes: 2_000_000,
    rangeStart: 0,
    rangeEnd: 2_000_000,
    orders: 100,
    items: 400,
    badRows: 1,
    method: 'scan',
    reason: null,
    worker,
    tries: 1,
    queuedAt: at(50),
    startedAt: at(start),
    endedAt: at(end),
    durationMs: end - start,
    ...extra,
  };
}

// discover 0–100 ms; parts: a on w:1 110–610, b on w:2 130–1130 (the last), c on w:1 620–1020;
// aggregate 110–1150; commit 1200–1300 (a retry: try 1 failed earlier); tracking 1310–1330.
const PARTS = [
  part('1/a.csv', 'w:1', 110, 610),
  part('1/b.csv', 'w:2', 130, 1130, { tries: 2 }),
  part('1/c.csv', 'w:1', 620, 1020, { outcome: 'rejected', orders: null, items: null, badRows: null }),
];
const TRIES = [
  task('discover_files', 0, 100),
  task('aggregate', 110, 1150),
  { ...task('commit', 1160, 1170), state: 'failed' },
  task('commit', 1200, 1300, 2),
  task('update_tracking', 1310, 1330),
];

describe('processing view', () => {
  test('processing view › a run without parts has none', () => {
    assert.equal(processingView([], NODES, TRIES), null);
  });

  test('processing view › totals count parts, files, workers, bytes and the wall-clock throughput', () => {
    const view = processingView(PARTS, NODES, TRIES);
    assert.deepEqual(view?.totals, {
      parts: 3,
      files: 3,
      workers: 2,
      bytes: 6_000_000,
      orders: 200,
      items: 800,
      badRows: 2,
      tries: 4,
      read: 2,
      rejected: 1,
      changed: 0,
      unfinished: 0,
      wallMs: 1020,
      busyMs: 1900,
      mbPerSecond: 6 / 1.02,
    });
  });

  test('processing view › each worker has its parts, bytes, busy time and MB/s', () => {
    const view = processingView(PARTS, NODES, TRIES);
    assert.deepEqual(
      view?.workers.map((w) => [
        w.worker,
        w.parts,
        w.bytes,
        w.busyMs,
        w.mbPerSecond,
        w.firstStartedAt,
        w.lastEndedAt,
      ]),
      [
        ['w:1', 2, 4_000_000, 900, 4 / 0.9, at(110), at(1020)],
        ['w:2', 1, 2_000_000, 1000, 2, at(130), at(1130)],
      ],
    );
  });

  test('processing view › a part waits from when its upstream ended, and the one that ended last is critical', () => {
    const view = processingView(PARTS, NODES, TRIES);
    assert.deepEqual(
      view?.parts.map((p) => [p.path, p.waitMs, p.critical]),
      [
        ['1/a.csv', 10, false],
        ['1/b.csv', 30, true],
        ['1/c.csv', 520, false],
      ],
    );
  });

  test('processing view › the critical path runs discover → queue wait → last part → aggregate → commit → tracking, segments touching', () => {
    const path = processingView(PARTS, NODES, TRIES)?.criticalPath ?? [];
    assert.deepEqual(
      path.map((s) => [s.kind, s.label, s.durationMs]),
      [
        ['task', 'discover_files', 100],
        ['wait', 'queue wait', 30],
        ['part', '1/b.csv', 1000],
        ['task', 'aggregate', 20],
        ['wait', 'wait for commit', 50],
        ['task', 'commit', 100],
        ['wait', 'wait for update_tracking', 10],
        ['task', 'update_tracking', 20],
      ],
    );
    assert.equal(path.find((s) => s.kind === 'part')?.worker, 'w:2');
    for (let i = 1; i < path.length; i++) assert.equal(path[i].startedAt, path[i - 1].endedAt);
    assert.equal(path.at(-1)?.endedAt, at(1330));
  });

  test('processing view › while the fan-out task runs, the path ends at it; a range is labelled with its index', () => {
    const ranges = [
      part('2/big.csv', 'w:1', 110, 500, { rangeIndex: 0, rangeCount: 2 }),
      part('2/big.csv', 'w:2', 120, 700, { rangeIndex: 1, rangeCount: 2 }),
    ];
    const running = [task('discover_files', 0, 100), task('aggregate', 110, null)];
    const view = processingView(ranges, NODES, running);
    assert.deepEqual(
      view?.criticalPath.map((s) => [s.kind, s.label, s.durationMs]),
      [
        ['task', 'discover_files', 100],
        ['wait', 'queue wait', 20],
        ['part', '2/big.csv [2/2]', 580],
        ['task', 'aggregate', null],
      ],
    );
    assert.equal(view?.totals.files, 1);
  });
});
