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

const taskSummary = obj({ taskId: str, state: str, startedAt: nstr, finishedAt: nstr, attempts: int }, [
  'attempts',
]);
const runFields = {
  runId: str,
  dagId: str,
  state: str,
  trigger: str,
  queuedAt: nstr,
  startedAt: nstr,
  finishedAt: nstr,
  durationMs: nnum,
  params: { type: ['object', 'null'], additionalProperties: true },
};
export const runSummary = obj({ ...runFields, tasks: arr(taskSummary) });
export const runDetail = obj({
  ...runFields,
  tasks: arr(
    obj(
      {
        ...taskSummary.properties,
        error: nstr,
        logs: arr(obj({ at: str, level: str, message: str })),
      },
      ['attempts', 'error'],
    ),
  ),
});
export const dagSummary = obj({
  dagId: str,
  description: str,
  schedule: str,
  paused: bool,
  tasks: arr(str),
  dependsOn: { type: 'object', additionalProperties: arr(str) },
  lastRun: { oneOf: [{ type: 'null' }, runSummary] },
  nextRunAt: nstr,
  lastSuccessAt: nstr,
});

export const aggregateSummary = obj({
  file: nstr,
  totalItems: num,
  matchingRows: int,
  heatmap: arr(arr(num)),
  topCategories: arr(obj({ category: str, items: num })),
  rows: arr(obj({ day_of_week: int, hour_of_day: int, category: str, items_count: num })),
});

const totals = obj({ files: int, orders: num, items: num, quarantinedRows: num });
export const ingestionLedger = obj({
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
  pendingFiles: arr(str),
  totals,
});

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

export const cacheStatsAnswer = obj({
  keys: int,
  hits: int,
  misses: int,
  hitRate: nnum,
  cachedVersion: nstr,
  currentVersion: nstr,
  upToDate: bool,
  refreshedAt: nstr,
  ageSeconds: nnum,
  memoryBytes: nnum,
  lookupLatency: { oneOf: [{ type: 'null' }, obj({ p50Ms: num, p99Ms: num })] },
  served: obj({ cacheP50Ms: nnum, cacheP99Ms: nnum, modelP50Ms: nnum, modelP99Ms: nnum }),
});

const check = obj({ ok: bool, error: str }, ['error']);
export const readyAnswer = obj(
  { status: { type: 'string', enum: ['ready', 'unavailable'] }, redis: check, store: check },
  ['redis', 'store'],
);

export const okAnswer = obj({ ok: { type: 'boolean', const: true } });
