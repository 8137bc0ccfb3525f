import { pino, type Logger } from 'pino';
import { traceLogFields } from './tracing.ts';

export type { Logger };

/**
 * The process logger: one structured JSON line per event on stdout. A line written inside a traced request or message
 * carries `trace_id` and `span_id` (tracing.ts; nothing is added while tracing is off).
 */
export function createLogger(level: string, name = 'deliverygo', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      mixin: traceLogFields,
      // pino's default merge writes the line's fields into the mixin's object; a line outside any span (tracing off
      // included) gets the shared empty one back, so it is left alone and nothing is allocated.
      mixinMergeStrategy: (fields, traceFields) =>
        Object.keys(traceFields).length === 0 ? fields : Object.assign(traceFields, fields),
    },
    destination,
  );
}

/** A logger that drops everything, for tests that do not assert on logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
