// Every view has a URL in the hash: #/dags/<dag>/runs/<run>/tasks/<task>?state=failed&page=2. A reload or a shared
// link opens the same view; back/forward move between views (hashchange). The old #dags style still works.
export function parseRoute(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?');
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { section: parts[0] ?? 'dags', parts: parts.slice(1), query: new URLSearchParams(qs) };
}

export function href(parts, query) {
  const qs = query
    ? new URLSearchParams(
        Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''),
      ).toString()
    : '';
  return `#/${parts.map((p) => encodeURIComponent(p)).join('/')}${qs ? `?${qs}` : ''}`;
}

/** Navigates to a view: a new history entry (back returns here). */
export function go(parts, query) {
  const target = href(parts, query);
  if (location.hash !== target) location.hash = target;
}
