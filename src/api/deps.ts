// What the HTTP app needs from the other stages, as narrow interfaces. createApp depends only on these, so the
// routes are the same whether the stages run in this process (`orderflow up`) or behind another adapter, and a
// stage that is not available (no model yet, no DAG scheduler) is one adapter away, not a branch in every route.
import type { Cell, CellAddress } from '../base/cell.js';
import type { IncrementScore } from '../ml/increment-accuracy.js';
import type { Explanation } from '../ml/lineage.js';
import type { PointerMove } from '../ml/promote.js';
import type { PromotionEvent } from '../ml/promotions.js';
import type { RedisTopology } from '../redis/redis-topology.js';
import type { CacheStats } from '../cache/stats.js';
import type { ReprocessPlan, ReprocessRequest } from '../ingest/reprocess.js';
import type { InterventionResult } from '../orchestration/interventions.js';
import type { DagSummary, RunDetail, RunListEntry, TaskInstanceView } from '../orchestration/queries.js';
import type { CreateRunResult } from '../orchestration/runs.js';
import type { AuditLog } from '../auth/audit.js';
import type { Role } from '../auth/roles.js';
import type { AuthStore, UserView } from '../auth/auth-store.js';

/** One answered prediction cell. */
export interface PredictionAnswer {
  day_of_week: number;
  hour_of_day: number;
  /** The category's canonical (trained) name. */
  category: string;
  prediction: number;
  /** 10 %–90 % of the predictive count distribution of the cell (the same as the cached intervals hash). */
  interval?: { low: number; high: number };
  /** `cache` when Redis answered, `model` when the in-process model did. */
  source: 'cache' | 'model';
  model_version: string;
  /** Why the model answered: key absent, cache of another version, Redis unreachable. */
  miss_reason?: string;
  /** With `?explain=true`: which model answered and what it was trained on. */
  explain?: Explanation;
}

/** Per-cell outcome of a batch: a failed cell does not fail the others. */
export type BatchOutcome =
  | ({ ok: true } & PredictionAnswer)
  | { ok: false; error: { code: string; message: string; suggestions?: string[] } };

export interface PredictionService {
  /** NotFoundError (with suggestions) for an unknown category; NoModelError when nothing is trained. */
  predict(cell: CellAddress): Promise<PredictionAnswer>;
  predictMany(cells: readonly CellAddress[]): Promise<BatchOutcome[]>;
  /** Category names of the current model (empty without a model): the dashboard's autocomplete. */
  categories(): Promise<readonly string[]>;
  /** Lineage of a model version (`?explain=true`): metrics, fingerprint, ledger generation, input files. */
  explain?(modelVersion: string): Promise<Explanation>;
}

/**
 * DAGs and runs in the orchestration stage's own vocabulary (the CLI's `dags … --json` prints the same types):
 * numeric run ids, `endedAt`, log lines with `time`.
 */
export type { CreateRunResult } from '../orchestration/runs.js';
export type { InterventionResult } from '../orchestration/interventions.js';
export type {
  DagSummary,
  RunDetail,
  RunListEntry,
  RunSummary,
  TaskInstanceView,
} from '../orchestration/queries.js';

/** A run of the grid: its summary, its parts' totals and the latest try of each of its tasks (without log lines). */
export interface RunWithTasks extends RunListEntry {
  tasks: TaskInstanceView[];
}

export interface RunFilter {
  /** @defaultValue 0 */
  offset?: number;
  state?: 'queued' | 'running' | 'success' | 'failed' | 'skipped';
  trigger?: 'schedule' | 'manual' | 'event';
}

export interface ClearOptions {
  /** @defaultValue every task of the run */
  tasks?: string[];
  /** @defaultValue false */
  onlyFailed?: boolean;
  /** @defaultValue true */
  downstream?: boolean;
}

export interface DagService {
  listDags(): Promise<DagSummary[]>;
  /** Newest first, `filter.offset` runs skipped. NotFoundError for an unknown DAG. */
  listRuns(dagId: string, limit: number, filter?: RunFilter): Promise<RunWithTasks[]>;
  /** undefined for an unknown run. */
  getRun(runId: number): Promise<RunDetail | undefined>;
  setPaused(dagId: string, paused: boolean): Promise<DagSummary>;
  trigger(dagId: string, params?: Record<string, unknown>): Promise<CreateRunResult>;
  /** Runs tasks of an ended run again (with what depends on them). LockedError while the run is active. */
  clear(runId: number, options: ClearOptions, actor: string): Promise<InterventionResult>;
  /** Records a task of an ended run as success or failed; the run ends as its tasks then say. */
  mark(
    runId: number,
    taskId: string,
    state: 'success' | 'failed',
    actor: string,
  ): Promise<InterventionResult>;
}

/** The ingest ledger in the ingest stage's own vocabulary (ingest/ledger/ledger-view.ts). */
export type { IngestLedger } from '../ingest/ledger/ledger-view.js';
import type { IngestLedger } from '../ingest/ledger/ledger-view.js';

export type { ReprocessPlan, ReprocessRequest } from '../ingest/reprocess.js';

export interface IngestService {
  ledger(): Promise<IngestLedger>;
  /** Forgets the verdict on a rejected or duplicate file so the next run reads it; false if none was recorded. */
  retryFile(path: string): Promise<boolean>;
  /** Dry run (apply false) or apply: see ingest/reprocess.ts. */
  reprocess(request: ReprocessRequest, apply: boolean): Promise<ReprocessPlan>;
}

/** The cache stage's own statistics (what `orderflow cache stats --json` prints). */
export type { CacheStats } from '../cache/stats.js';

export interface CacheStatsService {
  stats(): Promise<CacheStats>;
  /** Removes every cached prediction (what `orderflow cache clear` does); the model answers until a refresh. */
  clear?(): Promise<number>;
}

/** Model versions in the ml stage's own vocabulary (what `orderflow models list --json` prints). */
export type { ModelVersionView } from '../ml/version-view.js';
import type { ModelVersionView } from '../ml/version-view.js';

/** A move of the current version, and what the cache refresh after it did (null: Redis unreachable). */
export type ModelMove = PointerMove & { cache: string | null };

export interface ModelService {
  /** Newest first. */
  versions(): Promise<ModelVersionView[]>;
  /** Every promotion, rejection, manual promotion and rollback, newest first. */
  promotions?(): Promise<PromotionEvent[]>;
  /** NotFoundError for an unknown version. */
  promote?(version: string): Promise<ModelMove>;
  /** UsageError when no earlier version was current. */
  rollback?(): Promise<ModelMove>;
  /** Each committed increment scored against the model serving when it arrived, oldest first. */
  increments?(): Promise<IncrementScore[]>;
}

export interface AggregateSource {
  /** Rows of the current aggregate CSV and which file they came from (null: none yet). */
  rows(): Promise<{ file: string | null; rows: readonly Cell[] }>;
}

export interface HealthChecks {
  /** Each resolves when the service answers, rejects otherwise. */
  redis(): Promise<void>;
  store(): Promise<void>;
  /** Which Redis is primary and the last failover, for /readyz and /metrics. @defaultValue not reported */
  redisTopology?(): Promise<RedisTopology>;
}

/** Credentials, sessions and API tokens (auth-store.ts implements it on the metadata store). */
export type { AuthStore };

/** Managing users (auth-store.ts implements it on the metadata store, as `orderflow users` does). */
export interface UserDirectory {
  list(): Promise<UserView[]>;
  add(username: string, role: Role, password: string): Promise<UserView>;
  remove(username: string): Promise<void>;
  setPassword(username: string, password: string): Promise<void>;
  /** A new token acting as the user; shown once. */
  createToken(username: string, name: string): Promise<string>;
}

export interface AppDeps {
  predictions: PredictionService;
  dags: DagService;
  ingest: IngestService;
  cache: CacheStatsService;
  models: ModelService;
  aggregates: AggregateSource;
  health: HealthChecks;
  auth: AuthStore;
  users: UserDirectory;
  audit: AuditLog;
}
