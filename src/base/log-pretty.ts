// The terminal form of a pino JSON line: "12:04:05.123 WARN  scheduler  tick failed  dagId=… err=…".
// Written here rather than with pino-pretty: a few dozen lines, no transport thread, no extra dependency.

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '90'],
  20: ['DEBUG', '90'],
  30: ['INFO ', '32'],
  40: ['WARN ', '33'],
  50: ['ERROR', '31'],
  60: ['FATAL', '35'],
};

/** Fields every line has, or that are shown in the line's head rather than as key=value. */
const HIDDEN = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname', 'component', 'err', 'v']);

/** 850 → "850ms", 12_345 → "12.3s", 125_000 → "2m5s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
}

function formatValue(key: string, value: unknown): string {
  if (key.endsWith('Ms') && typeof value === 'number') return formatDuration(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

function componentOf(line: Record<string, unknown>): string {
  if (typeof line.component === 'string') return line.component;
  if (typeof line.dag === 'string') return `${line.dag}/${String(line.task ?? '')}`;
  if (typeof line.worker === 'string') return 'worker';
  return 'orderflow';
}

export function formatPretty(json: string, colors: boolean): string {
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json; // not a pino line: pass it through untouched
  }
  const [label, color] = LEVELS[Number(line.level)] ?? ['?    ', '0'];
  const time = new Date(Number(line.time)).toISOString().slice(11, 23);
  const fields = Object.entries(line)
    .filter(
      ([key]) => !HIDDEN.has(key) && !(typeof line.dag === 'string' && (key === 'dag' || key === 'task')),
    )
    .map(([key, value]) => `${key}=${formatValue(key, value)}`);
  const err = line.err as { message?: string; stack?: string } | undefined;
  if (err?.message) fields.push(`err=${formatValue('err', err.message)}`);
  const level = colors ? `\x1b[${color}m${label}\x1b[0m` : label;
  const head = `${time} ${level} ${componentOf(line)}  ${String(line.msg ?? '')}`;
  const stack = err?.stack ? `\n    ${err.stack.split('\n').slice(1).join('\n    ').trim()}` : '';
  return `${head}${fields.length ? '  ' + fields.join(' ') : ''}${stack}\n`;
}
