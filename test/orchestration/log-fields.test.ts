// Task log details: the fields a task logs beside its message reach `dags logs`, /api/runs/:id and the dashboard.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFields, logFields } from '../../src/orchestration/log-fields.js';

test('log fields › a stored line keeps its details, without the fields every line has', () => {
  const line = {
    level: 30,
    time: 1,
    name: 'orderflow',
    dag: 'incremental_processing_dag',
    run: 7,
    task: 'process_increment',
    try: 1,
    msg: 'incremental: committed',
    filesAdded: 2,
    batches: ['0', '1'],
    quarantine: '/data/quarantine/orders_0.csv.rejected.csv',
    err: { type: 'Error', message: 'boom', stack: 'Error: boom\n  at x' },
  };
  const fields = logFields(line);
  assert.deepEqual(fields, {
    filesAdded: 2,
    batches: ['0', '1'],
    quarantine: '/data/quarantine/orders_0.csv.rejected.csv',
    err: 'boom',
  });
  assert.equal(
    formatFields(fields),
    'filesAdded=2 batches=["0","1"] quarantine=/data/quarantine/orders_0.csv.rejected.csv err=boom',
  );
  assert.equal(
    formatFields({ because: 'data:generation-3', note: 'two words' }),
    'because=data:generation-3 note="two words"',
  );
});
