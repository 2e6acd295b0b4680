// Structured logging (pino). Quiet by default when not on a TTY: the level comes from the config.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'orderflow'): Logger {
  return pino({ name, level }, pino.destination({ fd: 2, sync: true }));
}
