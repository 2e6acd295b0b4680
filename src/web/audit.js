// Audit: every mutating request and CLI change, newest first — who, when (local time, UTC on hover), what, on
// what, and how it ended. #/audit?actor=<name> shows one user's.
import { api } from './api.js';
import { $, el, renderIfChanged, table, timeEl } from './dom.js';
import { go } from './router.js';

let actor = '';

export const auditSection = {
  route(_parts, query) {
    actor = query.get('actor') ?? '';
  },
  async refresh() {
    const q = new URLSearchParams({ limit: '200' });
    if (actor) q.set('actor', actor);
    const { entries } = await api(`/api/audit?${q}`);
    renderIfChanged($('#audit'), { entries, actor }, () => [
      actor
        ? el(
            'p',
            {},
            `Only ${actor}. `,
            el('button', { class: 'small secondary', onclick: () => go(['audit']) }, 'everyone'),
          )
        : null,
      table(
        ['when', 'who', 'via', 'action', 'target', 'outcome'],
        entries.map((e) =>
          el(
            'tr',
            { class: `audit-${e.outcome}` },
            el('td', {}, timeEl(e.at, { dateToo: true })),
            el(
              'td',
              {},
              e.actor
                ? el('button', { class: 'link', onclick: () => go(['audit'], { actor: e.actor }) }, e.actor)
                : el('span', { class: 'muted' }, e.detail?.username ? `(${e.detail.username})` : 'anonymous'),
            ),
            el('td', {}, e.via),
            el('td', {}, e.action),
            el('td', {}, e.target ?? '–'),
            el(
              'td',
              {},
              el(
                'span',
                {
                  class: `pill state-${e.outcome === 'ok' ? 'success' : e.outcome === 'denied' ? 'upstream_failed' : 'failed'}`,
                },
                e.outcome,
              ),
              e.status ? el('span', { class: 'muted small' }, ` ${e.status}`) : '',
            ),
          ),
        ),
        { empty: 'nothing recorded yet' },
      ),
    ]);
  },
};
