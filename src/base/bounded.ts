// Third-party closes that can hang (BullMQ's Worker.close() while Redis is down, upstream issue #4656; a pg pool
// whose server vanished) are raced against a bound, so no shutdown waits on them forever. The work is not
// cancelled: it may still finish later, the caller just stops waiting for it.

/** Resolves true if `work` settled within `ms` (a rejection counts as settled), false otherwise. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** QUIT within `ms` (a clean close), else drop the socket: QUIT waits forever for a Redis that is down. */
export async function quitRedis(
  redis: { quit(): Promise<unknown>; disconnect(): void },
  ms = 1000,
): Promise<void> {
  await settlesWithin(redis.quit(), ms);
  // After a QUIT that did not answer, this is what ends the socket and its reconnect timer.
  redis.disconnect();
}
