// Which errors mean "a server we need is unreachable" rather than "something is wrong in orderflow": those are
// expected in operation (a Redis restart, a PostgreSQL failover), logged once per outage and without a stack.
import { UnavailableError } from './errors.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** ioredis and pg say these in words only (no code). */
const CONNECTION_MESSAGES =
  /Connection is closed|Connection terminated|connection error and is not queryable|Stream isn't writeable/;

export function isConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof UnavailableError) return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && CONNECTION_CODES.has(code)) return true;
    if (CONNECTION_MESSAGES.test(e.message)) return true;
  }
  return false;
}
