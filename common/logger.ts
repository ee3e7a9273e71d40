import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; `name` is the process (gateway, geo-subgraph, grc…). */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level });
}
