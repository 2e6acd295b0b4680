// Talking to the orderflow API from the dashboard: JSON in and out, 401 turns into a "logged out" event.
export class HttpError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
    /** The API's stable error code (see /docs). */
    this.code = body?.error?.code;
  }
}

/** Who is logged in, and their role (set by app.js from /api/session and /api/login). */
export const session = { user: null, role: null };

const listeners = new Set();
/** Called with no arguments whenever the API answers 401 (session gone). */
export function onUnauthorized(fn) {
  listeners.add(fn);
}

export async function api(path, { method = 'GET', body } = {}) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (res.status === 401 && path !== '/api/login') listeners.forEach((fn) => fn());
  if (!res.ok) throw new HttpError(res.status, data);
  return data;
}
