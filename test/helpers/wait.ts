// The one way a test waits for something to happen: it polls `check` until it returns a value, never sleeps a fixed
// time. A check that throws (a server still starting, a row not there yet) is tried again; at the deadline the
// error names what was awaited, with the check's last error as its cause.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** @defaultValue 30000 */
  timeoutMs?: number;
  /** @defaultValue 50 */
  intervalMs?: number;
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: WaitOptions | number = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 50 } =
    typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    await sleep(intervalMs);
  }
}
