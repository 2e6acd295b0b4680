// The dashboard shell: login, the route in the URL hash (router.js), live updates of the visible section every 2 s
// while the tab is visible, and honesty when the server cannot be reached: a banner says since when, the polling
// stops (a probe every 3 s instead) and relative times are hidden until it answers again.
import { api, onUnauthorized, session } from './api.js';
import { $, toast } from './dom.js';
import { dagsSection } from './dags.js';
import { dataSection } from './data.js';
import { modelsSection } from './models.js';
import { cacheSection } from './cache.js';
import { predictSection } from './predict.js';
import { auditSection } from './audit.js';
import { parseRoute } from './router.js';

const POLL_MS = 2000;
const PROBE_MS = 3000;
const sections = {
  dags: dagsSection,
  data: dataSection,
  models: modelsSection,
  cache: cacheSection,
  predict: predictSection,
  audit: auditSection,
};
let current = null;
let timer = null;
let probe = null;
let loggedIn = false;
let offlineSince = null;

/** A failed fetch (network) or a 502/503/504 from a proxy in front: the server is not answering. */
const unreachable = (error) => error instanceof TypeError || [502, 503, 504].includes(error.status);

function goOffline() {
  if (offlineSince) return;
  offlineSince = new Date();
  clearInterval(timer);
  timer = null;
  document.body.classList.add('offline');
  $('#live').classList.add('stale');
  const banner = $('#outage');
  banner.textContent =
    `The server is not answering since ${offlineSince.toLocaleTimeString()}: what you see is from then. ` +
    'Retrying every 3 s…';
  banner.hidden = false;
  probe = setInterval(async () => {
    try {
      const res = await fetch('/healthz', { cache: 'no-store' });
      if (res.ok) goOnline();
    } catch {
      // Still unreachable: the banner stays and the next probe tries again.
    }
  }, PROBE_MS);
}

function goOnline() {
  clearInterval(probe);
  probe = null;
  offlineSince = null;
  document.body.classList.remove('offline');
  $('#outage').hidden = true;
  $('#live').classList.remove('stale');
  startPolling();
  refresh();
}

function startPolling() {
  clearInterval(timer);
  timer = setInterval(refresh, POLL_MS);
}

async function refresh() {
  if (!loggedIn || !current || document.hidden || offlineSince) return;
  try {
    await sections[current].refresh();
    $('#live').classList.remove('stale');
  } catch (error) {
    if (unreachable(error)) goOffline();
    else if (error.status !== 401) {
      $('#live').classList.add('stale');
      console.warn(error);
    }
  }
}

function show() {
  const route = parseRoute();
  const name = sections[route.section] ? route.section : 'dags';
  current = name;
  for (const key of Object.keys(sections)) $(`#section-${key}`).hidden = key !== name;
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.section === name);
  $('#nav').classList.remove('open');
  $('#menu-toggle').setAttribute('aria-expanded', 'false');
  sections[name].route?.(route.parts, route.query);
  sections[name].init?.();
  refresh();
}

function setLoggedIn(s) {
  loggedIn = s !== null;
  session.user = s?.user ?? null;
  session.role = s?.role ?? null;
  $('#login').hidden = loggedIn;
  $('#nav').hidden = !loggedIn;
  $('#menu-toggle').hidden = !loggedIn;
  $('#logout').hidden = !loggedIn;
  $('#live').hidden = !loggedIn;
  $('#user').textContent = loggedIn ? `${session.user} (${session.role})` : '';
  if (loggedIn) {
    show();
    startPolling();
  } else {
    clearInterval(timer);
    for (const key of Object.keys(sections)) $(`#section-${key}`).hidden = true;
    $('#login-form [name=password]').focus();
  }
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $('#login-error').textContent = '';
  try {
    const s = await api('/api/login', {
      method: 'POST',
      body: { username: form.get('username'), password: form.get('password') },
    });
    event.target.reset();
    setLoggedIn(s);
  } catch (error) {
    $('#login-error').textContent =
      error.status === 429 ? 'Too many attempts: wait a minute.' : error.message;
  }
});

$('#logout').addEventListener('click', async () => {
  await api('/api/logout', { method: 'POST', body: {} }).catch(() => {});
  setLoggedIn(null);
});

$('#menu-toggle').addEventListener('click', () => {
  const open = $('#nav').classList.toggle('open');
  $('#menu-toggle').setAttribute('aria-expanded', String(open));
});

$('#theme-toggle').addEventListener('click', () => {
  const root = document.documentElement;
  const dark =
    root.dataset.theme === 'dark' ||
    (!root.dataset.theme && window.matchMedia('(prefers-color-scheme: dark)').matches);
  root.dataset.theme = dark ? 'light' : 'dark';
  try {
    window.localStorage.setItem('orderflow-theme', root.dataset.theme);
  } catch {
    // Not stored (storage blocked): the choice lasts for this page only.
  }
});

onUnauthorized(() => {
  if (loggedIn) toast('Your session ended: sign in again.', 'warn');
  setLoggedIn(null);
});

window.addEventListener('hashchange', () => loggedIn && show());
document.addEventListener('visibilitychange', refresh);

api('/api/session')
  .then((s) => setLoggedIn(s))
  .catch(() => setLoggedIn(null));
