// A Gantt chart of a run's task tries: one row per try, a bar from its start to its end on the run's time axis
// (a running try reaches "now"). Fan-out shows as parallel bars.
import { el, fmtDuration } from './dom.js';

export function gantt(tries) {
  const started = tries.filter((t) => t.startedAt);
  if (started.length === 0) return el('p', { class: 'muted small' }, 'no task has started yet');
  const now = Date.now();
  const from = Math.min(...started.map((t) => Date.parse(t.startedAt)));
  const to = Math.max(...started.map((t) => (t.endedAt ? Date.parse(t.endedAt) : now)), from + 1);
  const span = to - from;
  return el(
    'div',
    { class: 'gantt', role: 'img', 'aria-label': 'Gantt chart of the task tries' },
    started.map((t) => {
      const s = Date.parse(t.startedAt);
      const e = t.endedAt ? Date.parse(t.endedAt) : now;
      const label = `${t.taskId}${t.tryNumber > 1 ? ` #${t.tryNumber}` : ''}`;
      return el(
        'div',
        { class: 'gantt-row', dataset: { taskId: t.taskId } },
        el('div', { class: 'gantt-task', title: label }, label),
        el(
          'div',
          { class: 'gantt-track' },
          el('div', {
            class: `gantt-bar state-${t.state}`,
            style: `left:${(((s - from) / span) * 100).toFixed(2)}%;width:${(((e - s) / span) * 100).toFixed(2)}%`,
            title: `${label} · ${t.state} · ${fmtDuration(e - s)}`,
          }),
        ),
      );
    }),
    el('div', { class: 'gantt-axis' }, el('span', {}, '0'), el('span', {}, fmtDuration(span))),
  );
}
