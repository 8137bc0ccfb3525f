import { pino, type Logger } from 'pino';
import { traceLogFields } from './tracing.ts';

export type { Logger };

/**
 * The process logger: one structured JSON line per event on stdout. A line written inside a traced request or message
 * carries `trace_id` and `span_id` (tracing.ts; nothing is added while tracing is off).
 */
export function createLogger(level: string, name = 'deliverygo', destination?: pino.DestinationStream): Logger {
  return pino({ name, level, base: { service: name }, mixin: traceLogFields }, destination);
}

/** A logger that drops everything, for tests that do not assert on logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
