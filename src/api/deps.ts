// What the HTTP app needs from the other stages, as narrow interfaces. createApp depends only on these, so the
// routes are the same whether the stages run in this process (`orderflow up`) or behind another adapter, and a
// stage that is not available (no model yet, no DAG scheduler) is one adapter away, not a branch in every route.
import type { Metrics } from '../ml/metrics.js';

/** One answered prediction cell. */
export interface PredictionAnswer {
  day_of_week: number;
  hour_of_day: number;
  /** The category's canonical (trained) name. */
  category: string;
  prediction: number;
  /** `cache` when Redis answered, `model` when the in-process model did. */
  source: 'cache' | 'model';
  model_version: string;
  /** Why the model answered: key absent, cache of another version, Redis unreachable. */
  miss_reason?: string;
}

export interface PredictionCell {
  day: number;
  hour: number;
  category: string;
}

/** Per-cell outcome of a batch: a failed cell does not fail the others. */
export type BatchOutcome =
  | ({ ok: true } & PredictionAnswer)
  | { ok: false; error: { code: string; message: string; suggestions?: string[] } };

export interface PredictionService {
  /** NotFoundError (with suggestions) for an unknown category; NoModelError when nothing is trained. */
  predict(cell: PredictionCell): Promise<PredictionAnswer>;
  predictMany(cells: readonly PredictionCell[]): Promise<BatchOutcome[]>;
  /** Category names of the current model (empty without a model): the dashboard's autocomplete. */
  categories(): Promise<readonly string[]>;
}

export type RunState = 'queued' | 'running' | 'success' | 'failed' | 'skipped' | 'upstream_failed';

export interface TaskSummary {
  taskId: string;
  state: RunState | string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts?: number;
}

export interface RunSummary {
  runId: string;
  dagId: string;
  state: RunState | string;
  /** `schedule` or `manual`. */
  trigger: string;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  tasks: TaskSummary[];
}

export interface TaskLog {
  at: string;
  level: string;
  message: string;
  /** What the task logged beside the message: files and counts, the DAG triggered and why, metrics… */
  fields?: Record<string, unknown>;
}

export interface RunDetail extends RunSummary {
  tasks: (TaskSummary & { logs: TaskLog[]; error?: string | null })[];
}

export interface DagSummary {
  dagId: string;
  description: string;
  /** Cron expression or a human interval such as `every 5m`. */
  schedule: string;
  paused: boolean;
  /** Task ids in execution order (the grid's rows). */
  tasks: string[];
  lastRun: RunSummary | null;
  nextRunAt: string | null;
  lastSuccessAt: string | null;
}

export interface DagService {
  listDags(): Promise<DagSummary[]>;
  /** Newest first. NotFoundError for an unknown DAG. */
  listRuns(dagId: string, limit: number): Promise<RunSummary[]>;
  /** undefined for an unknown run. */
  getRun(runId: string): Promise<RunDetail | undefined>;
  setPaused(dagId: string, paused: boolean): Promise<DagSummary>;
  trigger(dagId: string): Promise<{ runId: string; outcome?: string }>;
}

/** One batch folder (a "day" of the original pipeline) of the incremental raw folder, as committed. */
export interface LedgerBatch {
  batch: string;
  files: number;
  orders: number;
  items: number;
  quarantinedRows: number;
  committedAt: string | null;
}

export interface LedgerFile {
  path: string;
  batch: string;
  sha256: string;
  orders: number;
  items: number;
  quarantinedRows: number;
  committedAt: string | null;
}

export interface LedgerRun {
  id: number;
  startedAt: string;
  finishedAt: string;
  filesAdded: number;
  filesReplaced: number;
  filesRemoved: number;
  orders: number;
  items: number;
  quarantinedRows: number;
}

export interface IngestionLedger {
  /** The Redis tracking keys processed_days / last_processed_day (empty when Redis is unreachable). */
  processedDays: string[];
  lastProcessedDay: string | null;
  /** Whether Redis tracking agrees with the ledger; null when it could not be read. */
  trackingAgrees: boolean | null;
  batches: LedgerBatch[];
  files: LedgerFile[];
  /** Newest first. */
  runs: LedgerRun[];
  /** Files in the incremental raw folder not yet committed (new or changed). */
  pendingFiles: string[];
  totals: { files: number; orders: number; items: number; quarantinedRows: number };
}

export interface IngestionService {
  ledger(): Promise<IngestionLedger>;
}

export interface CacheStats {
  /** Cached prediction cells. */
  keys: number;
  hits: number;
  misses: number;
  hitRate: number | null;
  /** Model version whose predictions are cached, and the current one (they differ until a refresh). */
  cachedVersion: string | null;
  currentVersion: string | null;
  upToDate: boolean;
  refreshedAt: string | null;
  ageSeconds: number | null;
  memoryBytes: number | null;
  /** Redis GET round trip measured on a few cached cells; null when the cache is empty. */
  lookupLatency: { p50Ms: number; p99Ms: number } | null;
}

export interface CacheStatsService {
  stats(): Promise<CacheStats>;
}

export interface ModelCandidate {
  algorithm: string;
  label: string;
  hyperparameters: Record<string, unknown>;
  holdout: Metrics;
  crossValidation?: Metrics;
  trainMs: number;
}

export interface ModelVersionView {
  version: string;
  algorithm: string;
  createdAt: string;
  current: boolean;
  trainingRows: number;
  trainingMode: string;
  categoryCount: number;
  metrics: { holdout: Metrics; crossValidation?: Metrics };
  candidates: ModelCandidate[];
}

export interface ModelService {
  /** Newest first. */
  versions(): Promise<ModelVersionView[]>;
}

export interface AggregateRow {
  day_of_week: number;
  hour_of_day: number;
  category: string;
  items_count: number;
}

export interface AggregateSource {
  /** Rows of the current aggregate CSV and which file they came from (null: none yet). */
  rows(): Promise<{ file: string | null; rows: readonly AggregateRow[] }>;
}

export interface HealthChecks {
  /** Each resolves when the service answers, rejects otherwise. */
  redis(): Promise<void>;
  store(): Promise<void>;
}

/** Admin credentials and sessions (auth.ts implements it on the metadata store). */
export interface AuthStore {
  verifyPassword(username: string, password: string): Promise<boolean>;
  createSession(username: string, ttlMs: number): Promise<string>;
  /** The username of a live session, or undefined. */
  sessionUser(token: string): Promise<string | undefined>;
  deleteSession(token: string): Promise<void>;
}

export interface AppDeps {
  predictions: PredictionService;
  dags: DagService;
  ingestion: IngestionService;
  cache: CacheStatsService;
  models: ModelService;
  aggregates: AggregateSource;
  health: HealthChecks;
  auth: AuthStore;
}
