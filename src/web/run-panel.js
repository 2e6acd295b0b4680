// The run panel of the DAG page (#/dags/<dag>/runs/<run>[/tasks/<task>]): the run's state and parameters, the
// operator's actions, a Gantt of its tries, an incremental run's Processing section (processing.js), and each task
// with its tries and logs. The open task's log follows a
// running task (it stays at the bottom if the reader was there) and stays open across refreshes, because it is in
// the URL and the panel re-renders only when the run changed.
import { api, session } from './api.js';
import { $, el, fmtDuration, renderIfChanged, timeEl } from './dom.js';
import { gantt } from './gantt.js';
import { processingSection } from './processing.js';
import { runActions, taskActions } from './dag-actions.js';

export const pill = (state) => el('span', { class: `pill state-${state}` }, state.replace(/_/g, ' '));

/** What the task logged beside its message (computed by the server: orchestration/log-fields.ts), as `key=value`. */
function logDetails(fields) {
  const parts = Object.entries(fields ?? {}).map(
    ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return parts.length ? el('span', { class: 'log-fields' }, parts.join(' ')) : null;
}

function logLine(l) {
  return el(
    'div',
    { class: `log log-${l.level}` },
    el('span', { class: 'log-time', title: `${l.time} UTC` }, new Date(l.time).toLocaleTimeString()),
    el('span', { class: 'log-level' }, l.level),
    el('span', {}, l.message),
    logDetails(l.fields),
  );
}

function taskBlock(view, run, taskId, tries) {
  const latest = tries.at(-1);
  const open = view.taskId === taskId;
  const details = el(
    'details',
    { class: 'task', open, dataset: { taskId } },
    el(
      'summary',
      {},
      pill(latest.state),
      ` ${taskId}`,
      tries.length > 1 ? el('span', { class: 'muted' }, ` (${tries.length} tries)`) : '',
      el('span', { class: 'muted small' }, ` ${fmtDuration(durationOf(latest))}`),
    ),
    taskActions(run, taskId, latest, () => refreshRun(view)),
    tries.map((t) =>
      el(
        'div',
        { class: 'try' },
        tries.length > 1 ? el('div', { class: 'muted small' }, `try ${t.tryNumber} · ${t.state}`) : null,
        t.error ? el('div', { class: 'error' }, t.error) : null,
        t.state === 'cleared'
          ? el('div', { class: 'muted small' }, 'cleared: the task runs again in the next try')
          : el(
              'div',
              { class: 'logs', dataset: { taskId } },
              t.logs.length ? t.logs.map(logLine) : el('div', { class: 'muted' }, 'no log lines'),
            ),
      ),
    ),
  );
  details.addEventListener('toggle', () => {
    if (details.open && view.taskId !== taskId) view.openRun(run.dagId, run.id, taskId);
    if (!details.open && view.taskId === taskId) view.openRun(run.dagId, run.id);
  });
  return details;
}

function durationOf(t) {
  if (!t.startedAt) return null;
  return (t.endedAt ? Date.parse(t.endedAt) : Date.now()) - Date.parse(t.startedAt);
}

/**
 * Renders the run of `view.runId` into #run-detail, its `view.taskId` open. `view.openRun(dag, run, task?)` changes
 * the route; `view.closeHref(dag)` is where ✕ goes.
 */
export async function refreshRun(view) {
  const panel = $('#run-detail');
  if (!view.runId) {
    panel.hidden = true;
    return;
  }
  let run;
  try {
    run = await api(`/api/runs/${encodeURIComponent(view.runId)}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    panel.hidden = false;
    renderIfChanged(panel, { missing: view.runId }, () => el('p', {}, `No run ${view.runId}.`));
    return;
  }
  panel.hidden = false;
  // Follow a running task's log: stay at the bottom if the reader was there, else keep their place.
  const log = panel.querySelector(`details[open] .logs`);
  const atBottom = !log || log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  const scrollTop = log?.scrollTop ?? 0;
  const byTask = new Map();
  for (const t of run.tasks) byTask.set(t.taskId, [...(byTask.get(t.taskId) ?? []), t]);
  const changed = renderIfChanged(panel, { run, task: view.taskId, role: session.role }, () => [
    el(
      'div',
      { class: 'run-head' },
      el('h2', {}, `${run.dagId} · run ${run.id} `, pill(run.state)),
      el(
        'span',
        { class: 'muted' },
        `${run.trigger} · started `,
        timeEl(run.startedAt, { dateToo: true }),
        ` · ${run.durationMs !== null ? fmtDuration(run.durationMs) : 'running'}`,
        run.params ? ` · params ${JSON.stringify(run.params)}` : '',
      ),
      runActions(run, () => refreshRun(view)),
      el('a', { class: 'button ghost close', href: view.closeHref(run.dagId), title: 'close' }, '✕'),
    ),
    el('h3', { class: 'small muted' }, 'Gantt'),
    gantt(run.tasks.filter((t) => t.state !== 'cleared')),
    processingSection(run),
    [...byTask].map(([taskId, tries]) => taskBlock(view, run, taskId, tries)),
  ]);
  if (changed) {
    const next = panel.querySelector(`details[open] .logs`);
    if (next) next.scrollTop = atBottom ? next.scrollHeight : scrollTop;
  }
}
