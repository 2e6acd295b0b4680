// Structured logging (pino). Quiet by default when not on a TTY: the level comes from the config. Two formats:
// JSON lines for machines (files, collectors; LOG_FORMAT=json) and readable lines for a terminal (the default
// on a TTY): time, level, component, message, key fields. In both, errors lose their stack when they are an
// expected connection failure, durations (…Ms fields) are whole milliseconds, and URL credentials are masked.
import { pino, stdSerializers, type Logger } from 'pino';
import { OrderflowError } from './errors.js';
import { isConnectionError } from './connection-errors.js';
import { formatPretty } from './log-pretty.js';
import { redactText } from './redact.js';

export type { Logger };

export type LogFormat = 'pretty' | 'json';

function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactText(err) : err;
  const out = stdSerializers.err(err) as unknown as Record<string, unknown>;
  out.message = redactText(String(out.message ?? ''));
  // An unreachable server is an operating condition, and an OrderflowError (bad input, no model, a lock) is
  // raised on purpose with a message that says it all: their stacks say nothing to an operator.
  if (isConnectionError(err) || err instanceof OrderflowError) delete out.stack;
  else if (typeof out.stack === 'string') out.stack = redactText(out.stack);
  return out;
}

/** Durations are logged as whole milliseconds (…Ms fields), not 17 significant digits. */
function roundDurations(fields: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(fields)) {
    if (key.endsWith('Ms') && typeof value === 'number' && !Number.isInteger(value))
      fields[key] = Math.round(value);
  }
  return fields;
}

/** What every orderflow pino logger shares (the task loggers too): error and duration handling. */
export const LOG_OPTIONS = {
  serializers: { err: serializeError },
  formatters: { log: roundDurations },
};

/** How each logger made by createLogger writes a JSON line, so loggers built elsewhere can write alike. */
const writers = new WeakMap<Logger, (line: string) => void>();

/** Writes a pino JSON line the way `logger` writes its own (pretty or JSON, to standard error). */
export function writeLineAs(logger: Logger, line: string): void {
  (writers.get(logger) ?? ((l: string) => void process.stderr.write(l)))(line);
}

/** @param destination where lines go; standard error by default (tests pass their own) */
export function createLogger(
  level: string,
  format: LogFormat = 'json',
  destination?: { write(text: string): unknown },
): Logger {
  // pino's own synchronous destination by default (it retries a full pipe; a bare writeSync throws EAGAIN).
  const out = destination ?? pino.destination({ fd: 2, sync: true });
  const colors = !destination && Boolean(process.stderr.isTTY);
  const write =
    format === 'pretty'
      ? (line: string): void => void out.write(formatPretty(line, colors))
      : (line: string): void => void out.write(line);
  const logger = pino({ name: 'orderflow', level, ...LOG_OPTIONS }, { write });
  writers.set(logger, write);
  return logger;
}
