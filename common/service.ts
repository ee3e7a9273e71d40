/**
 * The one `main` every process (stand-in, subgraph, gateway) runs: read its section of the
 * configuration, start, announce readiness to the launcher, stop cleanly on a signal.
 */
import { configWarnings, readEnv, type Parsed, type Spec, type Variable } from './env.ts';
import { announceReady, runMain, stopOnSignal } from './lifecycle.ts';
import { createLogger, type Logger } from './logger.ts';
import { configureMetrics } from './metrics.ts';
import { tracingEnv } from './config.ts';
import { startTracing } from './tracing/index.ts';

export interface Running {
  /** Named endpoints announced to the launcher (e.g. `{ graphql: 'http://…/graphql' }`). */
  urls: Record<string, string>;
  close(): Promise<void>;
}

export function runService<S extends Spec & { logLevel: unknown; metrics: Variable<'on' | 'off'>; metricsToken: Variable<string> }>(
  name: string,
  spec: S,
  start: (config: Parsed<S>, logger: Logger) => Promise<Running>,
  options: { /** `service.name` of its traces, when it is not `name` (the subgraphs: `geo-subgraph`…). */ serviceName?: string } = {},
): void {
  runMain(async () => {
    const config = readEnv(spec);
    // Before the logger, whose lines carry the active trace's ids only when traces are on.
    const tracing = await startTracing(options.serviceName ?? name, readEnv(tracingEnv));
    const logger = createLogger(name, String(config.logLevel));
    tracing.useLogger(logger);
    // Development secrets are fine on a laptop and fatal anywhere reachable: say so at every start.
    for (const warning of configWarnings(spec)) logger.warn(warning);
    // Before `start`: the event-loop lag is measured from the first instant, and series carry the service's name.
    configureMetrics({ service: name, enabled: String(config.metrics) === 'on', token: String(config.metricsToken) });
    const running = await start(config, logger);
    // The spans of the last requests are sent once the process has stopped serving them.
    stopOnSignal(() => running.close().finally(() => tracing.shutdown()), logger);
    announceReady(name, running.urls, logger);
  });
}
