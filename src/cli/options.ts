// Parsers for flag values: a bad value is a UsageError (exit 2) that names the flag and what is allowed.
import { UsageError } from '../errors.js';

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

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * "500ms", "5s", "2m", "1h": the unit is required, since a bare "5" could mean 5 ms or 5 s. Decimals are allowed
 * ("1.5s"); the result is in milliseconds.
 */
export function parseDurationFlag(flag: string) {
  return (value: string): number => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
    if (!match)
      throw new UsageError(
        `${flag} ${JSON.stringify(value)}: expected a duration with its unit, such as 500ms, 5s or 2m`,
      );
    return Math.round(Number(match[1]) * DURATION_UNITS[match[2]]);
  };
}
