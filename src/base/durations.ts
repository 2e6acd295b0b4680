// Durations as people write them: "500ms", "5s", "2m", "1h" (decimals allowed, the unit required, since a bare
// "5" could mean 5 ms or 5 s). One parser for flags (cli/options.ts) and settings (config.ts).
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when `value` is not a duration with its unit. */
export function parseDuration(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  return match ? Math.round(Number(match[1]) * DURATION_UNITS[match[2]]) : undefined;
}
