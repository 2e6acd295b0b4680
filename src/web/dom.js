// Tiny DOM helpers: every value from the API goes in as text, never as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') node.style.cssText = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (selector) => document.querySelector(selector);

export function replace(container, ...children) {
  container.replaceChildren(
    ...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false),
  );
}

export function fmtNumber(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** "3 s ago", "in 2 min", from an ISO time. */
export function relTime(iso) {
  if (!iso) return '–';
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const a = Math.abs(s);
  const text =
    a < 60
      ? `${a} s`
      : a < 3600
        ? `${Math.round(a / 60)} min`
        : a < 86400
          ? `${Math.round(a / 3600)} h`
          : `${Math.round(a / 86400)} d`;
  return s > 1 ? `in ${text}` : `${text} ago`;
}

export function fmtAge(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

export function tile(label, value, note, tone) {
  return el(
    'div',
    { class: `tile ${tone ?? ''}` },
    el('div', { class: 'tile-label' }, label),
    el('div', { class: 'tile-value' }, value),
    note ? el('div', { class: 'tile-note' }, note) : null,
  );
}

export function table(headers, rows, options = {}) {
  return el(
    'table',
    { class: `table ${options.class ?? ''}` },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', {}, h)),
      ),
    ),
    el(
      'tbody',
      {},
      rows.length === 0
        ? el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, options.empty ?? 'nothing yet'))
        : rows,
    ),
  );
}

export function toast(message, tone = 'info') {
  const t = $('#toast');
  t.textContent = message;
  t.className = `toast ${tone}`;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 3500);
}

/** A time in the viewer's local zone, with the UTC time on hover. */
export function timeEl(iso, options = {}) {
  if (!iso) return el('span', { class: 'muted' }, '–');
  const d = new Date(iso);
  const text = options.dateToo
    ? d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return el('time', { datetime: iso, title: `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC` }, text);
}

/** "3 s ago" that the outage banner can hide (it would lie while the page cannot refresh). */
export function relEl(iso) {
  return el(
    'span',
    { class: 'rel', title: iso ? `${iso.replace('T', ' ').slice(0, 19)} UTC` : '' },
    relTime(iso),
  );
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 60_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${(ms / 60_000).toFixed(1)} min`;
}

const rendered = new WeakMap();

/** Empties a container rendered by renderIfChanged, so what it showed cannot pass for the next view's data. */
export function clearRendered(container) {
  rendered.delete(container);
  container.replaceChildren();
}
/**
 * Renders into `container` only when `data` differs from what it was rendered from last time, so a refresh that
 * brings nothing new leaves the DOM (focus, scroll, open panels, text selection) alone.
 */
export function renderIfChanged(container, data, render) {
  const key = JSON.stringify(data);
  if (rendered.get(container) === key) return false;
  rendered.set(container, key);
  replace(container, render());
  return true;
}

/** replace() that leaves the container alone when `data` is what it showed last time (see renderIfChanged). */
export function replaceIfChanged(container, data, ...children) {
  return renderIfChanged(container, data, () => children);
}
