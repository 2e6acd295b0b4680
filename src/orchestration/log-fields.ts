// The details of a task's log line: everything the task logged beside its message (files and counts, the DAG it
// triggered and why, model metrics, cache figures), without what every line carries (time, level, the run and
// task it belongs to). One definition for `dags logs`, /api/runs/:id and the dashboard.

/** Keys every stored line has, or that the run/task heading already shows. */
const STANDARD_KEYS = new Set([
  'level',
  'time',
  'msg',
  'name',
  'pid',
  'hostname',
  'dag',
  'run',
  'task',
  'try',
  'v',
]);

/** The line's own fields; an error becomes its message. */
export function logFields(line: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(line)) {
    if (STANDARD_KEYS.has(key)) continue;
    fields[key] =
      key === 'err' && value !== null && typeof value === 'object' && 'message' in value
        ? value.message
        : value;
  }
  return fields;
}

/** `key=value …` for a text line: strings with spaces quoted, arrays and objects as compact JSON. */
export function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}=${/[\s"=]/.test(text) && typeof value === 'string' ? JSON.stringify(text) : text}`;
    })
    .join(' ');
}
