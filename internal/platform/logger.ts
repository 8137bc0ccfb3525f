import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: one structured JSON line per event on stdout. */
export function createLogger(level: string, name = 'deliverygo'): Logger {
  return pino({ name, level, base: { service: name } });
}

/** A logger that drops everything, for tests that do not assert on logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
