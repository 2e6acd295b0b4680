// Prometheus gauges saying which Redis is primary and when the last failover happened (Sentinel deployments),
// read at scrape time so every API process reports what Redis records, not what it alone has seen.
import { Gauge, type Registry } from 'prom-client';
import type { RedisTopology } from '../redis/redis-topology.js';

export function registerRedisMetrics(
  registry: Registry,
  topology: (() => Promise<RedisTopology>) | undefined,
): void {
  if (!topology) return;
  const registers = [registry];
  const primary = new Gauge({
    name: 'orderflow_redis_primary',
    help: 'The Redis primary this process uses (value 1), labelled with its address and how it was found.',
    labelNames: ['address', 'mode'],
    registers,
    collect: async () => {
      primary.reset();
      replicas.reset();
      lastFailover.reset();
      const t = await topology().catch(() => undefined);
      if (!t) return; // Redis unreachable: no primary to report (/readyz says why)
      primary.set({ address: t.primary, mode: t.mode }, 1);
      if (t.replicas !== null) replicas.set(t.replicas);
      if (t.lastFailover) lastFailover.set(Date.parse(t.lastFailover.at) / 1000);
    },
  });
  const replicas = new Gauge({
    name: 'orderflow_redis_connected_replicas',
    help: 'Replicas connected to the Redis primary.',
    registers,
  });
  const lastFailover = new Gauge({
    name: 'orderflow_redis_last_failover_timestamp_seconds',
    help: 'When an orderflow process first reached the primary the sentinels promoted last (absent: no failover).',
    registers,
  });
}
