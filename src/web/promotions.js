// Models page, promotion part: every version against the champion it was compared with on the same held-out
// data (its own holdout), the log of promotions, rejections and rollbacks, and buttons to promote a version or
// roll back (POST /api/models/:version/promote, /api/models/rollback; the cache follows at once).
import { api } from './api.js';
import { $, el, fmtNumber, replaceIfChanged, table, timeEl } from './dom.js';

async function move(path, onDone) {
  try {
    await api(path, { method: 'POST' });
  } catch (error) {
    window.alert(error.message);
  }
  await onDone();
}

let incrementChart = null;

/** RMSE of the serving model on each arriving increment, next to that increment's noise floor. */
async function drawIncrements() {
  const { increments } = await api('/api/models/increments').catch(() => ({ increments: [] }));
  const labels = increments.map((i) => `${i.path} (${i.modelVersion})`);
  const datasets = [
    {
      label: 'RMSE of the serving model',
      data: increments.map((i) => i.rmse),
      borderColor: '#a8201a',
      backgroundColor: '#a8201a',
    },
    {
      label: 'noise floor',
      data: increments.map((i) => i.noiseFloor),
      borderColor: '#0f8b8d',
      backgroundColor: '#0f8b8d',
      borderDash: [4, 3],
    },
  ];
  if (incrementChart) {
    incrementChart.data.labels = labels;
    incrementChart.data.datasets = datasets;
    incrementChart.update('none');
    return;
  }
  incrementChart = new window.Chart($('#increment-chart'), {
    type: 'line',
    data: { labels, datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: { y: { title: { display: true, text: 'RMSE per cell' } }, x: { ticks: { display: false } } },
    },
  });
}

export async function renderPromotions(versions, onDone) {
  await drawIncrements();
  const { events } = await api('/api/models/promotions').catch(() => ({ events: [] }));
  const rows = versions.map((v) => {
    const d = v.decision;
    const status = v.current ? 'current' : d && !d.promoted ? 'rejected' : 'former';
    return el(
      'tr',
      { class: v.current ? 'chosen' : '' },
      el('td', {}, v.version),
      el('td', {}, status),
      el('td', {}, fmtNumber(d?.challengerHoldout.rmse ?? v.metrics.holdout.rmse, 4)),
      el('td', {}, d?.champion ?? '–'),
      el('td', {}, d?.championHoldout ? fmtNumber(d.championHoldout.rmse, 4) : '–'),
      el('td', {}, v.noiseFloor === null ? '–' : fmtNumber(v.noiseFloor, 4)),
      el(
        'td',
        {},
        v.current
          ? ''
          : el(
              'button',
              { class: 'ghost', onclick: () => move(`/api/models/${v.version}/promote`, onDone) },
              'promote',
            ),
      ),
    );
  });
  // Re-rendered only when the versions or the log changed (the dashboard polls every 2 s).
  replaceIfChanged(
    $('#promotions'),
    { versions, events },
    el('button', { class: 'ghost', onclick: () => move('/api/models/rollback', onDone) }, '↶ Roll back'),
    table(
      ['version', 'status', 'RMSE', 'champion', 'champion RMSE (same holdout)', 'noise floor', ''],
      rows,
      {
        empty: 'no model trained yet',
      },
    ),
    table(
      ['when', 'action', 'version', 'was', 'reason'],
      events.map((e) =>
        el(
          'tr',
          {},
          el('td', {}, timeEl(e.createdAt, { dateToo: true })),
          el('td', {}, e.action),
          el('td', {}, e.version),
          el('td', {}, e.previousVersion ?? '–'),
          el('td', {}, e.reason),
        ),
      ),
      { empty: 'no promotions yet' },
    ),
  );
}
