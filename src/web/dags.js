// DAGs: schedule, paused toggle, last/next run, an Airflow-like grid (columns = runs, rows = tasks, colour =
// state), a trigger button, and the detail of a run with its task logs.
import { api } from './api.js';
import { $, el, relTime, replace, toast } from './dom.js';

const RUNS = 24;
let selectedRun = null;

const pill = (state) => el('span', { class: `pill state-${state}` }, state);

function gridFor(dag, runs) {
  const ordered = [...runs].reverse(); // oldest left, newest right, as in Airflow's grid
  const header = el(
    'tr',
    {},
    el('th', { class: 'grid-task' }, ''),
    ordered.map((r) =>
      el(
        'th',
        {},
        el('button', {
          class: `cell run state-${r.state} ${selectedRun === r.runId ? 'selected' : ''}`,
          title: `run ${r.runId} · ${r.state} · ${r.trigger} · ${r.startedAt ?? r.queuedAt ?? ''}`,
          'aria-label': `run ${r.runId} ${r.state}`,
          dataset: { runId: r.runId },
          onclick: () => openRun(r.runId),
        }),
      ),
    ),
  );
  const rows = dag.tasks.map((task) =>
    el(
      'tr',
      {},
      el('td', { class: 'grid-task' }, task),
      ordered.map((r) => {
        const t = r.tasks.find((x) => x.taskId === task);
        const state = t?.state ?? (r.state === 'skipped' ? 'skipped' : 'none');
        return el(
          'td',
          {},
          el('button', {
            class: `cell state-${state}`,
            title: `${task} · ${state}${t?.attempts > 1 ? ` · try ${t.attempts}` : ''}`,
            onclick: () => openRun(r.runId, task),
          }),
        );
      }),
    ),
  );
  return el('table', { class: 'run-grid' }, el('thead', {}, header), el('tbody', {}, rows));
}

async function act(dag, action) {
  try {
    const res = await api(`/api/dags/${encodeURIComponent(dag.dagId)}/${action}`, {
      method: 'POST',
      body: {},
    });
    if (action === 'trigger') {
      toast(
        res.outcome === 'skipped'
          ? `A run of ${dag.dagId} is already active`
          : `Triggered ${dag.dagId}: run ${res.runId}`,
      );
      if (res.runId) selectedRun = res.runId;
    }
    await dagsSection.refresh();
    if (action === 'trigger' && res.runId) await openRun(res.runId);
  } catch (error) {
    toast(error.message, 'error');
  }
}

function dagCard(dag, runs) {
  const last = dag.lastRun;
  return el(
    'div',
    { class: 'card dag', dataset: { dagId: dag.dagId } },
    el(
      'div',
      { class: 'dag-head' },
      el(
        'label',
        { class: 'switch', title: dag.paused ? 'paused: click to unpause' : 'active: click to pause' },
        el('input', {
          type: 'checkbox',
          class: 'pause-toggle',
          checked: !dag.paused,
          'aria-label': `${dag.dagId} active`,
          onchange: () => act(dag, dag.paused ? 'unpause' : 'pause'),
        }),
        el('span', { class: 'slider' }),
      ),
      el(
        'div',
        { class: 'dag-title' },
        el('h2', {}, dag.dagId),
        el('div', { class: 'muted' }, dag.description),
      ),
      el(
        'div',
        { class: 'dag-meta' },
        el('div', {}, el('span', { class: 'meta-label' }, 'schedule'), dag.schedule),
        el(
          'div',
          {},
          el('span', { class: 'meta-label' }, 'last run'),
          last ? pill(last.state) : '–',
          last ? ` ${relTime(last.finishedAt ?? last.startedAt ?? last.queuedAt)}` : '',
        ),
        el(
          'div',
          {},
          el('span', { class: 'meta-label' }, 'next run'),
          dag.paused ? 'paused' : relTime(dag.nextRunAt),
        ),
      ),
      el('button', { class: 'trigger', onclick: () => act(dag, 'trigger'), title: 'run now' }, '▶ Trigger'),
    ),
    runs.length > 0 ? gridFor(dag, runs) : el('p', { class: 'muted' }, 'no runs yet'),
  );
}

function logLine(l) {
  return el(
    'div',
    { class: `log log-${l.level}` },
    el('span', { class: 'log-time' }, l.at.slice(11, 23)),
    el('span', { class: 'log-level' }, l.level),
    el('span', {}, l.message),
    ...(l.fields && Object.keys(l.fields).length
      ? [el('span', { class: 'log-fields' }, formatFields(l.fields))]
      : []),
  );
}

/** The line's details as `key=value`, arrays and objects as compact JSON. */
function formatFields(fields) {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

async function openRun(runId, focusTask) {
  selectedRun = runId;
  const panel = $('#run-detail');
  try {
    const run = await api(`/api/runs/${encodeURIComponent(runId)}`);
    panel.hidden = false;
    replace(
      panel,
      el(
        'div',
        { class: 'run-head' },
        el('h2', {}, `${run.dagId} · run ${run.runId} `, pill(run.state)),
        el(
          'span',
          { class: 'muted' },
          `${run.trigger} · started ${relTime(run.startedAt)} · ${run.durationMs !== null ? `${(run.durationMs / 1000).toFixed(1)} s` : 'running'}`,
        ),
        el('button', { class: 'ghost', onclick: () => ((panel.hidden = true), (selectedRun = null)) }, '✕'),
      ),
      run.tasks.map((t) =>
        el(
          'details',
          { class: 'task', open: focusTask === undefined || focusTask === t.taskId },
          el('summary', {}, pill(t.state), ` ${t.taskId}`, t.attempts > 1 ? ` (try ${t.attempts})` : ''),
          t.error ? el('div', { class: 'error' }, t.error) : null,
          el(
            'div',
            { class: 'logs' },
            t.logs.length ? t.logs.map(logLine) : el('div', { class: 'muted' }, 'no log lines'),
          ),
        ),
      ),
    );
  } catch (error) {
    toast(error.message, 'error');
  }
}

export const dagsSection = {
  async refresh() {
    const { dags } = await api('/api/dags');
    const runs = await Promise.all(
      dags.map((d) => api(`/api/dags/${encodeURIComponent(d.dagId)}/runs?limit=${RUNS}`)),
    );
    replace(
      $('#dag-list'),
      dags.map((d, i) => dagCard(d, runs[i].runs)),
    );
    const panel = $('#run-detail');
    if (selectedRun && !panel.hidden) {
      const open = [...panel.querySelectorAll('details')]
        .filter((d) => d.open)
        .map((d) => d.querySelector('summary').textContent);
      await openRun(selectedRun);
      for (const d of panel.querySelectorAll('details'))
        d.open = open.length === 0 || open.includes(d.querySelector('summary').textContent);
    }
  },
};
