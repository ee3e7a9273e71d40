/**
 * The one `main` every process (stand-in, subgraph, gateway) runs: read its section of the
 * configuration, start, announce readiness to the launcher, stop cleanly on a signal.
 */
import { configWarnings, readEnv, type Parsed, type Spec } from './env.ts';
import { announceReady, runMain, stopOnSignal } from './lifecycle.ts';
import { createLogger, type Logger } from './logger.ts';

export interface Running {
  /** Named endpoints announced to the launcher (e.g. `{ graphql: 'http://…/graphql' }`). */
  urls: Record<string, string>;
  close(): Promise<void>;
}

export function runService<S extends Spec & { logLevel: unknown }>(
  name: string,
  spec: S,
  start: (config: Parsed<S>, logger: Logger) => Promise<Running>,
): void {
  runMain(async () => {
    const config = readEnv(spec);
    const logger = createLogger(name, String(config.logLevel));
    // Development secrets are fine on a laptop and fatal anywhere reachable: say so at every start.
    for (const warning of configWarnings(spec)) logger.warn(warning);
    const running = await start(config, logger);
    stopOnSignal(() => running.close(), logger);
    announceReady(name, running.urls, logger);
  });
}
