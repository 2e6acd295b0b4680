// Models: the current model, every candidate's metrics for the current version, and holdout RMSE over versions
// (chart.js: one line per algorithm, the chosen model's RMSE in bold).
import { api } from './api.js';
import { $, el, fmtNumber, relTime, replace, table, tile } from './dom.js';
import { renderPromotions } from './promotions.js';

let chart = null;
const COLORS = ['#0f8b8d', '#ec9a29', '#a8201a', '#143642', '#6c5b7b', '#3f88c5'];

function drawRmse(versions) {
  const ordered = [...versions].reverse();
  const labels = ordered.map((v) => v.version);
  const algorithms = [...new Set(ordered.flatMap((v) => v.candidates.map((c) => c.label)))];
  const datasets = [
    {
      label: 'chosen model',
      data: ordered.map((v) => v.metrics.holdout.rmse),
      borderColor: '#1d2b36',
      backgroundColor: '#1d2b36',
      borderWidth: 3,
      pointRadius: 5,
    },
    // A version's RMSE is only meaningful next to the noise floor of the same held-out orders.
    {
      label: 'noise floor',
      data: ordered.map((v) => v.noiseFloor ?? null),
      borderColor: '#8a9ba8',
      backgroundColor: '#8a9ba8',
      borderDash: [2, 2],
      borderWidth: 2,
      pointRadius: 0,
      spanGaps: true,
    },
    ...algorithms.map((label, i) => ({
      label,
      data: ordered.map((v) => v.candidates.find((c) => c.label === label)?.holdout.rmse ?? null),
      borderColor: COLORS[i % COLORS.length],
      backgroundColor: COLORS[i % COLORS.length],
      borderDash: [4, 3],
      borderWidth: 1.5,
      pointRadius: 3,
      spanGaps: true,
    })),
  ];
  if (chart) {
    chart.data.labels = labels;
    chart.data.datasets = datasets;
    chart.update('none');
    return;
  }
  chart = new window.Chart($('#rmse-chart'), {
    type: 'line',
    data: { labels, datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        y: { title: { display: true, text: 'holdout RMSE' }, grid: { color: '#eef2f4' } },
        x: { grid: { display: false } },
      },
    },
  });
}

export const modelsSection = {
  async refresh() {
    const { versions } = await api('/api/models');
    const current = versions.find((v) => v.current);
    replace(
      $('#model-tiles'),
      tile(
        'current model',
        current ? current.version : 'none',
        current ? current.algorithm : 'run `orderflow train`',
        current ? 'good' : 'warn',
      ),
      tile(
        'holdout RMSE',
        current ? fmtNumber(current.metrics.holdout.rmse, 3) : '–',
        current ? `MAE ${fmtNumber(current.metrics.holdout.mae, 3)}` : '',
      ),
      tile('R²', current ? fmtNumber(current.metrics.holdout.r2, 4) : '–'),
      tile(
        'trained',
        current ? relTime(current.createdAt) : '–',
        current
          ? `${fmtNumber(current.trainingRows)} rows (${current.trainingMode}), ${current.categoryCount} categories`
          : '',
      ),
      tile('versions', fmtNumber(versions.length)),
    );
    replace(
      $('#candidates'),
      table(
        ['model', 'RMSE', 'MAE', 'R²', 'train ms'],
        (current?.candidates ?? []).map((c) =>
          el(
            'tr',
            { class: c.algorithm === current.algorithm ? 'chosen' : '' },
            el('td', {}, c.algorithm === current.algorithm ? '★ ' : '', c.label),
            el('td', {}, fmtNumber(c.holdout.rmse, 4)),
            el('td', {}, fmtNumber(c.holdout.mae, 4)),
            el('td', {}, fmtNumber(c.holdout.r2, 4)),
            el('td', {}, fmtNumber(c.trainMs, 1)),
          ),
        ),
        { empty: 'no model trained yet' },
      ),
    );
    drawRmse(versions);
    await renderPromotions(versions, () => modelsSection.refresh());
  },
};
