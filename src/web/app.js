// The dashboard shell: login, hash navigation between sections, and live updates (the visible section is polled
// every 2 s while the tab is visible).
import { api, onUnauthorized } from './api.js';
import { $, toast } from './dom.js';
import { dagsSection } from './dags.js';
import { dataSection } from './data.js';
import { modelsSection } from './models.js';
import { cacheSection } from './cache.js';
import { predictSection } from './predict.js';

const POLL_MS = 2000;
const sections = {
  dags: dagsSection,
  data: dataSection,
  models: modelsSection,
  cache: cacheSection,
  predict: predictSection,
};
let current = null;
let timer = null;
let loggedIn = false;

async function refresh() {
  if (!loggedIn || !current || document.hidden) return;
  try {
    await sections[current].refresh();
    $('#live').classList.remove('stale');
  } catch (error) {
    $('#live').classList.add('stale');
    if (error.status !== 401) console.warn(error);
  }
}

function show(name) {
  if (!sections[name]) name = 'dags';
  current = name;
  for (const key of Object.keys(sections)) $(`#section-${key}`).hidden = key !== name;
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.section === name);
  sections[name].init?.();
  refresh();
}

function setLoggedIn(user) {
  loggedIn = user !== null;
  $('#login').hidden = loggedIn;
  $('#nav').hidden = !loggedIn;
  $('#logout').hidden = !loggedIn;
  $('#live').hidden = !loggedIn;
  $('#user').textContent = loggedIn ? user : '';
  if (loggedIn) {
    show(location.hash.slice(1));
    clearInterval(timer);
    timer = setInterval(refresh, POLL_MS);
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
    const { user } = await api('/api/login', {
      method: 'POST',
      body: { username: form.get('username'), password: form.get('password') },
    });
    event.target.reset();
    setLoggedIn(user);
  } catch (error) {
    $('#login-error').textContent =
      error.status === 429 ? 'Too many attempts: wait a minute.' : error.message;
  }
});

$('#logout').addEventListener('click', async () => {
  await api('/api/logout', { method: 'POST', body: {} }).catch(() => {});
  setLoggedIn(null);
});

onUnauthorized(() => {
  if (loggedIn) toast('Your session ended: sign in again.', 'warn');
  setLoggedIn(null);
});

window.addEventListener('hashchange', () => loggedIn && show(location.hash.slice(1)));
document.addEventListener('visibilitychange', refresh);

api('/api/session')
  .then((s) => setLoggedIn(s.user ?? 'token'))
  .catch(() => setLoggedIn(null));
