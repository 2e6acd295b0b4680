// Prometheus metrics (GET /metrics), all prefixed orderflow_. Request-path figures (prediction latency, cache
// hits and misses) are recorded as requests are served; DAG and ingestion figures are read from their services at
// scrape time, so they are right even when the scheduler runs in another process. One Registry per app: several
// apps in one process (tests) do not share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DagService, HealthChecks, IngestionService, ModelService } from './deps.js';
import { registerRedisMetrics } from './redis-metrics.js';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly predictionLatency: Histogram<'source'>;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;

  constructor(
    sources: { dags: DagService; ingestion: IngestionService; health?: HealthChecks; models?: ModelService },
    options: { processMetrics?: boolean } = {},
  ) {
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

    const runs = new Gauge({
      name: 'orderflow_dag_runs',
      help: 'DAG runs in the retained history, by DAG and state.',
      labelNames: ['dag', 'state'],
      registers,
      collect: async () => {
        runs.reset();
        lastDuration.reset();
        successAge.reset();
        const dags = await sources.dags.listDags().catch(() => []);
        const now = Date.now();
        for (const dag of dags) {
          const history = await sources.dags.listRuns(dag.id, 200).catch(() => []);
          const counts = new Map<string, number>();
          for (const r of history) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
          for (const [state, n] of counts) runs.set({ dag: dag.id, state }, n);
          const finished = history.find((r) => r.durationMs !== null && r.endedAt !== null);
          if (finished?.durationMs != null) {
            lastDuration.set({ dag: dag.id, state: finished.state }, finished.durationMs / 1000);
          }
          if (dag.lastSuccessAt)
            successAge.set({ dag: dag.id }, (now - Date.parse(dag.lastSuccessAt)) / 1000);
        }
      },
    });
    const lastDuration = new Gauge({
      name: 'orderflow_dag_run_duration_seconds',
      help: 'Duration of the latest finished run of each DAG, labelled with its final state.',
      labelNames: ['dag', 'state'],
      registers,
    });
    const successAge = new Gauge({
      name: 'orderflow_dag_last_success_age_seconds',
      help: 'Seconds since the last successful run of each DAG finished.',
      labelNames: ['dag'],
      registers,
    });
    const ingested = new Gauge({
      name: 'orderflow_rows_ingested',
      help: 'Order rows committed by incremental ingestion (accepted) and rows quarantined.',
      labelNames: ['kind'],
      registers,
      collect: async () => {
        const ledger = await sources.ingestion.ledger().catch(() => undefined);
        if (!ledger) return;
        ingested.set({ kind: 'accepted' }, ledger.totals.orders);
        ingested.set({ kind: 'quarantined' }, ledger.totals.quarantinedRows);
      },
    });
    const increment = new Gauge({
      name: 'orderflow_increment_rmse',
      help: 'RMSE of the serving model on the latest committed increment (kind="rmse") and that increment\'s noise floor (kind="noise_floor").',
      labelNames: ['kind'],
      registers,
      collect: async () => {
        const latest = (await sources.models?.increments?.().catch(() => undefined))?.at(-1);
        if (!latest) return;
        increment.set({ kind: 'rmse' }, latest.rmse);
        increment.set({ kind: 'noise_floor' }, latest.noiseFloor);
      },
    });
  }

  observePrediction(source: 'cache' | 'model', seconds: number): void {
    this.predictionLatency.observe({ source }, seconds);
    if (source === 'cache') this.cacheHits.inc();
    else this.cacheMisses.inc();
  }
}
