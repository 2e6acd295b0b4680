// A clock the test moves by hand (src/base/clock.ts): time stands still until advance(ms), which wakes the due
// sleeps one at a time, earliest first (ties in the order they began), letting each sleeper's code run before
// the next wakes. Loops that do I/O between sleeps: wait with waitFor(() => clock.sleeping() > 0) first.
import { setImmediate as turn } from 'node:timers/promises';
import type { Clock } from '../../src/base/clock.js';

interface Sleeper {
  at: number;
  seq: number;
  wake(): void;
}

export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(start = Date.now()) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        at: this.time + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        sleeper.wake();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** How many sleeps are waiting for time to pass. */
  sleeping(): number {
    return this.sleepers.length;
  }

  /** Moves time on by `ms`, waking every sleep due by then in order; resolves once their code has had a turn. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const due = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.time = Math.max(this.time, due.at);
      due.wake();
      await turn();
    }
    this.time = target;
  }
}
