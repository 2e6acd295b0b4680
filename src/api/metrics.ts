// Prometheus metrics (GET /metrics), all prefixed orderflow_. Request-path figures (prediction latency, cache
// hits and misses) are recorded as requests are served; DAG and ingest figures are read from their services at
// scrape time, so they are right even when the scheduler runs in another process. One Registry per app: several
// apps in one process (tests) do not share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  CacheStats,
  CacheStatsService,
  DagService,
  DagSummary,
  HealthChecks,
  IngestLedger,
  IngestService,
  ModelService,
  RunSummary,
} from './deps.js';
import { registerRedisMetrics } from './redis-metrics.js';

interface MetricSources {
  dags: DagService;
  ingest: IngestService;
  cache?: CacheStatsService;
  health?: HealthChecks;
  models?: ModelService;
}

interface Snapshot {
  at: number;
  dags: { dag: DagSummary; history: RunSummary[] }[];
  ledger: IngestLedger | undefined;
  cache: CacheStats | undefined;
}

/** One read of the services per scrape: calls within a second share it. A failing service reads as empty. */
function scrapeSnapshot(sources: MetricSources): () => Promise<Snapshot> {
  let last: { at: number; value: Promise<Snapshot> } | undefined;
  const read = async (at: number): Promise<Snapshot> => {
    const dags = await sources.dags.listDags().catch(() => [] as DagSummary[]);
    const histories = await Promise.all(
      dags.map(async (dag) => ({
        dag,
        history: await sources.dags.listRuns(dag.id, 200).catch(() => []),
      })),
    );
    const [ledger, cache] = await Promise.all([
      sources.ingest.ledger().catch(() => undefined),
      sources.cache?.stats().catch(() => undefined),
    ]);
    return { at, dags: histories, ledger, cache };
  };
  return () => {
    const now = Date.now();
    if (!last || now - last.at > 1000) last = { at: now, value: read(now) };
    return last.value;
  };
}

/** What a scrape-time metric reads from: the shared snapshot, the services, and what earlier scrapes saw. */
interface Scrape {
  snapshot: () => Promise<Snapshot>;
  sources: MetricSources;
  /** Per DAG, the newest finished run already observed in the duration histogram. */
  observed: Map<string, number>;
}

interface ScrapeGauge {
  kind: 'gauge';
  name: string;
  help: string;
  labelNames?: string[];
  collect: (gauge: Gauge<string>, scrape: Scrape) => Promise<void>;
}

interface ScrapeHistogram {
  kind: 'histogram';
  name: string;
  help: string;
  labelNames: string[];
  buckets: number[];
  collect: (histogram: Histogram<string>, scrape: Scrape) => Promise<void>;
}

async function collectDagRuns(runs: Gauge<string>, { snapshot }: Scrape): Promise<void> {
  runs.reset();
  for (const { dag, history } of (await snapshot()).dags) {
    const counts = new Map<string, number>();
    for (const r of history) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    for (const [state, n] of counts) runs.set({ dag: dag.id, state }, n);
  }
}

// Each finished run is observed once, at the first scrape that sees it (runs may finish in other processes).
async function collectRunDurations(
  duration: Histogram<string>,
  { snapshot, observed }: Scrape,
): Promise<void> {
  for (const { dag, history } of (await snapshot()).dags) {
    const seen = observed.get(dag.id) ?? 0;
    for (const r of history) {
      if (r.id <= seen || r.durationMs === null || r.endedAt === null) continue;
      duration.observe({ dag: dag.id, state: r.state }, r.durationMs / 1000);
    }
    const newest = Math.max(seen, ...history.map((r) => (r.endedAt === null ? 0 : r.id)));
    observed.set(dag.id, newest);
  }
}

async function collectSuccessAge(successAge: Gauge<string>, { snapshot }: Scrape): Promise<void> {
  successAge.reset();
  const { dags, at } = await snapshot();
  for (const { dag } of dags)
    if (dag.lastSuccessAt) successAge.set({ dag: dag.id }, (at - Date.parse(dag.lastSuccessAt)) / 1000);
}

async function collectIngested(ingested: Gauge<string>, { snapshot }: Scrape): Promise<void> {
  const { ledger } = await snapshot();
  if (!ledger) return;
  ingested.set({ kind: 'accepted' }, ledger.totals.orders);
  ingested.set({ kind: 'quarantined' }, ledger.totals.quarantinedRows);
}

async function collectFiles(files: Gauge<string>, { snapshot }: Scrape): Promise<void> {
  const { ledger } = await snapshot();
  if (!ledger) return;
  const skipped = (status: string) => ledger.skippedFiles.filter((f) => f.status === status).length;
  files.set({ state: 'pending' }, ledger.pendingFiles.length);
  files.set({ state: 'committed' }, ledger.files.length);
  files.set({ state: 'rejected' }, skipped('rejected'));
  files.set({ state: 'duplicate' }, skipped('duplicate'));
  files.set({ state: 'with_quarantined_rows' }, ledger.files.filter((f) => f.quarantinedRows > 0).length);
}

async function collectDataAge(dataAge: Gauge<string>, { snapshot }: Scrape): Promise<void> {
  dataAge.reset();
  const { ledger, at } = await snapshot();
  const newest = Math.max(0, ...(ledger?.files ?? []).map((f) => Date.parse(f.committedAt ?? '') || 0));
  if (newest > 0) dataAge.set((at - newest) / 1000);
}

async function collectCacheCurrent(cacheCurrent: Gauge<string>, { snapshot }: Scrape): Promise<void> {
  cacheCurrent.reset();
  const { cache } = await snapshot();
  if (cache && cache.currentVersion !== null) cacheCurrent.set(cache.upToDate ? 1 : 0);
}

async function collectIncrement(increment: Gauge<string>, { sources }: Scrape): Promise<void> {
  const latest = (await sources.models?.increments?.().catch(() => undefined))?.at(-1);
  if (!latest) return;
  increment.set({ kind: 'rmse' }, latest.rmse);
  increment.set({ kind: 'noise_floor' }, latest.noiseFloor);
}

/** The metrics read at scrape time, in the order /metrics lists them. */
const SCRAPE_METRICS: readonly (ScrapeGauge | ScrapeHistogram)[] = [
  {
    kind: 'gauge',
    name: 'orderflow_dag_runs',
    help: 'DAG runs in the retained history, by DAG and state.',
    labelNames: ['dag', 'state'],
    collect: collectDagRuns,
  },
  {
    kind: 'histogram',
    name: 'orderflow_dag_run_duration_seconds',
    help: 'Durations of finished DAG runs, by DAG and final state.',
    labelNames: ['dag', 'state'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    collect: collectRunDurations,
  },
  {
    kind: 'gauge',
    name: 'orderflow_dag_last_success_age_seconds',
    help: 'Seconds since the last successful run of each DAG finished (absent before its first success).',
    labelNames: ['dag'],
    collect: collectSuccessAge,
  },
  {
    kind: 'gauge',
    name: 'orderflow_rows_ingested',
    help: 'Order rows committed by incremental ingest (accepted) and rows quarantined.',
    labelNames: ['kind'],
    collect: collectIngested,
  },
  {
    kind: 'gauge',
    name: 'orderflow_ingest_files',
    help:
      'Files of the landing area: pending (arrived, not yet committed), committed, rejected (cannot be read ' +
      'as orders: see orderflow status), duplicate (content committed under another path) and ' +
      'with_quarantined_rows (committed, some rows quarantined).',
    labelNames: ['state'],
    collect: collectFiles,
  },
  {
    kind: 'gauge',
    name: 'orderflow_newest_data_age_seconds',
    help: 'Seconds since the newest file was committed by incremental ingest (absent before the first).',
    collect: collectDataAge,
  },
  {
    kind: 'gauge',
    name: 'orderflow_cache_up_to_date',
    help: "1 when the Redis cache holds the current model version's predictions, 0 when it is older.",
    collect: collectCacheCurrent,
  },
  {
    kind: 'gauge',
    name: 'orderflow_increment_rmse',
    help: 'RMSE of the serving model on the latest committed increment (kind="rmse") and that increment\'s noise floor (kind="noise_floor").',
    labelNames: ['kind'],
    collect: collectIncrement,
  },
];

/** Registers one scrape-time metric whose collect() reads `scrape`. */
function registerScrapeMetric(
  def: ScrapeGauge | ScrapeHistogram,
  scrape: Scrape,
  registers: Registry[],
): void {
  const { name, help, labelNames = [] } = def;
  if (def.kind === 'histogram') {
    const histogram: Histogram<string> = new Histogram({
      name,
      help,
      labelNames,
      buckets: def.buckets,
      registers,
      collect: () => def.collect(histogram, scrape),
    });
  } else {
    const gauge: Gauge<string> = new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect: () => def.collect(gauge, scrape),
    });
  }
}

export class ApiMetrics {
  readonly registry = new Registry();
  readonly predictionLatency: Histogram<'source'>;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;

  constructor(sources: MetricSources, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'orderflow_' });
    registerRedisMetrics(this.registry, sources.health?.redisTopology?.bind(sources.health));
    this.predictionLatency = new Histogram({
      name: 'orderflow_prediction_latency_seconds',
      help: 'Time to answer one prediction cell, by source (cache or model).',
      labelNames: ['source'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers,
    });
    this.cacheHits = new Counter({
      name: 'orderflow_cache_hits_total',
      help: 'Prediction cells answered from the Redis cache.',
      registers,
    });
    this.cacheMisses = new Counter({
      name: 'orderflow_cache_misses_total',
      help: 'Prediction cells the cache could not answer (answered by the model).',
      registers,
    });
    // All DAG and ingest figures of one scrape come from one read of the services (prom-client collects
    // the metrics of a scrape concurrently: gauges filled by another gauge's collect() were read empty).
    const scrape: Scrape = { snapshot: scrapeSnapshot(sources), sources, observed: new Map() };
    for (const def of SCRAPE_METRICS) registerScrapeMetric(def, scrape, registers);
  }

  observePrediction(source: 'cache' | 'model', seconds: number): void {
    this.predictionLatency.observe({ source }, seconds);
    if (source === 'cache') this.cacheHits.inc();
    else this.cacheMisses.inc();
  }
}
