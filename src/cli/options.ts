// Parsers for flag values: a bad value is a UsageError (exit 2) that names the flag and what is allowed.
import { parseDuration } from '../base/durations.js';
import { UsageError } from '../base/errors.js';

export function parseIntegerFlag(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value.replace(/_/g, ''));
    if (!/^\s*-?[\d_]+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(
        `${flag} ${JSON.stringify(value)}: expected an integer ${min}–${max === Number.MAX_SAFE_INTEGER ? '…' : max}`,
      );
    }
    return n;
  };
}

/** A duration flag ("500ms", "5s", "2m", "1h"; see durations.ts), in milliseconds. */
export function parseDurationFlag(flag: string) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms === undefined)
      throw new UsageError(
        `${flag} ${JSON.stringify(value)}: expected a duration with its unit, such as 500ms, 5s or 2m`,
      );
    return ms;
  };
}

/** One of a fixed set of words (`--format wide|instacart`). */
export function parseChoiceFlag<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new UsageError(`${flag} ${JSON.stringify(value)}: expected one of ${choices.join(', ')}`);
    return value as T;
  };
}
