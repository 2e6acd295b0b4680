// Reprocess (backfill) on the Data page: choose committed batches, see in a dry run which (day, hour, category)
// cells would change and how many cached predictions with them, then apply (an operator), which starts the
// incremental run that reads them again.
import { api, session } from './api.js';
import { el, fmtNumber, replace, table, toast } from './dom.js';
import { go } from './router.js';

const chosen = new Set();
let plan = null;

function planView(container, ledger) {
  if (!plan) return null;
  const rows = plan.cells
    .slice(0, 100)
    .map((c) =>
      el(
        'tr',
        {},
        el('td', {}, `day ${c.day_of_week}`),
        el('td', {}, `${c.hour_of_day}:00`),
        el('td', {}, c.category),
        el('td', {}, fmtNumber(c.before)),
        el('td', {}, fmtNumber(c.after)),
        el(
          'td',
          { class: c.after < c.before ? 'bad-text' : '' },
          `${c.after >= c.before ? '+' : ''}${fmtNumber(c.after - c.before)}`,
        ),
      ),
    );
  const canApply =
    (session.role === 'operator' || session.role === 'admin') && !plan.applied && plan.files.length;
  return el(
    'div',
    { id: 'reprocess-plan' },
    el(
      'p',
      { class: 'reprocess-summary' },
      plan.applied ? 'Applied: ' : 'Dry run: ',
      `${fmtNumber(plan.cells.length)} cell(s) would change, `,
      plan.cacheKeys === null
        ? 'cached predictions unknown (Redis down)'
        : `${fmtNumber(plan.cacheKeys)} cached prediction(s) with them; `,
      plan.files.map((f) => `${f.path} ${f.status}`).join(', '),
    ),
    table(['day', 'hour', 'category', 'committed', 'read again', 'change'], rows, {
      class: 'reprocess-cells',
      empty: 'no cell would change',
    }),
    canApply
      ? el(
          'button',
          { class: 'danger apply-reprocess', onclick: () => run(container, ledger, true) },
          'Apply: read them again',
        )
      : null,
  );
}

async function run(container, ledger, apply) {
  try {
    plan = await api('/api/ingest/reprocess', { method: 'POST', body: { batches: [...chosen], apply } });
    if (apply && plan.run?.runId) {
      toast(`Reprocessing: incremental run ${plan.run.runId}`);
      go(['dags', 'incremental_processing_dag', 'runs', String(plan.run.runId)]);
      return;
    }
    render(container, ledger);
  } catch (error) {
    toast(error.message, 'error');
  }
}

export function render(container, ledger) {
  const batches = [...ledger.batches].reverse();
  replace(
    container,
    el(
      'p',
      { class: 'muted small' },
      'Read committed batches again (after a fix to validation or aggregation).',
    ),
    el(
      'div',
      { class: 'toolbar' },
      batches.length === 0 ? el('span', { class: 'muted' }, 'no committed batch yet') : null,
      batches.map((b) =>
        el(
          'label',
          { class: 'check' },
          el('input', {
            type: 'checkbox',
            value: b.batch,
            checked: chosen.has(b.batch),
            onchange: (e) => (e.target.checked ? chosen.add(b.batch) : chosen.delete(b.batch)),
          }),
          ` ${b.batch}`,
        ),
      ),
      el(
        'button',
        {
          class: 'small dry-run',
          onclick: () => (chosen.size ? run(container, ledger, false) : toast('choose a batch', 'warn')),
        },
        'Dry run',
      ),
    ),
    planView(container, ledger),
  );
}

/** Renders once per ledger change only: a refresh must not reset the checkboxes or the plan. */
let shownFor = null;
export function reprocessCard(container, ledger) {
  const key = JSON.stringify(ledger.batches.map((b) => b.batch));
  if (key === shownFor) return;
  shownFor = key;
  render(container, ledger);
}
