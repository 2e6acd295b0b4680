// Models: the current model, every candidate's metrics for a version (#/models/<version>), and each version's
// candidates compared with each other (chart.js). Each version is measured on its own holdout, so RMSEs of two
// versions are not comparable: the chart groups the candidates of one version as bars (no line joins versions),
// and the tooltip says what that version was measured on.
import { api } from './api.js';
import { $, el, fmtNumber, replaceIfChanged, table, tile, timeEl } from './dom.js';
import { renderPromotions } from './promotions.js';

let chart = null;
const COLORS = ['#0f8b8d', '#ec9a29', '#a8201a', '#6c5b7b', '#3f88c5', '#2e9e44'];

function drawRmse(versions) {
  const ordered = [...versions].reverse();
  const labels = ordered.map((v) => `${v.version} (${fmtNumber(v.trainingRows)} rows)`);
  const algorithms = [...new Set(ordered.flatMap((v) => v.candidates.map((c) => c.label)))];
  const datasets = [
    ...algorithms.map((label, i) => ({
      label,
      data: ordered.map((v) => v.candidates.find((c) => c.label === label)?.holdout.rmse ?? null),
      backgroundColor: COLORS[i % COLORS.length],
      borderRadius: 3,
    })),
    // A version's RMSE means something only next to the noise floor of the same held-out orders.
    {
      label: 'noise floor (same holdout)',
      data: ordered.map((v) => v.noiseFloor ?? null),
      backgroundColor: '#8a9ba8',
      borderRadius: 3,
    },
  ];
  if (chart) {
    chart.$versions = versions;
    chart.data.labels = labels;
    chart.data.datasets = datasets;
    chart.update('none');
    return;
  }
  chart = new window.Chart($('#rmse-chart'), {
    type: 'bar',
    data: { labels, datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            footer: (items) => {
              const v = [...chart.$versions].reverse()[items[0]?.dataIndex];
              return v
                ? `measured on ${v.version}'s holdout: ${v.trainingRows} rows (${v.trainingMode})`
                : '';
            },
          },
        },
      },
      scales: {
        y: {
          beginAtZero: true,
          title: { display: true, text: 'holdout RMSE (each version on its own holdout)' },
          grid: { color: '#8882' },
        },
        x: { grid: { display: false } },
      },
    },
  });
  chart.$versions = versions;
}

/** #/models/<version>: whose candidates the table shows (default: the current version). */
let chosenVersion = null;

export const modelsSection = {
  route(parts) {
    chosenVersion = parts[0] ?? null;
  },
  async refresh() {
    const { versions } = await api('/api/models');
    const current = versions.find((v) => v.current);
    const shown = versions.find((v) => v.version === chosenVersion) ?? current;
    $('#candidates-title').textContent = shown
      ? `Candidates of ${shown.version}${shown.current ? ' (current)' : ''} — measured on its own holdout (${fmtNumber(shown.trainingRows)} rows, ${shown.trainingMode})`
      : 'Candidates';
    replaceIfChanged(
      $('#model-tiles'),
      versions,
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
        current ? timeEl(current.createdAt, { dateToo: true }) : '–',
        current
          ? `${fmtNumber(current.trainingRows)} rows (${current.trainingMode}), ${current.categoryCount} categories`
          : '',
      ),
      tile('versions', fmtNumber(versions.length)),
    );
    replaceIfChanged(
      $('#candidates'),
      shown ?? null,
      table(
        ['model', 'RMSE', 'MAE', 'R²', 'train ms'],
        (shown?.candidates ?? []).map((c) =>
          el(
            'tr',
            { class: c.algorithm === shown.algorithm ? 'chosen' : '' },
            el('td', {}, c.algorithm === shown.algorithm ? '★ ' : '', c.label),
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
