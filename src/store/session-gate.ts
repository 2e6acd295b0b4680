// Serializes sessions over the single PGlite backend. PGlite has one connection; when it is shared (the owner's
// own queries plus clients over the socket), a "session" must keep the backend from its first message until its
// unit of work ends: an extended-protocol sequence up to Sync, and a whole transaction block. Otherwise another
// session's Parse/Bind lands between ours, or its statements run inside our BEGIN … COMMIT.
// (pglite-socket's own server interleaves per message, which is why orderflow serves with this gate instead.)

interface Waiter {
  session: number;
  resolve: () => void;
}

export class SessionGate {
  #holder: number | null = null;
  #inFlight = 0;
  #waiters: Waiter[] = [];
  #nextSession = 1;

  /** A new session id, unique within this gate. */
  newSession(): number {
    return this.#nextSession++;
  }

  /** Resolves when `session` may use the backend (it already holds it, or nobody does). */
  enter(session: number): Promise<void> {
    if (this.#holder === null || this.#holder === session) {
      this.#holder = session;
      this.#inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push({ session, resolve }));
  }

  /**
   * Ends one use by `session`. With `keep` (its unit of work is not finished: mid-sequence or inside a
   * transaction block) the session keeps the backend even when it has nothing in flight.
   */
  leave(session: number, keep: boolean): void {
    if (this.#holder !== session) return;
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (keep || this.#inFlight > 0) return;
    this.#holder = null;
    this.#dispatch();
  }

  /** Forgets a session that went away: drops its waiters and, if it held the backend, frees it. */
  release(session: number): void {
    this.#waiters = this.#waiters.filter((w) => w.session !== session);
    if (this.#holder === session) {
      this.#holder = null;
      this.#inFlight = 0;
      this.#dispatch();
    }
  }

  holds(session: number): boolean {
    return this.#holder === session;
  }

  #dispatch(): void {
    const next = this.#waiters[0];
    if (!next) return;
    this.#holder = next.session;
    const admitted = this.#waiters.filter((w) => w.session === next.session);
    this.#waiters = this.#waiters.filter((w) => w.session !== next.session);
    this.#inFlight = admitted.length;
    for (const w of admitted) w.resolve();
  }
}
