// Why a Redis connection could not be made, in words an operator can act on. ioredis reports most failures
// of a lazy connect() as "Connection is closed."; the real reason is the last 'error' event before it (a
// refused connection, a wrong password), so callers pass both. The URL is always shown without its password.
import { UnavailableError } from '../base/errors.js';
import { redactUrl } from '../base/redact.js';

/** Redis answered but refused the credentials (or wants some): starting or retrying another server won't help. */
export class RedisAuthError extends UnavailableError {}

function errorCode(err: Error | undefined): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The error thrown when connecting to `url` failed: RedisAuthError for credentials, else UnavailableError. */
export function redisFailure(url: string, err: Error, lastEvent: Error | undefined): UnavailableError {
  const where = `Redis at REDIS_URL=${redactUrl(url)}`;
  const reason = lastEvent ?? err;
  const text = reason.message;
  const auth = (message: string): RedisAuthError => new RedisAuthError(`${where} ${message}`, { cause: err });
  if (/WRONGPASS|invalid password|invalid username-password/i.test(text))
    return auth(`refused the credentials in REDIS_URL (${text.trim()}): check the user and password`);
  if (/NOAUTH|Authentication required/i.test(text))
    return auth(
      'needs a password: put it in REDIS_URL (redis://:password@host:port or redis://user:password@host:port)',
    );
  if (/without any password configured|AUTH.*called without/i.test(text))
    return auth(
      'has no password set but REDIS_URL gives one: remove it from REDIS_URL, or set requirepass on the server',
    );
  const code = errorCode(reason);
  const why = code && !text.includes(code) ? `${code}: ${text}` : text;
  return new UnavailableError(
    `cannot reach ${where} (${why}); start redis-server or point REDIS_URL at one`,
    {
      cause: err,
    },
  );
}
