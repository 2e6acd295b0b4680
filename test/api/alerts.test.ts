// docs/alerts.yml: valid Prometheus rule groups whose expressions reference only metrics /metrics exports.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ApiMetrics } from '../../src/api/metrics.js';
import type { DagService, IngestService } from '../../src/api/deps.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The metric family names `expr` reads (PromQL functions, label names and keywords left out). */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '');
  return [...withoutLabels.matchAll(/\b(orderflow_[a-z0-9_]+)/g)].map((m) => m[1]);
}

test('alerts › docs/alerts.yml has the four required alerts and references only exported metrics', async () => {
  const doc = parse(await readFile(path.join(ROOT, 'docs', 'alerts.yml'), 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  };
  const rules = doc.groups.flatMap((g) => g.rules);
  for (const rule of rules) {
    assert.ok(rule.alert && rule.expr, `a rule without alert or expr: ${JSON.stringify(rule)}`);
    assert.ok(rule.labels?.severity, `${rule.alert}: no severity label`);
    assert.ok(rule.annotations?.summary, `${rule.alert}: no summary`);
    if (rule.for) assert.match(rule.for, /^\d+[smh]$/, `${rule.alert}: bad for`);
  }

  // What the app exports, by family name (histograms add _bucket/_sum/_count).
  const empty = { listDags: async () => [], listRuns: async () => [] } as unknown as DagService;
  const ingest = { ledger: async () => Promise.reject(new Error('none')) } as unknown as IngestService;
  const metrics = new ApiMetrics({ dags: empty, ingest }, { processMetrics: false });
  const exported = new Set(
    (await metrics.registry.getMetricsAsJSON()).flatMap((m) => [
      m.name,
      `${m.name}_bucket`,
      `${m.name}_sum`,
      `${m.name}_count`,
    ]),
  );
  for (const rule of rules)
    for (const name of metricNames(rule.expr!))
      assert.ok(exported.has(name), `${rule.alert}: ${name} is not exported`);

  const exprs = rules.map((r) => r.expr!).join('\n');
  assert.match(exprs, /orderflow_dag_last_success_age_seconds\{dag="incremental_processing_dag"\} > 300/);
  assert.match(exprs, /orderflow_ingest_files\{state="rejected"\} > 0/);
  assert.match(exprs, /orderflow_cache_up_to_date == 0/);
  assert.match(exprs, /orderflow_cache_hits_total[\s\S]*< 0\.9/);
});
