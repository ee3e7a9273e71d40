import { pino, type Logger } from 'pino';
import { activeTraceIds, tracingEnabled } from './tracing/index.ts';

export type { Logger };

/**
 * One JSON logger per process; `name` is the process (gateway, geo-subgraph, grc…). While traces
 * are on (common/tracing/), a line logged within a traced request carries its `trace_id` and
 * `span_id`; otherwise the logger has no mixin at all.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, ...(tracingEnabled() ? { mixin: activeTraceIds } : {}) });
}
