// What an operator can do to a run from the run panel: rerun (clear) failed tasks or the whole run, clear one task
// and what depends on it, mark a task success or failed. Each is one API call, audited by the server; a viewer
// sees none of these buttons (and the server would refuse them with a 403 anyway).
import { api, session } from './api.js';
import { el, toast } from './dom.js';

export const canOperate = () => session.role === 'operator' || session.role === 'admin';
const ACTIVE = new Set(['queued', 'running']);

async function post(path, body, done, message) {
  try {
    await api(path, { method: 'POST', body });
    toast(message);
    await done();
  } catch (error) {
    toast(error.message, 'error');
  }
}

export function runActions(run, done) {
  if (!canOperate() || ACTIVE.has(run.state) || run.state === 'skipped') return null;
  const base = `/api/runs/${encodeURIComponent(run.id)}`;
  return el(
    'div',
    { class: 'dag-actions run-actions' },
    run.state === 'failed'
      ? el(
          'button',
          {
            class: 'small rerun-failed',
            onclick: () =>
              post(
                `${base}/clear`,
                { onlyFailed: true },
                done,
                `Rerunning the failed tasks of run ${run.id}`,
              ),
          },
          '↻ Rerun failed tasks',
        )
      : null,
    el(
      'button',
      {
        class: 'small secondary rerun-run',
        onclick: () => post(`${base}/clear`, {}, done, `Rerunning run ${run.id}`),
      },
      '↻ Rerun whole run',
    ),
  );
}

export function taskActions(run, taskId, latest, done) {
  if (!canOperate() || ACTIVE.has(run.state) || run.state === 'skipped' || ACTIVE.has(latest.state))
    return null;
  const base = `/api/runs/${encodeURIComponent(run.id)}/tasks/${encodeURIComponent(taskId)}`;
  return el(
    'div',
    { class: 'task-actions' },
    el(
      'button',
      {
        class: 'clear-task',
        title: 'run this task again, and every task downstream of it',
        onclick: () => post(`${base}/clear`, {}, done, `Clearing ${taskId} and its downstream tasks`),
      },
      '↻ Clear (rerun from here)',
    ),
    latest.state !== 'success'
      ? el(
          'button',
          {
            class: 'secondary mark-success',
            onclick: () => post(`${base}/mark`, { state: 'success' }, done, `${taskId} marked success`),
          },
          'Mark success',
        )
      : null,
    latest.state !== 'failed'
      ? el(
          'button',
          {
            class: 'danger mark-failed',
            onclick: () => post(`${base}/mark`, { state: 'failed' }, done, `${taskId} marked failed`),
          },
          'Mark failed',
        )
      : null,
  );
}

/**
 * Trigger with parameters: a small form under the Trigger button. The parameters are JSON the tasks see
 * (TaskContext.params); ml_training_dag understands { "force": true } (retrain on unchanged data).
 */
export function triggerForm(dag, onRun) {
  const textarea = el('textarea', {
    name: 'params',
    rows: 3,
    spellcheck: 'false',
    'aria-label': 'run parameters (JSON)',
  });
  textarea.value = dag.id === 'ml_training_dag' ? '{ "force": true }' : '{}';
  const form = el(
    'form',
    { class: 'trigger-params-form' },
    textarea,
    el('button', { type: 'submit', class: 'small' }, '▶ Trigger with these'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let params;
    try {
      params = JSON.parse(textarea.value || '{}');
    } catch (error) {
      toast(`parameters are not JSON: ${error.message}`, 'error');
      return;
    }
    try {
      const res = await api(`/api/dags/${encodeURIComponent(dag.id)}/trigger`, {
        method: 'POST',
        body: { params },
      });
      toast(
        res.outcome === 'skipped' ? `A run of ${dag.id} is already active` : `Triggered run ${res.runId}`,
      );
      if (res.runId) onRun(res.runId);
    } catch (error) {
      toast(error.message, 'error');
    }
  });
  return el('details', { class: 'trigger-params' }, el('summary', {}, 'with parameters…'), form);
}
