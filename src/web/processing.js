// The Processing section of an incremental run's panel (like the Spark UI's task pages), from the run's
// `processing` view (GET /api/runs/:id, computed by the server: orchestration/processing-view.ts): its parts as a
// timeline grouped and coloured by worker and as a table, the throughput of each worker, and the critical path —
// the chain of steps the run's end waited on, whose part is outlined in the timeline and starred in the table.
import { el, fmtDuration, fmtNumber, table, timeEl } from './dom.js';
import { timeline } from './gantt.js';

const WORKER_COLOURS = 6;
const mb = (bytes) =>
  bytes < 1e6
    ? `${fmtNumber(bytes / 1e3, bytes < 1e4 ? 1 : 0)} kB`
    : `${fmtNumber(bytes / 1e6, bytes < 1e7 ? 2 : 1)} MB`;
const rate = (mbps) => (mbps === null ? '–' : `${fmtNumber(mbps, 1)} MB/s`);
const ms = (iso) => (iso ? Date.parse(iso) : null);
const partLabel = (p) => (p.rangeCount > 1 ? `${p.path} [${p.rangeIndex + 1}/${p.rangeCount}]` : p.path);

function swatch(cls, text) {
  return el('span', { class: 'worker-name' }, el('span', { class: `swatch ${cls}` }), text);
}

function summary(t) {
  const workers = `${t.workers} worker${t.workers === 1 ? '' : 's'}`;
  const issues = [t.rejected && `${t.rejected} rejected`, t.changed && `${t.changed} changed`].filter(
    Boolean,
  );
  return el(
    'p',
    { class: 'processing-summary small' },
    el('strong', {}, `${t.parts} part${t.parts === 1 ? '' : 's'}`),
    ` of ${t.files} file${t.files === 1 ? '' : 's'} on ${workers} · ${mb(t.bytes)} · `,
    el('strong', {}, rate(t.mbPerSecond)),
    ` · ${fmtNumber(t.orders)} orders · wall ${fmtDuration(t.wallMs)} · busy ${fmtDuration(t.busyMs)}`,
    t.tries > t.parts ? ` · ${t.tries - t.parts} retries` : '',
    issues.length ? ` · ${issues.join(', ')}` : '',
  );
}

/** The part table's columns, header and cell together (style.css hides Items, Bad and Started on a phone). */
const PART_COLUMNS = [
  [
    'Part',
    (p) =>
      el('td', { class: 'part-name', title: p.reason ?? partLabel(p) }, p.critical ? '★ ' : '', partLabel(p)),
  ],
  [
    'Worker',
    (p, colour) => el('td', { title: p.worker ?? '' }, p.worker ? swatch(colour(p.worker), p.worker) : '–'),
  ],
  ['Duration', (p) => el('td', { class: 'num' }, fmtDuration(p.durationMs))],
  ['Wait', (p) => el('td', { class: 'num' }, fmtDuration(p.waitMs))],
  ['Bytes', (p) => el('td', { class: 'num' }, mb(p.bytes))],
  ['Orders', (p) => el('td', { class: 'num' }, fmtNumber(p.orders))],
  ['Items', (p) => el('td', { class: 'num' }, fmtNumber(p.items))],
  ['Bad', (p) => el('td', { class: 'num' }, fmtNumber(p.badRows))],
  ['Tries', (p) => el('td', { class: 'num' }, p.tries)],
  ['Started', (p) => el('td', {}, timeEl(p.startedAt))],
  ['Outcome', (p) => el('td', {}, p.outcome ?? p.state)],
];

function partRow(p, colour) {
  return el(
    'tr',
    { class: p.critical ? 'critical' : '', dataset: { part: partLabel(p) } },
    PART_COLUMNS.map(([, cell]) => cell(p, colour)),
  );
}

function workerRow(w, colour) {
  return el(
    'tr',
    {},
    el('td', {}, swatch(colour(w.worker), w.worker)),
    el('td', { class: 'num' }, w.parts),
    el('td', { class: 'num' }, rate(w.mbPerSecond)),
    el('td', { class: 'num' }, fmtDuration(w.busyMs)),
    el('td', { class: 'num' }, mb(w.bytes)),
  );
}

/** The section, or null for a run without parts (other DAGs, a run that found nothing new). */
export function processingSection(run) {
  const view = run.processing;
  if (!view) return null;
  const names = view.workers.map((w) => w.worker);
  const colour = (worker) => `worker-${names.indexOf(worker) % WORKER_COLOURS}`;
  // The task Gantt's axis (its tries' span), so the three charts line up.
  const tries = run.tasks.filter((t) => t.state !== 'cleared' && t.startedAt);
  const from = tries.length ? Math.min(...tries.map((t) => ms(t.startedAt))) : undefined;
  const to = tries.length ? Math.max(...tries.map((t) => ms(t.endedAt) ?? Date.now())) : undefined;
  const path = view.criticalPath;
  const parts = [...view.parts].sort(
    (a, b) =>
      (a.worker ?? '~').localeCompare(b.worker ?? '~') || (ms(a.startedAt) ?? 0) - (ms(b.startedAt) ?? 0),
  );
  return el(
    'section',
    { class: 'processing' },
    el('h3', { class: 'small muted' }, 'Processing'),
    summary(view.totals),
    el('h4', { class: 'small muted' }, 'Parts by worker'),
    timeline(
      parts.map((p) => ({
        label: partLabel(p),
        start: ms(p.startedAt),
        end: ms(p.endedAt),
        cls: `${p.worker ? colour(p.worker) : ''}${p.critical ? ' critical' : ''}`,
        title: `${p.worker ?? ''} · ${mb(p.bytes)} · ${p.durationMs === null ? p.state : fmtDuration(p.durationMs)}`,
        group: p.worker ?? 'not started',
        note: fmtDuration(p.durationMs),
        data: { part: partLabel(p) },
      })),
      {
        label: 'Timeline of the parts by worker',
        class: 'parts-timeline',
        from,
        to,
        empty: 'no part has started yet',
      },
    ),
    el('h4', { class: 'small muted' }, 'Critical path'),
    timeline(
      path.map((s) => ({
        label: s.label,
        start: ms(s.startedAt),
        end: ms(s.endedAt),
        cls:
          s.kind === 'wait' ? 'wait' : s.kind === 'part' ? `${colour(s.worker)} critical` : 'state-success',
        title: s.worker && s.kind === 'part' ? `on ${s.worker}` : undefined,
        note: fmtDuration(s.durationMs),
        data: { step: s.kind },
      })),
      { label: 'Critical path of the run', class: 'critical-path', from, to },
    ),
    el('h4', { class: 'small muted' }, 'Workers'),
    el(
      'div',
      { class: 'scroll-x' },
      table(
        ['Worker', 'Parts', 'Throughput', 'Busy', 'Bytes'],
        view.workers.map((w) => workerRow(w, colour)),
        { class: 'processing-workers' },
      ),
    ),
    el('h4', { class: 'small muted' }, 'Parts'),
    el(
      'div',
      { class: 'scroll-x' },
      table(
        PART_COLUMNS.map(([header]) => header),
        view.parts.map((p) => partRow(p, colour)),
        { class: 'processing-parts' },
      ),
    ),
  );
}
