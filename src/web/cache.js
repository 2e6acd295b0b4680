// Cache: hit rate, cached cells, age of the last refresh, cached vs current model version, lookup latency, and
// the hit rate over this session (chart.js).
import { api } from './api.js';
import { $, el, fmtAge, fmtNumber, replace, tile } from './dom.js';

let chart = null;
const history = [];

function drawHits() {
  const labels = history.map((h) => h.t);
  const data = history.map((h) => (h.rate === null ? null : h.rate * 100));
  if (chart) {
    chart.data.labels = labels;
    chart.data.datasets[0].data = data;
    chart.update('none');
    return;
  }
  chart = new window.Chart($('#hit-chart'), {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: 'hit rate %',
          data,
          borderColor: '#0f8b8d',
          backgroundColor: 'rgba(15,139,141,0.15)',
          fill: true,
          pointRadius: 0,
          tension: 0.3,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
      scales: { y: { min: 0, max: 100 }, x: { ticks: { maxTicksLimit: 8 } } },
    },
  });
}

export const cacheSection = {
  async refresh() {
    const s = await api('/api/cache/stats');
    const versions = s.cachedVersion === null ? 'empty' : s.upToDate ? 'up to date' : 'stale';
    replace(
      $('#cache-tiles'),
      tile(
        'hit rate',
        s.hitRate === null ? '–' : `${fmtNumber(s.hitRate * 100, 1)} %`,
        `${fmtNumber(s.hits)} hits · ${fmtNumber(s.misses)} misses`,
        s.hitRate !== null && s.hitRate > 0.9 ? 'good' : '',
      ),
      tile(
        'cached cells',
        fmtNumber(s.cachedPredictions),
        s.redisMemoryUsedBytes ? `Redis ${fmtNumber(s.redisMemoryUsedBytes / 1048576, 1)} MiB` : '',
      ),
      tile(
        'age',
        fmtAge(s.lastRefreshAgeSeconds),
        s.lastRefreshAt ? `refreshed ${s.lastRefreshAt.slice(0, 19).replace('T', ' ')}` : 'never refreshed',
      ),
      tile(
        'model version',
        el(
          'span',
          {},
          s.cachedVersion ?? '–',
          el('span', { class: 'muted' }, ' cached / '),
          s.currentVersion ?? '–',
          el('span', { class: 'muted' }, ' current'),
        ),
        versions,
        versions === 'up to date' ? 'good' : 'warn',
      ),
      tile(
        'lookup latency',
        s.lookupLatency ? `${fmtNumber(s.lookupLatency.p50Ms, 2)} ms` : '–',
        s.lookupLatency ? `p99 ${fmtNumber(s.lookupLatency.p99Ms, 2)} ms (Redis GET)` : '',
      ),
      tile(
        'served latency',
        s.served?.cacheP50Ms != null ? `≤ ${fmtNumber(s.served.cacheP50Ms, 2)} ms` : '–',
        s.served?.cacheP99Ms != null
          ? `p99 ≤ ${fmtNumber(s.served.cacheP99Ms, 2)} ms (API, cache hits)`
          : 'no cache hits served yet',
      ),
    );
    history.push({ t: new Date().toLocaleTimeString('en-GB'), rate: s.hitRate });
    if (history.length > 90) history.shift();
    drawHits();
  },
};
