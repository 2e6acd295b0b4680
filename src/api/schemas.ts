// JSON Schemas of the API's answers: they document every route in /openapi.json and test/api/openapi.test.ts checks
// real answers against them, so the document cannot drift from the code. They mirror the types of deps.ts.
// Answers are serialized with JSON.stringify (openapi.ts), never through these schemas: a schema that missed a
// field must fail that test, not silently drop or coerce the field in production.

const str = { type: 'string' } as const;
const nstr = { type: ['string', 'null'] } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const nnum = { type: ['number', 'null'] } as const;
const bool = { type: 'boolean' } as const;

function obj(properties: Record<string, unknown>, optional: readonly string[] = []) {
  return {
    type: 'object',
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  } as const;
}
const arr = (items: unknown) => ({ type: 'array', items }) as const;

export const errorEnvelope = {
  $id: 'ErrorEnvelope',
  ...obj({
    error: obj({
      code: { ...str, description: 'stable: clients branch on it' },
      message: str,
      details: { type: 'object', additionalProperties: true },
    }),
  }),
  description: 'Every 4xx/5xx answer of the API.',
};

const metrics = obj({ rmse: num, mae: num, r2: num });

export const predictionAnswer = obj(
  {
    day_of_week: int,
    hour_of_day: int,
    category: str,
    prediction: num,
    source: { type: 'string', enum: ['cache', 'model'] },
    model_version: str,
    miss_reason: str,
  },
  ['miss_reason'],
);

export const batchAnswer = obj({
  results: arr({
    type: 'object',
    required: ['ok'],
    properties: { ok: bool, error: obj({ code: str, message: str, suggestions: arr(str) }, ['suggestions']) },
  }),
  ok: int,
  failed: int,
});

/** Run ids are numbers everywhere (API, CLI, dashboard URLs). */
export const runIdSchema = { type: 'integer', minimum: 1 } as const;
const nullableObject = { type: ['object', 'null'], additionalProperties: true } as const;

// The orchestration stage's types (src/orchestration/queries.ts), which the CLI's `dags … --json` prints too.
const runSummary = obj({
  id: int,
  dagId: str,
  trigger: { type: 'string', enum: ['schedule', 'manual', 'event'] },
  state: { type: 'string', enum: ['queued', 'running', 'success', 'failed', 'skipped'] },
  plannedAt: str,
  createdAt: str,
  startedAt: nstr,
  endedAt: nstr,
  durationMs: nnum,
  note: nstr,
  params: nullableObject,
});
const logLine = obj({
  time: str,
  level: str,
  message: str,
  line: { type: 'object', additionalProperties: true },
  fields: { type: 'object', additionalProperties: true },
});
const taskInstance = obj(
  {
    id: int,
    taskId: str,
    tryNumber: int,
    state: {
      type: 'string',
      enum: ['queued', 'running', 'success', 'failed', 'up_for_retry', 'upstream_failed', 'cleared'],
    },
    queuedAt: str,
    startedAt: nstr,
    endedAt: nstr,
    durationMs: nnum,
    worker: nstr,
    error: nstr,
    result: { description: 'what the task returned (JSON)' },
    logs: arr(logLine),
  },
  ['logs', 'result'],
);
// The processing view of an incremental run (src/orchestration/processing-view.ts).
const nint = { type: ['integer', 'null'] } as const;
const processingTotals = obj({
  parts: int,
  files: int,
  workers: int,
  bytes: int,
  orders: int,
  items: int,
  badRows: int,
  tries: int,
  read: int,
  rejected: int,
  changed: int,
  unfinished: int,
  wallMs: nnum,
  busyMs: num,
  mbPerSecond: { ...nnum, description: 'bytes / wallMs, in MB/s (10^6 bytes)' },
});
const partView = obj({
  token: int,
  dagRunId: nint,
  path: str,
  rangeIndex: int,
  rangeCount: int,
  state: { type: 'string', enum: ['queued', 'running', 'staged', 'committed', 'abandoned'] },
  outcome: { type: ['string', 'null'], enum: ['read', 'rejected', 'changed', null] },
  bytes: int,
  rangeStart: nint,
  rangeEnd: nint,
  orders: nint,
  items: nint,
  badRows: nint,
  method: { type: ['string', 'null'], enum: ['scan', 'exact', null] },
  reason: nstr,
  worker: { ...nstr, description: 'host:pid of the worker that read it (the last try)' },
  tries: int,
  queuedAt: str,
  startedAt: nstr,
  endedAt: nstr,
  durationMs: nnum,
  waitMs: { ...nnum, description: 'from when its child job could start to its start' },
  critical: { ...bool, description: 'the part the run waited for last (on the critical path)' },
});
const workerThroughput = obj({
  worker: str,
  parts: int,
  bytes: int,
  orders: int,
  items: int,
  busyMs: num,
  mbPerSecond: nnum,
  firstStartedAt: nstr,
  lastEndedAt: nstr,
});
const criticalStep = obj({
  kind: { type: 'string', enum: ['task', 'part', 'wait'] },
  label: str,
  startedAt: str,
  endedAt: nstr,
  durationMs: nnum,
  worker: nstr,
});
const processingView = obj({
  parts: arr(partView),
  workers: arr(workerThroughput),
  criticalPath: { ...arr(criticalStep), description: 'consecutive segments from the first task to the last' },
  totals: processingTotals,
});
const orNull = (schema: object, description: string) => ({ oneOf: [{ type: 'null' }, schema], description });

export const runWithTasks = obj({
  ...runSummary.properties,
  processing: orNull(processingTotals, 'totals of the parts of an incremental run; null: no parts'),
  tasks: arr(taskInstance),
});
export const runDetail = obj({
  ...runSummary.properties,
  tasks: arr(taskInstance),
  processing: orNull(
    processingView,
    'an incremental run: its parts, throughput per worker, critical path; null: no parts',
  ),
});
export const dagSummary = obj({
  id: str,
  description: nstr,
  schedule: { type: 'object', description: '{ everyMs } or { cron }', additionalProperties: true },
  scheduleText: str,
  paused: bool,
  tasks: arr(obj({ id: str, dependsOn: arr(str) })),
  lastRun: { oneOf: [{ type: 'null' }, runSummary] },
  lastSuccessAt: nstr,
  activeRunId: { type: ['integer', 'null'] },
  nextRunAt: nstr,
});
export const createRunResult = obj(
  {
    outcome: { type: 'string', enum: ['created', 'skipped', 'deferred', 'duplicate', 'paused'] },
    runId: int,
    activeRunId: int,
  },
  ['runId', 'activeRunId'],
);

export const aggregateSummary = obj({
  file: nstr,
  totalItems: num,
  matchingRows: int,
  heatmap: arr(arr(num)),
  topCategories: arr(obj({ category: str, items: num })),
  rows: arr(obj({ day_of_week: int, hour_of_day: int, category: str, items_count: num })),
});

const totals = obj({ files: int, orders: num, items: num, quarantinedRows: num });
export const ingestLedger = obj({
  processedDays: arr(str),
  lastProcessedDay: nstr,
  trackingAgrees: { type: ['boolean', 'null'] },
  batches: arr(
    obj({ batch: str, files: int, orders: num, items: num, quarantinedRows: num, committedAt: nstr }),
  ),
  files: arr(
    obj({
      path: str,
      batch: str,
      sha256: str,
      orders: num,
      items: num,
      quarantinedRows: num,
      committedAt: nstr,
    }),
  ),
  runs: arr(
    obj({
      id: int,
      startedAt: str,
      finishedAt: str,
      filesAdded: int,
      filesReplaced: int,
      filesRemoved: int,
      orders: num,
      items: num,
      quarantinedRows: num,
    }),
  ),
  pendingFiles: arr(obj({ path: str, batch: str, reason: str })),
  skippedFiles: arr(
    obj(
      {
        path: str,
        batch: str,
        status: { type: 'string', enum: ['rejected', 'duplicate'] },
        reason: str,
        duplicateOf: nstr,
        sha256: str,
        size: num,
        mtimeMs: num,
        ctimeMs: num,
        inode: str,
        firstSeenAt: str,
      },
      ['firstSeenAt'],
    ),
  ),
  totals,
});

export const fileRetryAnswer = obj({ path: str, retry: bool });

export const modelsAnswer = obj({
  current: nstr,
  versions: arr(
    obj(
      {
        version: str,
        algorithm: str,
        createdAt: str,
        current: bool,
        trainingRows: int,
        trainingMode: str,
        categoryCount: int,
        metrics: obj({ holdout: metrics, crossValidation: metrics }, ['crossValidation']),
        candidates: arr(
          obj(
            {
              algorithm: str,
              label: str,
              hyperparameters: { type: 'object', additionalProperties: true },
              holdout: metrics,
              crossValidation: metrics,
              trainMs: num,
            },
            ['crossValidation'],
          ),
        ),
      },
      [],
    ),
  ),
});

// The cache stage's CacheStats (src/cache/stats.ts, as `cache stats --json` prints it) plus this API's latency.
export const cacheStatsAnswer = obj({
  cachedPredictions: int,
  cachedVersion: nstr,
  currentVersion: nstr,
  upToDate: bool,
  lastRefreshAt: nstr,
  lastRefreshAgeSeconds: nnum,
  lastRefreshDurationMs: nnum,
  hits: int,
  misses: int,
  hitRate: nnum,
  redisMemoryUsedBytes: num,
  lookupLatency: { oneOf: [{ type: 'null' }, obj({ samples: int, p50Ms: num, p99Ms: num })] },
  served: obj({ cacheP50Ms: nnum, cacheP99Ms: nnum, modelP50Ms: nnum, modelP99Ms: nnum }),
});

const check = obj({ ok: bool, error: str }, ['error']);
export const readyAnswer = obj(
  { status: { type: 'string', enum: ['ready', 'unavailable'] }, redis: check, store: check },
  ['redis', 'store'],
);
