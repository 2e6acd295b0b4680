// DAGs, as an Airflow user expects them:
//   #/dags                         every DAG: paused or not, schedule, last/next run, its recent runs
//   #/dags/<dag>?state=&trigger=&page=   one DAG: legend, filters, 100 runs a page with duration bars, task graph
//   #/dags/<dag>/runs/<run>[/tasks/<task>]  one run: graph, Gantt, tasks with their tries and logs, actions
// Each part is re-rendered only when its data changed (renderIfChanged), so an open log keeps its place.
import { api, session } from './api.js';
import { $, clearRendered, el, fmtDuration, renderIfChanged, timeEl, toast } from './dom.js';
import { dagGraph } from './graph.js';
import { go, href } from './router.js';
import { canOperate, triggerForm } from './dag-actions.js';
import { pill, refreshRun } from './run-panel.js';

const LIST_RUNS = 25;
const PAGE = 100;
const LEGEND = [
  ['success', 'success'],
  ['running', 'running'],
  ['queued', 'queued'],
  ['up_for_retry', 'retrying'],
  ['failed', 'failed'],
  ['upstream_failed', 'upstream failed'],
  ['skipped', 'skipped (a run was active)'],
  ['none', 'not run'],
];

let route = { dagId: null, runId: null, taskId: null, state: '', trigger: '', page: 0 };
const cards = new Map();

function legend() {
  return el(
    'div',
    { class: 'legend', 'aria-label': 'state colours' },
    LEGEND.map(([state, text]) => el('span', {}, el('i', { class: `cell state-${state}` }), text)),
  );
}

/** The latest try of each task of a run (tries come in the order they were created). */
function latestTries(run) {
  const latest = new Map();
  for (const t of run.tasks) latest.set(t.taskId, t);
  return latest;
}

function openRun(dagId, runId, taskId) {
  go(
    taskId ? ['dags', dagId, 'runs', runId, 'tasks', taskId] : ['dags', dagId, 'runs', runId],
    currentQuery(),
  );
}

function currentQuery() {
  return { state: route.state, trigger: route.trigger, page: route.page || undefined };
}

function gridFor(dag, runs, { durations = false } = {}) {
  const ordered = [...runs].reverse(); // oldest left, newest right, as in Airflow's grid
  const longest = Math.max(1, ...ordered.map((r) => r.durationMs ?? 0));
  const durationRow = durations
    ? el(
        'tr',
        { class: 'durations' },
        el('th', { class: 'grid-task muted small' }, `duration (max ${fmtDuration(longest)})`),
        ordered.map((r) =>
          el(
            'td',
            {},
            el(
              'div',
              { class: 'dur' },
              el('div', {
                class: `dur-bar state-${r.state}`,
                style: `height:${(((r.durationMs ?? 0) / longest) * 100).toFixed(1)}%`,
                title: `run ${r.id}: ${fmtDuration(r.durationMs)}`,
              }),
            ),
          ),
        ),
      )
    : null;
  const header = el(
    'tr',
    {},
    el('th', { class: 'grid-task' }, ''),
    ordered.map((r) => {
      const when = r.startedAt ?? r.createdAt;
      const local = when ? new Date(when).toLocaleString() : '';
      return el(
        'th',
        {},
        el('button', {
          class: `cell run state-${r.state} ${route.runId === r.id ? 'selected' : ''}`,
          title: `run ${r.id} · ${r.state} · ${r.trigger} · ${local} (${when ?? ''} UTC) · ${fmtDuration(r.durationMs)}`,
          'aria-label': `run ${r.id} ${r.state}`,
          dataset: { runId: r.id },
          onclick: () => openRun(dag.id, r.id),
        }),
      );
    }),
  );
  const rows = dag.tasks.map(({ id: task }) =>
    el(
      'tr',
      {},
      el('td', { class: 'grid-task' }, task),
      ordered.map((r) => {
        const t = latestTries(r).get(task);
        const state = t?.state ?? (r.state === 'skipped' ? 'skipped' : 'none');
        return el(
          'td',
          {},
          el('button', {
            class: `cell state-${state}`,
            title: `${task} · ${state}${t?.tryNumber > 1 ? ` · try ${t.tryNumber}` : ''}`,
            onclick: () => openRun(dag.id, r.id, task),
          }),
        );
      }),
    ),
  );
  return el(
    'div',
    { class: 'scroll-x' },
    el('table', { class: 'run-grid' }, el('thead', {}, durationRow, header), el('tbody', {}, rows)),
  );
}

function dagHead(dag) {
  const last = dag.lastRun;
  return el(
    'div',
    { class: 'dag-head' },
    el(
      'label',
      { class: 'switch', title: dag.paused ? 'paused: click to unpause' : 'active: click to pause' },
      el('input', {
        type: 'checkbox',
        class: 'pause-toggle',
        checked: !dag.paused,
        disabled: !canOperate(),
        'aria-label': `${dag.id} active`,
        onchange: () => act(dag, dag.paused ? 'unpause' : 'pause'),
      }),
      el('span', { class: 'slider' }),
    ),
    el(
      'div',
      { class: 'dag-title' },
      el(
        'h2',
        {},
        el('a', { href: href(['dags', dag.id]) }, dag.id),
        dag.paused ? el('span', { class: 'badge-paused' }, 'PAUSED') : null,
      ),
      el('div', { class: 'muted' }, dag.description ?? ''),
    ),
    el(
      'div',
      { class: 'dag-meta' },
      el('div', {}, el('span', { class: 'meta-label' }, 'schedule'), dag.scheduleText),
      el(
        'div',
        {},
        el('span', { class: 'meta-label' }, 'last run'),
        last ? pill(last.state) : '–',
        ' ',
        last ? timeEl(last.endedAt ?? last.startedAt ?? last.createdAt) : '',
      ),
      el(
        'div',
        {},
        el('span', { class: 'meta-label' }, 'next run'),
        dag.paused ? el('span', { class: 'muted' }, 'paused') : timeEl(dag.nextRunAt),
      ),
    ),
    el(
      'div',
      { class: 'dag-actions' },
      canOperate()
        ? el(
            'button',
            { class: 'trigger', onclick: () => act(dag, 'trigger'), title: 'run now' },
            '▶ Trigger',
          )
        : null,
      canOperate() ? triggerForm(dag, (runId) => openRun(dag.id, runId)) : null,
    ),
  );
}

async function act(dag, action) {
  try {
    const res = await api(`/api/dags/${encodeURIComponent(dag.id)}/${action}`, {
      method: 'POST',
      body: {},
    });
    if (action === 'trigger') {
      toast(
        res.outcome === 'skipped'
          ? `A run of ${dag.id} is already active`
          : `Triggered ${dag.id}: run ${res.runId}`,
      );
      if (res.runId) openRun(dag.id, res.runId);
    }
    await dagsSection.refresh();
  } catch (error) {
    toast(error.message, 'error');
  }
}

async function renderList() {
  const { dags } = await api('/api/dags');
  const runs = await Promise.all(
    dags.map((d) => api(`/api/dags/${encodeURIComponent(d.id)}/runs?limit=${LIST_RUNS}`)),
  );
  const list = $('#dag-list');
  dags.forEach((dag, i) => {
    let card = cards.get(dag.id);
    if (!card) {
      card = el('div', { class: 'card dag', dataset: { dagId: dag.id } });
      cards.set(dag.id, card);
    }
    if (card.parentNode !== list || list.children[i] !== card)
      list.insertBefore(card, list.children[i] ?? null);
    card.classList.toggle('paused', dag.paused);
    renderIfChanged(card, { dag, runs: runs[i].runs, run: route.runId, role: session.role }, () => [
      dagHead(dag),
      runs[i].runs.length > 0 ? gridFor(dag, runs[i].runs) : el('p', { class: 'muted' }, 'no runs yet'),
    ]);
  });
}

function filters(dag, hasMore) {
  const select = (name, values) =>
    el(
      'label',
      {},
      name,
      el(
        'select',
        {
          name,
          onchange: (e) =>
            go(['dags', dag.id], { ...currentQuery(), [name]: e.target.value, page: undefined }),
        },
        el('option', { value: '' }, 'any'),
        values.map((v) => el('option', { value: v, selected: route[name] === v }, v)),
      ),
    );
  const page = route.page;
  return el(
    'div',
    { class: 'toolbar' },
    select('state', ['success', 'failed', 'running', 'queued', 'skipped']),
    select('trigger', ['schedule', 'manual', 'event']),
    el(
      'div',
      { class: 'pager' },
      el(
        'button',
        {
          class: 'small secondary newer',
          disabled: page === 0,
          onclick: () => go(['dags', dag.id], { ...currentQuery(), page: page - 1 || undefined }),
        },
        '← newer',
      ),
      el('span', { class: 'muted' }, `runs ${page * PAGE + 1}–${page * PAGE + PAGE}`),
      el(
        'button',
        {
          class: 'small secondary older',
          disabled: !hasMore,
          onclick: () => go(['dags', dag.id], { ...currentQuery(), page: page + 1 }),
        },
        'older →',
      ),
    ),
  );
}

async function renderDetail() {
  const { dags } = await api('/api/dags');
  const dag = dags.find((d) => d.id === route.dagId);
  const box = $('#dag-detail');
  if (!dag) {
    renderIfChanged(box, { missing: route.dagId }, () =>
      el('div', { class: 'card' }, `No DAG ${route.dagId}. `, el('a', { href: '#/dags' }, 'All DAGs')),
    );
    return;
  }
  const query = new URLSearchParams({ limit: String(PAGE + 1), offset: String(route.page * PAGE) });
  if (route.state) query.set('state', route.state);
  if (route.trigger) query.set('trigger', route.trigger);
  const { runs: fetched } = await api(`/api/dags/${encodeURIComponent(dag.id)}/runs?${query}`);
  const runs = fetched.slice(0, PAGE);
  const selectedId = route.runId ?? runs.find((r) => r.state !== 'skipped')?.id ?? null;
  const selected = runs.find((r) => r.id === selectedId);
  const states = selected ? Object.fromEntries([...latestTries(selected)].map(([k, t]) => [k, t.state])) : {};
  renderIfChanged(box, { dag, runs, selectedId, route, role: session.role }, () => [
    el('div', { class: `card dag ${dag.paused ? 'paused' : ''}`, dataset: { dagId: dag.id } }, dagHead(dag)),
    el(
      'div',
      { class: 'card' },
      el('h2', {}, 'Runs', el('span', { class: 'muted small' }, ' — oldest left; bars: duration')),
      legend(),
      filters(dag, fetched.length > PAGE),
      runs.length ? gridFor(dag, runs, { durations: true }) : el('p', { class: 'muted' }, 'no runs match'),
    ),
    el(
      'div',
      { class: 'card graph', id: 'dag-graph' },
      el('h2', {}, 'Graph', selectedId ? el('span', { class: 'muted small' }, ` — run ${selectedId}`) : ''),
      window.dagre
        ? dagGraph(
            dag.tasks.map((t) => t.id),
            Object.fromEntries(dag.tasks.map((t) => [t.id, t.dependsOn])),
            states,
            (task) => (selectedId ? openRun(dag.id, selectedId, task) : undefined),
          )
        : el('p', { class: 'muted' }, 'loading the graph layout…'),
    ),
  ]);
}

export const dagsSection = {
  /** parts: [dag?, 'runs', run?, 'tasks', task?]; query: state, trigger, page. */
  route(parts, query) {
    const previousRun = route.runId;
    route = {
      dagId: parts[0] ?? null,
      runId: parts[1] === 'runs' && /^\d{1,15}$/.test(parts[2] ?? '') ? Number(parts[2]) : null,
      taskId: parts[3] === 'tasks' ? (parts[4] ?? null) : null,
      state: query.get('state') ?? '',
      trigger: query.get('trigger') ?? '',
      page: Math.max(0, Number.parseInt(query.get('page') ?? '0', 10) || 0),
    };
    $('#dag-list').hidden = route.dagId !== null;
    $('#dag-detail').hidden = route.dagId === null;
    if (!route.runId) $('#run-detail').hidden = true;
    // Another run: the previous one's panel must not stand for it until it has loaded.
    if (route.runId !== previousRun) clearRendered($('#run-detail'));
  },
  async refresh() {
    await (route.dagId ? renderDetail() : renderList());
    await refreshRun({
      runId: route.runId,
      taskId: route.taskId,
      openRun,
      closeHref: (dagId) => href(['dags', dagId], currentQuery()),
    });
  },
};
