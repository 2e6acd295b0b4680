// A logger per task try whose lines are kept in the metadata store (dag_task_logs), flushed every second and at
// the end of the try, and also written to the process's standard error at the process's log level.
import { pino } from 'pino';
import { LOG_OPTIONS, writeLineAs, type Logger } from '../base/log.js';
import type { Db } from '../store/db.js';
import { insertLogLines } from './run-store.js';

interface CapturedLine {
  time: Date;
  level: string;
  message: string;
  line: Record<string, unknown>;
}

export interface TaskLogger {
  logger: Logger;
  /** Writes the lines captured so far; errors are reported to the process logger, not thrown. */
  flush(): Promise<void>;
  /** Final flush; stops the periodic one. */
  close(): Promise<void>;
}

export function createTaskLogger(
  db: Db,
  processLogger: Logger,
  tryId: number,
  bindings: Record<string, unknown>,
  options: {
    /** @defaultValue 1000 */
    flushEveryMs?: number;
    /**
     * Sequence number of the first line. Several loggers may write to one try (the child jobs of a fan-out
     * task, each on its own worker): each takes its own range, so no line overwrites another's.
     * @defaultValue 0
     */
    firstSeq?: number;
  } = {},
): TaskLogger {
  const flushEveryMs = options.flushEveryMs ?? 1000;
  let pending: CapturedLine[] = [];
  let seq = options.firstSeq ?? 0;
  const forward = processLogger.level !== 'silent';
  const labels = pino.levels.labels;
  const capture = {
    write(chunk: string): void {
      if (forward && processLogger.isLevelEnabled(levelOf(chunk, labels))) writeLineAs(processLogger, chunk);
      try {
        const line = JSON.parse(chunk) as Record<string, unknown>;
        pending.push({
          time: new Date(typeof line.time === 'number' ? line.time : Date.now()),
          level: labels[Number(line.level)] ?? String(line.level),
          message: typeof line.msg === 'string' ? line.msg : '',
          line,
        });
      } catch {
        pending.push({ time: new Date(), level: 'info', message: chunk.trim(), line: {} });
      }
    },
  };
  const logger = pino(
    { name: processLogger.bindings().name ?? 'orderflow', level: 'debug', base: bindings, ...LOG_OPTIONS },
    capture,
  );
  let chain = Promise.resolve();
  const flush = (): Promise<void> => {
    chain = chain.then(async () => {
      if (pending.length === 0) return;
      const lines = pending;
      pending = [];
      const first = seq;
      seq += lines.length;
      await insertLogLines(db, tryId, first, lines).catch((err: unknown) =>
        processLogger.warn({ err, tryId }, 'could not store task log lines'),
      );
    });
    return chain;
  };
  const timer = setInterval(() => void flush(), flushEveryMs);
  timer.unref();
  return {
    logger,
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}

function levelOf(chunk: string, labels: Record<number, string>): string {
  const match = /"level":(\d+)/.exec(chunk);
  return (match && labels[Number(match[1])]) || 'info';
}
