// Data: a heatmap of items by day × hour (an HTML table with coloured cells), the top categories (chart.js bars)
// and the ingest ledger (processed days and files, pending files, quarantined rows).
import { api } from './api.js';
import { $, el, fmtNumber, replaceIfChanged, table, tile, timeEl, toast } from './dom.js';
import { reprocessCard } from './reprocess.js';
import { go } from './router.js';

/** #/data/batches/<batch> or #/data/files/<path>: the batch or file opened in the ledger. */
let opened = { batch: null, file: null };

let topChart = null;

/** White → deep teal, by the share of the largest cell. */
function heat(value, max) {
  const t = max > 0 ? Math.sqrt(value / max) : 0;
  const from = [240, 247, 246];
  const to = [8, 104, 112];
  const c = from.map((f, i) => Math.round(f + (to[i] - f) * t));
  return { bg: `rgb(${c.join(',')})`, fg: t > 0.55 ? '#fff' : '#1d2b36' };
}

function heatmap(matrix) {
  const max = Math.max(0, ...matrix.flat());
  const hours = Array.from({ length: 24 }, (_, h) => h);
  return el(
    'table',
    { class: 'heatmap', id: 'heatmap-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, 'day \\ hour'),
        hours.map((h) => el('th', {}, String(h))),
      ),
    ),
    el(
      'tbody',
      {},
      matrix.map((row, d) =>
        el(
          'tr',
          {},
          el('th', {}, `day ${d}`),
          row.map((v, h) => {
            const { bg, fg } = heat(v, max);
            return el(
              'td',
              { style: `background:${bg};color:${fg}`, title: `day ${d}, ${h}:00 — ${fmtNumber(v)} items` },
              v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)}k` : v > 0 ? String(v) : '',
            );
          }),
        ),
      ),
    ),
  );
}

function drawTop(top) {
  const labels = top.map((t) => t.category);
  const data = top.map((t) => t.items);
  if (topChart) {
    topChart.data.labels = labels;
    topChart.data.datasets[0].data = data;
    topChart.update('none');
    return;
  }
  topChart = new window.Chart($('#top-chart'), {
    type: 'bar',
    data: { labels, datasets: [{ label: 'items', data, backgroundColor: '#0f8b8d', borderRadius: 4 }] },
    options: {
      indexAxis: 'y',
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, grid: { color: '#eef2f4' } }, y: { grid: { display: false } } },
    },
  });
}

/** Pending, rejected and duplicate files, each with its reason; rejected and duplicate ones can be retried. */
function fileIssues(ledger) {
  const rows = [
    ...ledger.skippedFiles.map((f) => ({ ...f, state: f.status })),
    ...ledger.pendingFiles.map((f) => ({ ...f, state: 'pending' })),
  ];
  if (rows.length === 0) return null;
  return el(
    'div',
    { id: 'file-issues' },
    el('h3', {}, 'Files not counted yet'),
    table(
      ['file', 'state', 'why', ''],
      rows.map((f) =>
        el(
          'tr',
          { dataset: { path: f.path, state: f.state } },
          el('td', { class: 'mono' }, f.path),
          el('td', { class: f.state === 'rejected' ? 'bad-text' : '' }, f.state),
          el('td', { class: 'wrap' }, f.reason),
          el(
            'td',
            {},
            f.state === 'pending'
              ? ''
              : el(
                  'button',
                  {
                    class: 'small',
                    onclick: async () => {
                      try {
                        await api('/api/ingest/files/retry', { method: 'POST', body: { path: f.path } });
                        toast(`${f.path} will be read again by the next incremental run`);
                      } catch (err) {
                        toast(err.message, 'bad');
                      }
                    },
                  },
                  'retry',
                ),
          ),
        ),
      ),
    ),
  );
}

function ledgerView(ledger) {
  const rejected = ledger.skippedFiles.filter((f) => f.status === 'rejected');
  replaceIfChanged(
    $('#ledger-tiles'),
    ledger,
    tile(
      'processed days',
      fmtNumber(ledger.processedDays.length),
      ledger.lastProcessedDay ? `last: ${ledger.lastProcessedDay}` : 'none yet',
    ),
    tile(
      'files committed',
      fmtNumber(ledger.totals.files),
      `${fmtNumber(ledger.totals.orders)} orders · ${fmtNumber(ledger.totals.items)} items`,
    ),
    tile(
      'pending files',
      fmtNumber(ledger.pendingFiles.length),
      ledger.pendingFiles[0]?.path ?? 'nothing waiting',
      ledger.pendingFiles.length ? 'warn' : '',
    ),
    tile(
      'rejected files',
      fmtNumber(rejected.length),
      rejected[0]?.path ?? 'none',
      rejected.length ? 'bad' : '',
    ),
    tile(
      'quarantined rows',
      fmtNumber(ledger.totals.quarantinedRows),
      'rejected by validation',
      ledger.totals.quarantinedRows ? 'bad' : '',
    ),
    tile(
      'Redis tracking',
      ledger.trackingAgrees === null ? 'unknown' : ledger.trackingAgrees ? 'in sync' : 'differs',
      'processed_days vs ledger',
      ledger.trackingAgrees === false ? 'warn' : '',
    ),
  );
  replaceIfChanged(
    $('#ledger'),
    { ledger, opened },
    table(
      ['batch', 'files', 'orders', 'items', 'quarantined rows', 'committed'],
      [...ledger.batches]
        .reverse()
        .map((b) =>
          el(
            'tr',
            { class: opened.batch === b.batch ? 'chosen' : '', dataset: { batch: b.batch } },
            el('td', {}, el('a', { href: `#/data/batches/${encodeURIComponent(b.batch)}` }, b.batch)),
            el('td', {}, fmtNumber(b.files)),
            el('td', {}, fmtNumber(b.orders)),
            el('td', {}, fmtNumber(b.items)),
            el('td', { class: b.quarantinedRows ? 'bad-text' : '' }, fmtNumber(b.quarantinedRows)),
            el('td', {}, timeEl(b.committedAt, { dateToo: true })),
          ),
        ),
      { empty: 'no batch committed yet' },
    ),
    filesOf(ledger),
    fileIssues(ledger),
  );
}

function filesOf(ledger) {
  const files = ledger.files.filter((f) =>
    opened.file ? f.path === opened.file : opened.batch ? f.batch === opened.batch : false,
  );
  if (!opened.batch && !opened.file) return null;
  return el(
    'div',
    { class: 'opened', id: 'ledger-files' },
    el(
      'h3',
      {},
      opened.file ? `File ${opened.file}` : `Files of batch ${opened.batch}`,
      ' ',
      el('button', { class: 'small secondary', onclick: () => go(['data']) }, 'close'),
    ),
    table(
      ['file', 'sha256', 'orders', 'items', 'quarantined rows', 'committed'],
      files.map((f) =>
        el(
          'tr',
          {},
          el('td', {}, el('a', { href: `#/data/files/${encodeURIComponent(f.path)}` }, f.path)),
          el('td', { title: f.sha256 }, f.sha256.slice(0, 12)),
          el('td', {}, fmtNumber(f.orders)),
          el('td', {}, fmtNumber(f.items)),
          el('td', {}, fmtNumber(f.quarantinedRows)),
          el('td', {}, timeEl(f.committedAt, { dateToo: true })),
        ),
      ),
      { empty: 'no committed file here' },
    ),
  );
}

export const dataSection = {
  route(parts) {
    opened = {
      batch: parts[0] === 'batches' ? (parts[1] ?? null) : null,
      file: parts[0] === 'files' ? parts.slice(1).join('/') || null : null,
    };
  },
  async refresh() {
    const [agg, ledger] = await Promise.all([api('/api/aggregates?top=12'), api('/api/ingest')]);
    replaceIfChanged(
      $('#heatmap'),
      agg,
      agg.file
        ? heatmap(agg.heatmap)
        : el('p', { class: 'muted' }, 'no aggregate yet: run `orderflow aggregate` or the incremental DAG'),
      el(
        'p',
        { class: 'muted small' },
        agg.file ? `${fmtNumber(agg.totalItems)} items from ${agg.file}` : '',
      ),
    );
    drawTop(agg.topCategories);
    ledgerView(ledger);
    reprocessCard($('#reprocess'), ledger);
  },
};
