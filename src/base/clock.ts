// Time as a dependency: the scheduler's loops, the sweeper and the incremental watch read the time and wait
// through a Clock, so tests drive time (test/helpers/clock.ts) instead of sleeping. Production uses systemClock.
import { setTimeout as delay } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects: the caller checks `signal.aborted`). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: Date.now() and timers. A sleeping timer keeps the process alive, as setTimeout does. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (signal?.aborted) return;
    try {
      await delay(ms, undefined, { signal });
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
  },
};
