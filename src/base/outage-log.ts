// An outage of Redis or PostgreSQL is logged for people, not per failed call: once when it starts (what is
// affected), at most once a minute while it lasts (how many errors since), and once when it ends (how long
// it lasted). Every client of a service in the process reports to the same log, so a process with five
// Redis connections still says it once.
import type { Logger } from 'pino';
import { UnavailableError } from './errors.js';
import { isConnectionError } from './connection-errors.js';

export type Service = 'Redis' | 'PostgreSQL';

export interface OutageLog {
  /** A call failed because the service is unreachable. */
  failure(err: unknown): void;
  /** A call succeeded (or a connection became ready): ends the outage if there is one. */
  recovered(): void;
}

/** Longest silence while an outage lasts. @defaultValue 60000 */
const OUTAGE_REPEAT_MS = 60_000;

const AFFECTS: Record<Service, string> = {
  Redis: 'DAG schedules, task queues, tracking keys and the prediction cache are paused',
  PostgreSQL: 'DAG runs, the ledger and the run history are paused',
};

const logs = new Map<Service, OutageLog>();

/** The one outage log of `service` in this process (created with the first caller's logger). */
export function outageLog(service: Service, logger: Logger): OutageLog {
  let log = logs.get(service);
  if (!log) {
    log = createOutageLog(service, logger);
    logs.set(service, log);
  }
  return log;
}

export function createOutageLog(
  service: Service,
  logger: Logger,
  repeatMs = OUTAGE_REPEAT_MS,
  clock: () => number = Date.now,
): OutageLog {
  let since: number | undefined;
  let errors = 0;
  let lastReport = 0;
  let reported = 0;
  return {
    failure(err) {
      const now = clock();
      errors++;
      if (since === undefined) {
        since = lastReport = now;
        reported = errors = 1;
        logger.warn({ err, service }, `${service} unreachable: ${AFFECTS[service]} until it is back`);
      } else if (now - lastReport >= repeatMs) {
        logger.warn(
          { service, errors: errors - reported, downForMs: now - since },
          `${service} still unreachable`,
        );
        lastReport = now;
        reported = errors;
      }
    },
    recovered() {
      if (since === undefined) return;
      logger.info({ service, downForMs: clock() - since, errors }, `${service} reachable again`);
      since = undefined;
    },
  };
}

/**
 * Sends a connection failure to the outage log of the service it came from and returns true; returns false
 * for any other error (the caller logs it as usual). The store's clients wrap a lost connection in
 * UnavailableError; Redis clients' failures are socket errors.
 */
export function reportOutage(err: unknown, logger: Logger): boolean {
  if (!isConnectionError(err)) return false;
  outageLog(err instanceof UnavailableError ? 'PostgreSQL' : 'Redis', logger).failure(err);
  return true;
}
