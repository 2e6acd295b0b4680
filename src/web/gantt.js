// Gantt charts of a run: one row per bar on a shared time axis (a running bar reaches "now"). `timeline` draws any
// rows — the task tries, an incremental run's parts grouped by worker, its critical path — so they share one look;
// `gantt` is the chart of the task tries, where fan-out shows as parallel bars.
import { el, fmtDuration } from './dom.js';

/**
 * rows: { label, start, end (ms; null: still running), cls, title?, group?, note?, data? }; a row without `start`
 * is left out. options: { label (for screen readers), class, from/to (the axis; default the rows' span), empty }.
 */
export function timeline(rows, options = {}) {
  const started = rows.filter((r) => r.start !== null && r.start !== undefined);
  if (started.length === 0)
    return el('p', { class: 'muted small' }, options.empty ?? 'nothing has started yet');
  const now = Date.now();
  const from = options.from ?? Math.min(...started.map((r) => r.start));
  const to = Math.max(options.to ?? from, ...started.map((r) => r.end ?? now), from + 1);
  const span = to - from;
  const pct = (ms) => ((ms / span) * 100).toFixed(2);
  const notes = started.some((r) => r.note !== undefined);
  let group;
  return el(
    'div',
    {
      class: `gantt${notes ? ' with-notes' : ''} ${options.class ?? ''}`,
      role: 'img',
      'aria-label': options.label ?? 'Gantt chart',
    },
    started.map((r) => {
      const header =
        r.group !== undefined && r.group !== group ? el('div', { class: 'gantt-group' }, r.group) : null;
      group = r.group;
      const e = r.end ?? now;
      return [
        header,
        el(
          'div',
          { class: 'gantt-row', dataset: r.data },
          el('div', { class: 'gantt-task', title: r.label }, r.label),
          el(
            'div',
            { class: 'gantt-track' },
            el('div', {
              class: `gantt-bar ${r.cls ?? ''}`,
              style: `left:${pct(r.start - from)}%;width:${pct(e - r.start)}%`,
              title: `${r.label} · ${r.title ?? fmtDuration(e - r.start)}`,
            }),
          ),
          notes ? el('div', { class: 'gantt-note' }, r.note ?? '') : null,
        ),
      ];
    }),
    el('div', { class: 'gantt-axis' }, el('span', {}, '0'), el('span', {}, fmtDuration(span))),
  );
}

export function gantt(tries) {
  return timeline(
    tries
      .filter((t) => t.startedAt)
      .map((t) => {
        const s = Date.parse(t.startedAt);
        const e = t.endedAt ? Date.parse(t.endedAt) : null;
        return {
          label: `${t.taskId}${t.tryNumber > 1 ? ` #${t.tryNumber}` : ''}`,
          start: s,
          end: e,
          cls: `state-${t.state}`,
          title: `${t.state} · ${fmtDuration((e ?? Date.now()) - s)}`,
          note: e === null ? 'running' : fmtDuration(e - s),
          data: { taskId: t.taskId },
        };
      }),
    { label: 'Gantt chart of the task tries', empty: 'no task has started yet' },
  );
}
