import pino, { type Logger } from 'pino';

/** Creates the process logger (pino, JSON lines on stdout). `level` as in pino; tests pass `silent`. */
export function createLogger(level: string, name = 'switchboard'): Logger {
  return pino({ name, level });
}
export type { Logger };
